"""The sender seam: how the engine talks to Telegram, and a recording stub for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import EngineError
from engine.render import Inline, RemoveKeyboard, ReplyKeyboard

Markup = Inline | ReplyKeyboard | RemoveKeyboard | None


class SendError(EngineError):
    """Telegram refused a request; ``code`` and ``description`` are Telegram's."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class Blocked(SendError):
    """403: the user blocked the bot."""


class Sender(Protocol):
    """Sends, edits and deletes messages and answers button presses.

    Implementations treat "message is not modified" as success, wait out 429s, and raise
    :class:`SendError` for anything else Telegram refuses (:class:`Blocked` for 403).
    """

    def send(self, chat_id: int, text: str, photo: str | None, markup: Markup,
             parse_mode: str | None) -> int: ...

    def edit(self, chat_id: int, message_id: int, text: str, photo: str | None,
             markup: Markup, parse_mode: str | None) -> None: ...

    def delete(self, chat_id: int, message_id: int) -> None: ...

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None: ...


@dataclass
class SentMessage:
    """A message as the stub holds it: the latest content after any edits."""

    message_id: int
    chat_id: int
    text: str
    photo: str | None = None
    markup: Markup = None
    deleted: bool = False
    edits: int = 0
    parse_mode: str | None = None  # how the text is to be read: "HTML", or None for plain

    @property
    def kind(self) -> str:
        return "photo" if self.photo else "text"

    @property
    def buttons(self) -> list[list[str]]:
        if isinstance(self.markup, Inline):
            return [[b.label for b in row] for row in self.markup.rows]
        return []


@dataclass
class Action:
    """One thing the bot did, in order: send, edit, delete or answer."""

    kind: str
    chat_id: int | None = None
    message_id: int | None = None
    text: str | None = None
    photo: str | None = None
    alert: bool = False


@dataclass
class StubSender:
    """A sender that keeps messages in memory and checks Telegram's main rules."""

    messages: dict[int, SentMessage] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    answered: dict[str, str | None] = field(default_factory=dict)
    next_id: int = 1
    keyboards: dict[int, ReplyKeyboard | None] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot (403)
    invoices: dict[int, object] = field(default_factory=dict)  # message id -> Invoice
    pre_checkouts: dict[str, tuple[bool, str | None]] = field(default_factory=dict)
    refunds: dict[str, int] = field(default_factory=dict)  # charge id -> user id
    charges: dict[str, int] = field(default_factory=dict)  # Stars charges paid: id -> user

    def _check(self, text: str, photo: str | None, markup: Markup,
               parse_mode: str | None = None) -> None:
        # Telegram's own parser (the fake server's): what it refuses is refused here too,
        # so a script cannot pass in-process and fail against Telegram
        from faketelegram.entities import format_text
        from faketelegram.errors import ApiError

        try:
            visible = format_text(text or "", parse_mode).text
        except ApiError as err:
            raise SendError(err.code, err.description) from None
        limit = 1024 if photo else 4096
        if not photo and not visible:
            raise SendError(400, "Bad Request: message text is empty")
        if len(visible) > limit:
            raise SendError(400, "Bad Request: message caption is too long" if photo
                            else "Bad Request: message is too long")
        if isinstance(markup, Inline):
            if sum(map(len, markup.rows)) > 100 or any(len(row) > 8 for row in markup.rows):
                raise SendError(400, "Bad Request: reply markup is too long")
            for row in markup.rows:
                for button in row:
                    if not 1 <= len(button.data.encode()) <= 64:
                        raise SendError(400, "Bad Request: BUTTON_DATA_INVALID")

    def send(self, chat_id, text, photo, markup, parse_mode) -> int:
        if chat_id in self.blocked:
            raise Blocked(403, "Forbidden: bot was blocked by the user")
        self._check(text, photo, markup, parse_mode)
        message = SentMessage(self.next_id, chat_id, text, photo, markup, parse_mode=parse_mode)
        self.messages[message.message_id] = message
        self.next_id += 1
        if isinstance(markup, ReplyKeyboard):
            self.keyboards[chat_id] = markup
        elif isinstance(markup, RemoveKeyboard):
            self.keyboards[chat_id] = None
        self.actions.append(Action("send", chat_id, message.message_id, text, photo))
        return message.message_id

    def edit(self, chat_id, message_id, text, photo, markup, parse_mode) -> None:
        self._check(text, photo, markup, parse_mode)
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.chat_id != chat_id:
            raise SendError(400, "Bad Request: message to edit not found")
        if isinstance(markup, ReplyKeyboard | RemoveKeyboard):
            raise SendError(400, "Bad Request: inline keyboard expected")
        if message.photo and not photo:
            raise SendError(400, "Bad Request: there is no text in the message to edit")
        if (message.text, message.photo, message.markup) == (text, photo, markup):
            return  # "message is not modified": success
        if not message.photo and photo:
            raise SendError(400, "Bad Request: there is no media in the message to edit")
        message.text, message.photo, message.markup = text, photo, markup
        message.parse_mode = parse_mode
        message.edits += 1
        self.actions.append(Action("edit", chat_id, message_id, text, photo))

    def delete(self, chat_id, message_id) -> None:
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            raise SendError(400, "Bad Request: message to delete not found")
        message.deleted = True
        self.actions.append(Action("delete", chat_id, message_id))

    def answer(self, callback_id, text=None, alert=False) -> None:
        if callback_id in self.answered:
            raise SendError(400, "Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
        self.answered[callback_id] = text
        self.actions.append(Action("answer", text=text, alert=alert))

    # -- payments (engine/payments.py), checked as Telegram checks them --------------------
    def send_invoice(self, chat_id: int, invoice) -> int:
        """An invoice message: its title and description as the text, "Pay" as its button."""
        if chat_id in self.blocked:
            raise Blocked(403, "Forbidden: bot was blocked by the user")
        problems = invoice.problems()
        if problems:
            raise SendError(400, f"Bad Request: invoice: {problems[0]}")
        message = SentMessage(self.next_id, chat_id, f"{invoice.title}\n{invoice.description}")
        self.messages[message.message_id] = message
        self.invoices[message.message_id] = invoice
        self.next_id += 1
        self.actions.append(Action("invoice", chat_id, message.message_id, message.text))
        return message.message_id

    def answer_pre_checkout(self, query_id: str, ok: bool,
                            error_message: str | None = None) -> None:
        if query_id in self.pre_checkouts:
            raise SendError(400, "Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
        if not ok and not error_message:
            raise SendError(400, "Bad Request: error_message is required when ok is false")
        self.pre_checkouts[query_id] = (ok, error_message)
        self.actions.append(Action("pre_checkout", text=error_message, alert=not ok))

    def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        if charge_id in self.refunds:
            raise SendError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        if self.charges.get(charge_id) != user_id:
            raise SendError(400, "Bad Request: CHARGE_NOT_FOUND")
        self.refunds[charge_id] = user_id
        self.actions.append(Action("refund", user_id, text=charge_id))

    def chat(self, chat_id: int) -> list[SentMessage]:
        """The chat's messages as the user sees them now, oldest first."""
        return [m for m in self.messages.values() if m.chat_id == chat_id and not m.deleted]
