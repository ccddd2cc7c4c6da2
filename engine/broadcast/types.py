"""What a broadcast worker works with: messages, Telegram's answers, and the seams.

The worker (:mod:`engine.broadcast.worker`) knows nothing of where recipients come from or
where their delivery state is kept: an application gives it a :class:`Queue` of
:class:`Batch` es (durable, claimed atomically) and a :class:`Transport` to Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engine.errors import EngineError

# what a recipient's delivery ended as (the batch records it)
SENT, BLOCKED, FAILED = "sent", "blocked", "failed"


@dataclass(frozen=True)
class Message:
    """One message as every recipient of a language gets it: text (a caption with a photo).

    A notification may also carry inline ``buttons`` (rows of ``(label, callback data)``),
    go to a forum topic (``thread_id``), or replace the text and buttons of a message sent
    before (``edit``: its message id; Telegram's "message is not modified" counts as sent).
    """

    text: str
    photo: str | None = None  # a local path (uploaded once), an HTTP(S) URL or a file_id
    parse_mode: str | None = "HTML"
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    thread_id: int | None = None
    edit: int | None = None
    # an :class:`engine.payments.Invoice` to send instead of a text (``sendInvoice``)
    invoice: object | None = None


@dataclass(frozen=True)
class Result:
    """What Telegram answered to one send, sorted into what the worker does about it.

    ``kind`` is one of :data:`SENT`, :data:`BLOCKED` (403), :data:`FAILED` (any other 4xx:
    final), ``"retry_after"`` (429: wait ``retry_after`` seconds), ``"transient"`` (5xx,
    timeouts, broken connections: retried with backoff) or ``"fatal"`` (401/404: the token
    or the server's URL is wrong, so nothing can be sent; the worker stops).
    """

    kind: str
    message_id: int | None = None
    code: int | None = None
    description: str = ""
    retry_after: float = 0.0


RETRY_AFTER, TRANSIENT, FATAL = "retry_after", "transient", "fatal"


class Fatal(EngineError):
    """The worker cannot send anything (wrong token or server URL): it stops, nothing is lost."""


class Transport(Protocol):
    """Sends one message to one chat and says what happened; never raises for Telegram's no."""

    def send(self, chat_id: int, message: Message) -> Result: ...

    def close(self) -> None: ...


class Batch(Protocol):
    """A share of one broadcast's recipients, claimed by this worker until closed.

    Every state change is conditional on the claim still being ours, so a worker that lost
    it (it stalled past its lease and another took over) learns so from a ``False`` and
    stops touching the batch.

    A recipient is a chat id; a batch whose recipients are other keys (an outbox's entries,
    several of which may go to one chat) also has ``chat_of(key) -> int``, the chat that
    key's message goes to (paced per chat, as chats are).
    """

    key: str

    def recipients(self) -> list[int]:
        """The chat ids still to be sent to, in order (none in flight)."""

    def message(self, chat_id: int) -> Message:
        """What ``chat_id`` gets (its language's text)."""

    def begin(self, chat_id: int) -> bool:
        """Record that a send to ``chat_id`` starts now (the in-doubt window opens)."""

    def finish(self, chat_id: int, outcome: str, description: str = "",
               message_id: int | None = None) -> bool:
        """Record the final outcome: :data:`SENT` (with the sent message's id),
        :data:`BLOCKED` or :data:`FAILED`."""

    def retry(self, chat_id: int) -> bool:
        """Telegram did not take the message: ``chat_id`` is pending again."""

    def keep_alive(self) -> bool:
        """Extend the claim; ``False`` when it is no longer ours."""

    def cancelled(self) -> bool:
        """Whether the broadcast was cancelled (checked cheaply, between sends)."""

    def close(self, complete: bool) -> None:
        """Mark the batch done (``complete``) or hand it back for another claim."""


class Queue(Protocol):
    """Where batches come from; also the worker's housekeeping and its share of the rate."""

    def tick(self) -> int:
        """Housekeeping (heartbeat, finishing broadcasts); returns how many workers are alive."""

    def expand(self, stopping) -> bool:
        """Split queued recipients into batches until done or ``stopping()``; True if it did any."""

    def claim(self) -> Batch | None:
        """A batch for this worker, or None when there is nothing to send right now."""

    def pending(self) -> bool:
        """Whether any broadcast still has work to do."""

    def close(self) -> None:
        """This worker is leaving (graceful stop)."""
