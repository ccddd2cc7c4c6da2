"""Telegram's flood limits, and injected failures, both deterministic.

Rate limits are token buckets like Telegram's documented advice (about 30 messages a second
overall, about one a second per chat, short bursts allowed); a request over a limit is answered
429 with ``retry_after``, and, as in Telegram's flood wait, every request to that chat (or any
chat, for the overall limit) keeps getting 429 until that time has passed.

Faults are drawn from a seeded random generator at a configurable rate, or scripted exactly
("the next 2 sendMessage calls answer 502"). Kinds:

- ``429``: Too Many Requests with ``parameters.retry_after``;
- ``500``: a JSON "Internal Server Error"; ``502``: an HTML Bad Gateway page, as nginx sends;
  ``5xx`` in a kind list stands for both;
- ``timeout``: hold the request ``delay`` seconds, then close the connection, not applied;
- ``slow``: hold the request ``delay`` seconds, then apply and answer it (whoever still waits);
- ``disconnect``: close the connection at once without an answer, not applied;
- ``error``: any Bot API error, with the ``code`` and ``description`` given.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import too_many_requests

__all__ = ["FAULT_KINDS", "Fault", "FaultConfig", "FaultInjector", "RateLimiter", "RateLimits"]

FAULT_KINDS = ("429", "500", "502", "timeout", "slow", "disconnect", "error")


@dataclass(frozen=True)
class RateLimits:
    """Flood limits: sustained messages per second and burst sizes, overall and per chat."""

    per_chat: float = 1.0
    per_chat_burst: int = 3
    overall: float = 30.0
    overall_burst: int = 30


class _Bucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.tokens = float(self.burst)
        self.stamp = now
        self.banned_until = 0.0

    def wait_needed(self, now: float) -> float:
        """Seconds until a token is free (0 if one is free now), refilling first."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.banned_until:
            return self.banned_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateLimiter:
    """Token buckets per bot: one overall and one per chat."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, int | None], _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, token: str, chat_id: int) -> None:
        """Take a message slot for ``chat_id``, or raise a 429 ApiError with retry_after."""
        with self._lock:
            now = self._clock()
            overall = self._bucket(
                (token, None), self.limits.overall, self.limits.overall_burst, now
            )
            chat = self._bucket(
                (token, chat_id), self.limits.per_chat, self.limits.per_chat_burst, now
            )
            for bucket in (overall, chat):
                wait = bucket.wait_needed(now)
                if wait > 0:
                    retry_after = max(1, math.ceil(wait))
                    if now >= bucket.banned_until:  # a wait already running is not extended
                        bucket.banned_until = now + retry_after
                    raise too_many_requests(retry_after)
            overall.tokens -= 1
            chat.tokens -= 1

    def _bucket(self, key: tuple[str, int | None], rate: float, burst: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, burst, now)
        return bucket


@dataclass(frozen=True)
class Fault:
    """One injected failure."""

    kind: str
    retry_after: int = 1
    delay: float = 5.0
    code: int = 400
    description: str = "Bad Request: injected error"


@dataclass(frozen=True)
class FaultConfig:
    """Random faults: at ``rate`` (0..1) per request, of ``kinds``, on ``methods`` (all if None)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "5xx", "timeout", "disconnect")
    methods: frozenset[str] | None = None
    delay: float = 5.0
    retry_after: int = 1
    seed: int | None = 0

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.rate}")
        unknown = set(self.kinds) - set(FAULT_KINDS) - {"5xx"}
        if unknown:
            raise ValueError(
                f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}, 5xx"
            )
        if self.methods is not None:
            object.__setattr__(self, "methods", frozenset(m.lower() for m in self.methods))


@dataclass
class _Scripted:
    method: str | None
    fault: Fault
    remaining: int


class FaultInjector:
    """Chooses which request fails and how: scripted faults first, then random ones."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._lock = threading.Lock()
        self._random = random.Random(self.config.seed)
        self._scripted: list[_Scripted] = []
        self.injected: list[tuple[str, str]] = []  # (method, kind), for tests and the control API

    def configure(self, config: FaultConfig) -> None:
        """Replace the random-fault settings and reseed."""
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)

    def fail_next(self, method: str | None, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` calls of ``method`` (any method if None) fail with ``fault``."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._scripted.append(_Scripted(method.lower() if method else None, fault, count))

    def clear(self) -> None:
        """Drop scripted faults and stop random ones."""
        with self._lock:
            self._scripted.clear()
            self.config = FaultConfig(seed=self.config.seed)

    def pick(self, method: str) -> Fault | None:
        """The fault for this call of ``method`` (lower case), or None to serve it normally."""
        with self._lock:
            for scripted in self._scripted:
                if scripted.method in (None, method):
                    scripted.remaining -= 1
                    if scripted.remaining <= 0:
                        self._scripted.remove(scripted)
                    self.injected.append((method, scripted.fault.kind))
                    return scripted.fault
            config = self.config
            if config.rate <= 0 or (config.methods is not None and method not in config.methods):
                return None
            if self._random.random() >= config.rate:
                return None
            kind = self._random.choice(_expand(config.kinds))
            self.injected.append((method, kind))
            return Fault(kind, retry_after=config.retry_after, delay=config.delay)


def _expand(kinds: Iterable[str]) -> list[str]:
    out: list[str] = []
    for kind in kinds:
        out.extend(("500", "502") if kind == "5xx" else (kind,))
    return out
