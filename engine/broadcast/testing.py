"""A transport for tests and replays: records what would have been sent, sends nothing."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from engine.broadcast.types import BLOCKED, SENT, Message, Result

__all__ = ["RecordingTransport"]


@dataclass
class RecordingTransport:
    """Answers every send with success, except to ``blocked`` chats (403); keeps them all."""

    blocked: set[int] = field(default_factory=set)
    sent: list[tuple[int, Message]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, chat_id: int, message: Message) -> Result:
        if chat_id in self.blocked:
            return Result(BLOCKED, code=403, description="Forbidden: bot was blocked by the user")
        with self._lock:
            self.sent.append((chat_id, message))
            return Result(SENT, message_id=next(self._ids))

    def close(self) -> None:
        """Nothing to close."""
