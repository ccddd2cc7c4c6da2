"""Long polling that loses nothing when stopped: an offset is confirmed only past updates
that were processed.

Telegram forgets updates once ``getUpdates`` is called with an offset past them. telebot's
own loop confirms a batch as soon as it has dispatched it to worker threads, so a process
stopped (SIGTERM from systemd, Ctrl-C) with events still queued loses them. Here each batch
is processed to the end before the next ``getUpdates`` confirms it; a stop request during a
long poll abandons that poll (its updates stay unconfirmed: Telegram delivers them again),
and a stop request while a batch is being processed lets the batch finish first.

Pre-checkout queries must be answered within Telegram's 10 seconds, whatever else is under
way. So a batch's pre-checkout queries are dispatched before its other updates
(:class:`~engine.telegram.EngineBot`), work that may be slow (successful payments, the staff
chat's handlers, which call Telegram) runs :class:`Aside` of the poller's thread, and while a
batch is still being processed the poller looks for new updates every :data:`PEEK_EVERY`
seconds without confirming anything (the same offset): the pre-checkout queries among them
are answered at once, the rest come again with the next batch.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import requests
from telebot.apihelper import ApiException

logger = logging.getLogger(__name__)
PEEK_EVERY = 0.5  # seconds: how often a batch in progress lets new pre-checkout queries by
BATCH = 50  # updates per getUpdates; a peek takes 100, so it sees past a whole batch


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


class Aside:
    """Runs work that may be slow (a successful payment, the staff chat's handlers, which
    call Telegram) off the poller's thread, one at a time in the order it came, counted in
    ``pending``: the batch is confirmed only once it is done, and an update whose work
    failed (it returned False, or raised) is fetched again. Given to
    :func:`~engine.telegram.attach` as ``aside``."""

    def __init__(self, pending: Pending) -> None:
        self.pending = pending
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-aside")

    def __call__(self, update_id: int | None, work: Callable[[], bool]) -> None:
        self.pending.add()
        self._pool.submit(self._run, update_id, work)

    def _run(self, update_id: int | None, work: Callable[[], bool]) -> None:
        ok = False
        try:
            ok = work() is not False
        except Exception:  # broad on purpose: the update is marked failed, fetched again
            logger.exception("update %s failed", update_id)
        finally:
            self.pending.done(None if ok or update_id is None else update_id)

    def stop(self) -> None:
        self._pool.shutdown(wait=True)


class Poller:
    """Polls ``bot`` until :meth:`stop` (or SIGTERM/SIGINT with :meth:`run_until_signalled`).

    ``bot.process_new_updates`` dispatches a batch; ``pending`` must count every event the
    dispatch handed to worker threads (see :class:`~engine.telegram.OrderedWorkers`).
    """

    def __init__(self, bot, pending: Pending, *, timeout: int = 20,
                 allowed_updates: list[str] | None = None, retry_delay: float = 1.0,
                 max_attempts: int = 10, peek_every: float | None = PEEK_EVERY,
                 batch: int = BATCH) -> None:
        self.bot = bot
        self.pending = pending
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self._attempts: dict[int, int] = {}
        self.peek_every = peek_every
        self.batch = batch
        self._answered: set[int] = set()  # pre-checkout queries answered, not confirmed
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
                        offset=self.offset, limit=self.batch, timeout=self.timeout + 10,
                        long_polling_timeout=self.timeout, allowed_updates=self.allowed_updates)
            except _Interrupted:
                break
            except (ApiException, requests.RequestException) as err:
                logger.warning("getUpdates failed (%s); again in %.0fs", err, self.retry_delay)
                self._stop.wait(self.retry_delay)
                continue
            if not updates:
                continue
            fresh = [u for u in updates if u.update_id not in self._answered]
            # a query answered once is not answered again when its batch is fetched again
            self._answered.update(u.update_id for u in fresh if _urgent(u))
            if fresh:
                self.bot.process_new_updates(fresh)
            while not self.pending.wait(self.peek_every):
                self._peek(updates[-1].update_id)
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
            self._answered = {u for u in self._answered if u >= self.offset}
        self._confirm()

    def _peek(self, last: int) -> None:
        """Answer the pre-checkout queries that came after the batch in progress (ids past
        ``last``), fetched with the same offset: nothing is confirmed, everything else
        comes again with the next batch."""
        try:
            fetched = self.bot.get_updates(offset=self.offset, limit=100, timeout=5,
                                           long_polling_timeout=1,
                                           allowed_updates=self.allowed_updates)
        except (ApiException, requests.RequestException) as err:
            logger.debug("getUpdates while a batch is processed failed: %s", err)
            return
        urgent = [u for u in fetched if u.update_id > last and _urgent(u)
                  and u.update_id not in self._answered]
        if urgent:
            self._answered.update(u.update_id for u in urgent)
            self.bot.process_new_updates(urgent)

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
        with self.signals():
            self.run()

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT ask the poller to stop while inside (main thread only): enter
        it before starting anything a signal should not cut short (a signal that comes
        before :meth:`run` makes it return at once)."""
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
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


def _urgent(update) -> bool:
    """A pre-checkout query: Telegram waits 10 seconds for its answer, then refuses it."""
    return getattr(update, "pre_checkout_query", None) is not None


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
