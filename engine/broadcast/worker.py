"""The broadcast worker: threads that claim batches and send under Telegram's limits.

Per recipient: wait for a global slot and the chat's own interval, record the send as
begun (durably: from here until the outcome is recorded, a crash leaves it *in doubt*),
send, record the outcome. Telegram's answers decide what follows:

- 429: the chat waits ``retry_after`` and the message is sent again; three 429s in a row
  mean the bot as a whole is over its limit, so every thread pauses that long;
- 403: the user blocked the bot (final); any other 4xx: failed, with Telegram's reason;
- 5xx, timeouts, broken connections: sent again after 1, 2, 4... seconds (capped), up to
  ``max_attempts`` times, then failed;
- 401/404: the token or the URL is wrong; the worker stops and nothing is marked.

A 429 or a 5xx means Telegram did not take the message, so sending it again is safe.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from dataclasses import dataclass, field

from engine.broadcast.ratelimit import RateLimiter
from engine.broadcast.types import (
    BLOCKED,
    FAILED,
    FATAL,
    RETRY_AFTER,
    SENT,
    Batch,
    Fatal,
    Queue,
    Transport,
)

logger = logging.getLogger(__name__)

__all__ = ["Worker"]

FLOODS_IN_A_ROW = 3  # 429s without a success between them that pause every thread
_LOST, _DONE, _LATER = "lost", "done", "later"


@dataclass(order=True)
class _Item:
    """A recipient waiting in a batch: when it may be tried, and how it went so far."""

    ready: float
    seq: int
    chat_id: int = field(compare=False)  # the batch's key of the recipient
    chat: int = field(compare=False, default=0)  # the chat its message goes to
    attempts: int = field(compare=False, default=0)
    floods: int = field(compare=False, default=0)


class Worker:
    """Sends queued broadcasts with ``threads`` threads at ``rate`` messages per second.

    The rate is shared: with N live workers (processes or threads of other processes, as
    the queue counts them) each sends at ``rate / N``. ``lease`` is how long a claim lasts
    without renewal; ``start()`` runs in the background, ``stop()`` lets in-flight sends
    finish and hands unfinished batches back. ``name`` tells workers apart in the log and
    in thread names (the polling bot runs the broadcasts' and the outbox's side by side).
    """

    def __init__(self, queue: Queue, transport: Transport, *, rate: float = 25.0,
                 threads: int = 4, lease: float = 60.0, max_attempts: int = 5,
                 backoff: tuple[float, float] = (1.0, 30.0), max_floods: int = 10,
                 poll: float = 1.0, tick: float = 2.0, per_chat_interval: float = 1.0,
                 name: str = "broadcast") -> None:
        self.name = name
        self.queue = queue
        self.transport = transport
        self.rate = rate
        self.limiter = RateLimiter(rate, per_chat_interval=per_chat_interval)
        self.threads = threads
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_floods = max_floods
        self.poll = poll
        self.tick_interval = tick
        self.error: Fatal | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._floods_in_row = 0
        self._seq = itertools.count()

    # -- running -------------------------------------------------------------------------
    def start(self) -> Worker:
        """Start the housekeeping, expanding and sending threads (daemons)."""
        self._tick()
        loops = [("tick", self._ticking), ("expand", self._expanding)] + \
                [(f"send-{i}", self._sending) for i in range(self.threads)]
        for name, target in loops:
            thread = threading.Thread(target=target, name=f"{self.name}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("%s worker started: %d threads, %.1f msg/s", self.name, self.threads,
                    self.rate)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop: in-flight sends finish, unfinished batches go back to the queue."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        self.queue.close()
        self.transport.close()
        logger.info("%s worker stopped", self.name)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker stops (by :meth:`stop` or a fatal error); True if it did."""
        return self._stopping.wait(timeout)

    def run_until_idle(self, timeout: float = 120.0) -> None:
        """Start, send until no broadcast has work left, stop (for scripts and tests)."""
        self.start()
        deadline = time.monotonic() + timeout
        try:
            while self.queue.pending() and not self._stopping.is_set():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"broadcasts still pending after {timeout}s")
                time.sleep(0.05)
        finally:
            self.stop()

    def drain(self, timeout: float = 30.0) -> None:
        """Send everything claimable now on the calling thread, then return (in-process
        replays and tests: what a running worker would do in the background)."""
        self._tick()
        deadline = time.monotonic() + timeout
        while not self._send_batch():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the queue still had work after {timeout}s")

    # -- the threads ---------------------------------------------------------------------
    def _guarded(self, step, pause: float) -> None:
        """Run ``step`` until stopping; an error is logged and retried after ``pause``.

        Broad on purpose: a database or network hiccup must not kill a worker thread
        silently; what was claimed stays claimed and is taken over after its lease.
        """
        while not self._stopping.is_set():
            try:
                idle = step()
            except Fatal as err:
                logger.error("broadcast worker stops: %s", err)
                self.error = err
                self._stopping.set()
                return
            except Exception:
                logger.exception("broadcast worker: %s failed; retrying in %.0fs",
                                 threading.current_thread().name, pause)
                idle = True
            if idle:
                self._stopping.wait(pause)

    def _tick(self) -> bool:
        workers = max(1, self.queue.tick())
        self.limiter.set_rate(self.rate / workers)
        return True

    def _ticking(self) -> None:
        self._stopping.wait(self.tick_interval)
        self._guarded(self._tick, self.tick_interval)

    def _expanding(self) -> None:
        self._guarded(lambda: not self.queue.expand(self._stopping.is_set), self.poll)

    def _sending(self) -> None:
        self._guarded(self._send_batch, self.poll)

    def _send_batch(self) -> bool:
        batch = self.queue.claim()
        if batch is None:
            return True
        complete = False
        try:
            complete = self._work(batch)
        finally:
            batch.close(complete)
        logger.info("batch %s %s", batch.key, "done" if complete else "handed back")
        return False

    # -- one batch -----------------------------------------------------------------------
    def _work(self, batch: Batch) -> bool:
        """Send to the batch's recipients; True when each has a final outcome."""
        chat_of = getattr(batch, "chat_of", None)
        todo = [_Item(0.0, next(self._seq), key, chat_of(key) if chat_of else key)
                for key in batch.recipients()]
        todo.reverse()  # popped from the end: in order
        later: list[_Item] = []
        renew_every = self.lease / 3
        renew_at = time.monotonic() + renew_every
        while not self._stopping.is_set():
            if batch.cancelled():
                return False
            now = time.monotonic()
            if now >= renew_at:
                if not batch.keep_alive():
                    logger.warning("batch %s: claim lost (stalled past its lease)", batch.key)
                    return False
                renew_at = now + renew_every
            if later and later[0].ready <= now:
                item = heapq.heappop(later)
            elif todo:
                item = todo.pop()
            elif later:
                self._stopping.wait(min(later[0].ready - now, max(0.0, renew_at - now)))
                continue
            else:
                return True
            wait = self.limiter.chat_wait(item.chat)
            if wait > 0:
                item.ready = now + wait
                heapq.heappush(later, item)
                continue
            if not self.limiter.acquire(self._stopping):
                return False
            wait = self.limiter.reserve_chat(item.chat)
            if wait > 0:  # another thread took the chat's turn meanwhile (another broadcast)
                item.ready = time.monotonic() + wait
                heapq.heappush(later, item)
                continue
            step = self._send_one(batch, item)
            if step == _LOST:
                logger.warning("batch %s: claim lost (taken over)", batch.key)
                return False
            if step == _LATER:
                heapq.heappush(later, item)
        return False

    def _send_one(self, batch: Batch, item: _Item) -> str:
        chat_id = item.chat_id
        if not batch.begin(chat_id):
            return _LOST
        result = self.transport.send(item.chat, batch.message(chat_id))
        logger.debug("batch %s chat %s: %s %s", batch.key, chat_id, result.kind,
                     result.description)
        if result.kind == SENT:
            self._flood_streak(reset=True)
            done = batch.finish(chat_id, SENT, message_id=result.message_id) \
                if result.message_id is not None else batch.finish(chat_id, SENT)
            return _DONE if done else _LOST
        if result.kind in (BLOCKED, FAILED):
            return _DONE if batch.finish(chat_id, result.kind, result.description) else _LOST
        if result.kind == FATAL:
            batch.retry(chat_id)
            raise Fatal(f"{result.code}: {result.description} (check BOT_TOKEN and "
                        "TELEGRAM_API_URL)")
        if result.kind == RETRY_AFTER:
            item.floods += 1
            self.limiter.flood(item.chat, result.retry_after)
            if self._flood_streak() >= FLOODS_IN_A_ROW:
                logger.warning("429s in a row: every send pauses %.0fs", result.retry_after)
                self.limiter.pause(result.retry_after)
            if item.floods > self.max_floods:
                return self._give_up(batch, item, result.description)
            delay = result.retry_after
        else:  # transient: 5xx, timeout, connection
            item.attempts += 1
            if item.attempts >= self.max_attempts:
                return self._give_up(batch, item, result.description)
            base, cap = self.backoff
            delay = min(cap, base * 2 ** (item.attempts - 1)) * random.uniform(0.75, 1.0)
        logger.info("batch %s chat %s: %s (%s); again in %.1fs", batch.key, chat_id,
                    result.kind, result.description, delay)
        if not batch.retry(chat_id):
            return _LOST
        item.ready = time.monotonic() + delay
        return _LATER

    def _give_up(self, batch: Batch, item: _Item, description: str) -> str:
        reason = f"{description} (gave up after {item.attempts + item.floods} tries)"
        logger.warning("batch %s chat %s: %s", batch.key, item.chat_id, reason)
        return _DONE if batch.finish(item.chat_id, FAILED, reason) else _LOST

    def _flood_streak(self, reset: bool = False) -> int:
        with self._lock:
            self._floods_in_row = 0 if reset else self._floods_in_row + 1
            return self._floods_in_row
