"""A transport for tests and replays: records what would have been sent, sends nothing."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from engine.broadcast.types import BLOCKED, FAILED, SENT, Message, Result

__all__ = ["RecordingTransport", "SenderTransport"]


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


class SenderTransport:
    """A :class:`~engine.broadcast.Transport` over the engine's
    :class:`~engine.sender.Sender` (the stub of in-process replays): what is sent shows in
    its chats as the bot's other messages do."""

    def __init__(self, sender) -> None:
        self.sender = sender

    def send(self, chat_id: int, message: Message) -> Result:
        from engine.render import Inline, InlineButton
        from engine.sender import Blocked, SendError

        markup = Inline([[InlineButton(label, data) for label, data in row]
                         for row in message.buttons]) if message.buttons else None
        try:
            if message.invoice is not None:
                return Result(SENT, message_id=self.sender.send_invoice(chat_id,
                                                                        message.invoice))
            if message.edit is not None:
                self.sender.edit(chat_id, message.edit, message.text, None, markup,
                                 message.parse_mode)
                return Result(SENT, message_id=message.edit)
            sent = self.sender.send(chat_id, message.text, message.photo, markup,
                                    message.parse_mode)
        except Blocked as err:
            return Result(BLOCKED, code=403, description=err.description)
        except SendError as err:
            return Result(FAILED, code=err.code, description=err.description)
        return Result(SENT, message_id=sent)

    def close(self) -> None:
        """Nothing to close."""
