"""Pacing sends under Telegram's limits: a global rate and a minimum interval per chat.

Telegram allows about 30 messages a second across chats and about one a second per chat.
Rather than bursting and waiting for 429s, the limiter spaces sends evenly: each send
reserves the next free slot (``1/rate`` seconds after the previous one) and waits for it.
A flood wait (429) pauses one chat, or everything, until its ``retry_after`` has passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Thread-safe pacing: ``acquire()`` a global slot, then ``reserve_chat()`` the chat.

    Memory stays bounded: a chat is remembered only until its interval has passed.
    """

    def __init__(self, rate: float, *, per_chat_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self._rate = float(rate)
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0  # the earliest moment of the next global slot
        self._paused_until = 0.0
        self._chats: dict[int, float] = {}  # chat id -> earliest moment of its next send
        self._prune_at = 256  # forget chats whose interval has passed when there are more

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the rate (several workers share the configured one)."""
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        with self._lock:
            self._rate = float(rate)

    def acquire(self, stopping: threading.Event | None = None) -> bool:
        """Wait for the next global slot; False if ``stopping`` was set meanwhile."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + 1.0 / self._rate
        delay = slot - now
        if delay <= 0:
            return not (stopping and stopping.is_set())
        if stopping is None:
            time.sleep(delay)
            return True
        return not stopping.wait(delay)

    def pause(self, seconds: float) -> None:
        """A flood wait for the whole bot: no slot is given before ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def chat_wait(self, chat_id: int) -> float:
        """Seconds before ``chat_id`` may get another message (0 when it may now)."""
        with self._lock:
            return max(0.0, self._chats.get(chat_id, 0.0) - self._clock())

    def reserve_chat(self, chat_id: int) -> float:
        """Take ``chat_id``'s turn: 0 if a send to it may start now (the next one then waits
        ``per_chat_interval``), else the seconds to wait, and nothing is taken.

        Checking and taking are one step, so two threads sending different broadcasts
        to one chat cannot both find it free.
        """
        with self._lock:
            now = self._clock()
            wait = self._chats.get(chat_id, 0.0) - now
            if wait > 0:
                return wait
            self._chats[chat_id] = now + self.per_chat_interval
            if len(self._chats) > self._prune_at:  # amortised: about twice the chats in play
                self._chats = {c: t for c, t in self._chats.items() if t > now}
                self._prune_at = max(256, 2 * len(self._chats))
            return 0.0

    def flood(self, chat_id: int, seconds: float) -> None:
        """A 429 for ``chat_id``: nothing more to it for ``seconds``."""
        with self._lock:
            self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), self._clock() + seconds)
