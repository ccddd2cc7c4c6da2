"""Updates normalised into events: what the engine reacts to, whatever Telegram sent."""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT, COMMAND, CALLBACK, CONTACT, OTHER = "text", "command", "callback", "contact", "other"


@dataclass
class Event:
    """One update from one user.

    ``kind`` is text, command, callback, contact or other (stickers, photos, ...);
    ``message_id``/``message_kind`` name the message a pressed button belongs to.
    """

    kind: str
    user_id: int
    chat_id: int
    update_id: int | None = None
    text: str = ""
    command: str = ""
    payload: str = ""
    callback_id: str | None = None
    data: str = ""
    message_id: int | None = None
    message_kind: str | None = None
    phone: str | None = None
    contact_user_id: int | None = None  # whose contact was shared (None: not a Telegram user)
    user: dict = field(default_factory=dict)
    content_type: str = ""

    @property
    def language_code(self) -> str | None:
        code = self.user.get("language_code")
        return code.split("-")[0].lower() if code else None


def _user(u) -> dict:
    return {"id": u.id, "first_name": u.first_name or "", "last_name": u.last_name or "",
            "username": u.username or "", "language_code": u.language_code}


def addressee(text: str) -> str | None:
    """The bot a command names (``/start@shop_bot`` -> ``shop_bot``), or ``None``."""
    if not text.startswith("/"):
        return None
    _, at, name = text.partition(" ")[0].partition("@")
    return name if at else None


def from_message(message, bot_username: str | None = None) -> Event:
    """An event from a telebot ``Message`` (text, command, contact or anything else).

    A command addressed to another bot (``/start@other_bot``) is not a command for this
    one (``bot_username``): it becomes an ``other`` event, never this bot's ``/start``.
    """
    base = {"user_id": message.from_user.id, "chat_id": message.chat.id,
            "update_id": getattr(message, "engine_update_id", None),
            "user": _user(message.from_user), "content_type": message.content_type}
    if message.content_type == "text":
        text = message.text or ""
        if text.startswith("/"):
            head, _, payload = text.partition(" ")
            name, to = head[1:].partition("@")[0], addressee(text)
            if to is not None and (bot_username is None or to.lower() != bot_username.lower()):
                return Event(OTHER, text=text, **{**base, "content_type": "command"})
            return Event(COMMAND, text=text, command=name.lower(),
                         payload=payload.strip(), **base)
        return Event(TEXT, text=text, **base)
    if message.content_type == "contact" and message.contact:
        return Event(CONTACT, phone=message.contact.phone_number,
                     contact_user_id=message.contact.user_id, **base)
    return Event(OTHER, **base)


def from_callback(query) -> Event:
    """An event from a telebot ``CallbackQuery`` (a pressed inline button)."""
    message = query.message
    kind = None
    chat_id = query.from_user.id
    message_id = None
    if message is not None:
        chat_id, message_id = message.chat.id, message.message_id
        kind = "photo" if getattr(message, "photo", None) else "text"
    return Event(CALLBACK, user_id=query.from_user.id, chat_id=chat_id,
                 update_id=getattr(query, "engine_update_id", None), callback_id=query.id,
                 data=query.data or "", message_id=message_id, message_kind=kind,
                 user=_user(query.from_user), content_type="callback_query")
