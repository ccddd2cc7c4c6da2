"""Long polling that loses nothing when stopped: an offset is confirmed only past updates
that were processed.

Telegram forgets updates once ``getUpdates`` is called with an offset past them. telebot's
own loop confirms a batch as soon as it has dispatched it to worker threads, so a process
stopped (SIGTERM from systemd, Ctrl-C) with events still queued loses them. Here each batch
is processed to the end before the next ``getUpdates`` confirms it; a stop request during a
long poll abandons that poll (its updates stay unconfirmed: Telegram delivers them again),
and a stop request while a batch is being processed lets the batch finish first.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator

import requests
from telebot.apihelper import ApiException

logger = logging.getLogger(__name__)


class _Interrupted(Exception):
    """Raised in the main thread by the signal handler to abandon a long poll."""


class Pending:
    """Counts events handed to workers and not finished yet; :meth:`wait` blocks until none."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def add(self) -> None:
        with self._idle:
            self._count += 1

    def done(self) -> None:
        with self._idle:
            self._count -= 1
            if self._count <= 0:
                self._idle.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count <= 0, timeout)


class Poller:
    """Polls ``bot`` until :meth:`stop` (or SIGTERM/SIGINT with :meth:`run_until_signalled`).

    ``bot.process_new_updates`` dispatches a batch; ``pending`` must count every event the
    dispatch handed to worker threads (see :class:`~engine.telegram.OrderedWorkers`).
    """

    def __init__(self, bot, pending: Pending, *, timeout: int = 20,
                 allowed_updates: list[str] | None = None, retry_delay: float = 1.0) -> None:
        self.bot = bot
        self.pending = pending
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.retry_delay = retry_delay
        self.offset: int | None = None
        self._stop = threading.Event()
        self._fetching = False

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Poll and process batch after batch; on stop, confirm what was processed."""
        while not self._stop.is_set():
            try:
                with self._fetch():
                    updates = self.bot.get_updates(
                        offset=self.offset, timeout=self.timeout + 10,
                        long_polling_timeout=self.timeout, allowed_updates=self.allowed_updates)
            except _Interrupted:
                break
            except (ApiException, requests.RequestException) as err:
                logger.warning("getUpdates failed (%s); again in %.0fs", err, self.retry_delay)
                self._stop.wait(self.retry_delay)
                continue
            if not updates:
                continue
            self.bot.process_new_updates(updates)
            self.pending.wait()
            self.offset = updates[-1].update_id + 1
        self._confirm()

    def run_until_signalled(self) -> None:
        """:meth:`run` with SIGTERM and SIGINT asking it to stop (main thread only)."""
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def _fetch(self) -> Iterator[None]:
        self._fetching = True
        try:
            yield
        finally:
            self._fetching = False

    def _on_signal(self, signum, frame) -> None:
        logger.info("signal %s: stopping after the updates in hand", signum)
        self._stop.set()
        if self._fetching:
            raise _Interrupted

    def _confirm(self) -> None:
        """Tell Telegram the processed batches are done (a short poll with the next offset)."""
        if self.offset is None:
            return
        for attempt in range(3):
            try:
                self.bot.get_updates(offset=self.offset, limit=1, timeout=5,
                                     long_polling_timeout=0,
                                     allowed_updates=self.allowed_updates)
                logger.info("confirmed updates before %s", self.offset)
                return
            except (ApiException, requests.RequestException) as err:
                logger.warning("confirming the offset failed (%s): those updates will come "
                               "again and be skipped as duplicates", err)
                time.sleep(0.2 * (attempt + 1))


def counted(handle: Callable, pending: Pending) -> Callable:
    """``handle`` wrapped to mark each event done in ``pending``, whatever happens."""

    def run(event) -> None:
        try:
            handle(event)
        finally:
            pending.done()
    return run
