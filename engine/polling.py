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


class _Interrupted(BaseException):
    """Raised in the main thread by the signal handler to abandon a long poll.

    A BaseException, as KeyboardInterrupt is: the HTTP libraries under ``getUpdates`` catch
    ``Exception`` in places (to retry, or to wrap it), which would swallow the stop."""


class Pending:
    """Counts events handed to workers and not finished yet; :meth:`wait` blocks until none.

    ``failed`` collects the update ids of events that could not be processed (the database
    unreachable, ...): their batch is not confirmed past them.
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()
        self.failed: list[int] = []

    def add(self) -> None:
        with self._idle:
            self._count += 1

    def done(self, failed_update: int | None = None) -> None:
        with self._idle:
            self._count -= 1
            if failed_update is not None:
                self.failed.append(failed_update)
            if self._count <= 0:
                self._idle.notify_all()

    def take_failed(self) -> list[int]:
        with self._idle:
            failed, self.failed = self.failed, []
            return failed

    def wait(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count <= 0, timeout)


class Poller:
    """Polls ``bot`` until :meth:`stop` (or SIGTERM/SIGINT with :meth:`run_until_signalled`).

    ``bot.process_new_updates`` dispatches a batch; ``pending`` must count every event the
    dispatch handed to worker threads (see :class:`~engine.telegram.OrderedWorkers`).
    """

    def __init__(self, bot, pending: Pending, *, timeout: int = 20,
                 allowed_updates: list[str] | None = None, retry_delay: float = 1.0,
                 max_attempts: int = 10) -> None:
        self.bot = bot
        self.pending = pending
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self._attempts: dict[int, int] = {}
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
            failed = [u for u in self.pending.take_failed() if self._retry(u)]
            if failed:
                # not confirmed past the first update that failed: Telegram delivers it (and
                # those after it, which are skipped as processed) again
                self.offset = min(failed)
                logger.warning("updates %s not processed: fetched again in %.0fs",
                               sorted(failed), self.retry_delay)
                self._stop.wait(self.retry_delay)
            else:
                self.offset = updates[-1].update_id + 1
        self._confirm()

    def _retry(self, update_id: int) -> bool:
        """Whether to fetch a failed update again (a few times; then it is given up, with an
        error in the log, rather than holding up every update behind it forever)."""
        self._attempts[update_id] = self._attempts.get(update_id, 0) + 1
        if self._attempts[update_id] <= self.max_attempts:
            return True
        logger.error("update %s failed %d times: given up", update_id, self.max_attempts)
        del self._attempts[update_id]
        return False

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
                # (a long_polling_timeout of 0 would mean telebot's default of 10 s)
                self.bot.get_updates(offset=self.offset, limit=1, timeout=5,
                                     long_polling_timeout=1,
                                     allowed_updates=self.allowed_updates)
                logger.info("confirmed updates before %s", self.offset)
                return
            except (ApiException, requests.RequestException) as err:
                logger.warning("confirming the offset failed (%s): those updates will come "
                               "again and be skipped as duplicates", err)
                time.sleep(0.2 * (attempt + 1))


def counted(handle: Callable, pending: Pending) -> Callable:
    """``handle`` wrapped to mark each event done in ``pending``, whatever happens; an event
    ``handle`` could not process (it returned False, or raised) is marked failed."""

    def run(event) -> None:
        ok = False
        try:
            ok = handle(event) is not False
        finally:
            pending.done(None if ok or event.update_id is None else event.update_id)
    return run
