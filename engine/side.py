"""Side handlers: updates that are not a private conversation with the bot.

The conversation engine serves private chats, one user at a time. A bot may also serve
other updates beside it: button presses whose callback data starts with a handler's prefix
(on messages the bot posted anywhere, a group included) and messages in the chats a handler
watches (a staff group, one of its forum topics). Those go to the application's
:class:`SideHandler` s (``engine.run.Application.side_handlers``) instead of the engine,
synchronously, in the update's own thread; the engine never sees them.

A side handler owns its effects' exactly-once: Telegram may deliver an update twice, and
several processes may handle presses of one message at once (compare-and-set what it
changes, as the shop's staff desk does on the order's version).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)

__all__ = ["Post", "Press", "Replier", "SideHandler", "dispatch_message", "dispatch_press"]


@dataclass(frozen=True)
class Press:
    """A pressed inline button whose data a side handler owns."""

    callback_id: str
    data: str
    user: dict  # id, first_name, last_name, username, language_code
    chat_id: int | None
    message_id: int | None
    thread_id: int | None = None
    update_id: int | None = None


@dataclass(frozen=True)
class Post:
    """A message in a chat a side handler watches (a group, a forum topic)."""

    text: str
    user: dict
    chat_id: int
    message_id: int
    thread_id: int | None = None
    reply_to: int | None = None  # the message it answers (a bot's prompt, say)
    reply_to_bot: bool = False  # ... which the bot itself sent
    update_id: int | None = None
    content_type: str = "text"
    extra: dict = field(default_factory=dict)


class Replier(Protocol):
    """What a side handler may do at once, in answer to a press or a message."""

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None:
        """Answer a press (a toast, or an alert)."""

    def say(self, chat_id: int, text: str, *, thread_id: int | None = None,
            reply_to: int | None = None, force_reply: bool = False,
            buttons: list[list[tuple[str, str]]] | None = None,
            parse_mode: str | None = "HTML") -> int:
        """Send a message (in a topic, as a reply, asking for a reply); its message id."""

    def edit(self, chat_id: int, message_id: int, text: str, *,
             buttons: list[list[tuple[str, str]]] | None = None,
             parse_mode: str | None = "HTML") -> None:
        """Edit a message's text and inline buttons."""


class SideHandler(Protocol):
    """Presses of buttons whose data starts with :attr:`prefix`, and messages in the chats
    :meth:`watches`; neither reaches the conversation engine."""

    prefix: str

    def watches(self, chat_id: int, thread_id: int | None) -> bool:
        """Whether messages in this chat (and topic) are this handler's."""

    def on_press(self, press: Press) -> None:
        """A press of one of its buttons; it must be answered (``Replier.answer``)."""

    def on_post(self, post: Post) -> None:
        """A message in a watched chat."""


def _user(u) -> dict:
    return {"id": u.id, "first_name": u.first_name or "", "last_name": u.last_name or "",
            "username": u.username or "", "language_code": u.language_code}


def owner_of_press(handlers: Iterable[SideHandler], data: str | None) -> SideHandler | None:
    """The handler whose prefix ``data`` starts with (None: the engine's)."""
    return next((h for h in handlers if data and data.startswith(h.prefix)), None)


def owner_of_message(handlers: Iterable[SideHandler], message) -> SideHandler | None:
    """The handler watching the (non-private) chat ``message`` is in, or None."""
    if message.chat.type == "private" or message.from_user is None:
        return None
    thread = getattr(message, "message_thread_id", None)
    return next((h for h in handlers if h.watches(message.chat.id, thread)), None)


def dispatch_press(handler: SideHandler, query, replier: Replier) -> bool:
    """Hand a telebot ``CallbackQuery`` to ``handler``; False when it failed (logged, and the
    press answered so the client's spinner stops)."""
    message = query.message
    press = Press(callback_id=query.id, data=query.data or "", user=_user(query.from_user),
                  chat_id=message.chat.id if message is not None else None,
                  message_id=message.message_id if message is not None else None,
                  thread_id=getattr(message, "message_thread_id", None) if message else None,
                  update_id=getattr(query, "engine_update_id", None))
    try:
        handler.on_press(press)
        return True
    except Exception:  # broad on purpose, as the engine's: log it, stop the spinner
        logger.exception("side handler %s failed on press %r by %s", type(handler).__name__,
                         press.data, press.user.get("id"))
        try:
            replier.answer(press.callback_id)
        except Exception as err:  # already answered, or Telegram unreachable
            logger.info("could not answer the failed press: %s", err)
        return False


def dispatch_message(handler: SideHandler, message, bot_id: int | None) -> bool:
    """Hand a telebot ``Message`` of a watched chat to ``handler``; False when it failed."""
    replied = getattr(message, "reply_to_message", None)
    post = Post(text=message.text or message.caption or "", user=_user(message.from_user),
                chat_id=message.chat.id, message_id=message.message_id,
                thread_id=getattr(message, "message_thread_id", None),
                reply_to=replied.message_id if replied is not None else None,
                reply_to_bot=bool(replied is not None and replied.from_user is not None and
                                  bot_id is not None and replied.from_user.id == bot_id),
                update_id=getattr(message, "engine_update_id", None),
                content_type=message.content_type)
    try:
        handler.on_post(post)
        return True
    except Exception:  # broad on purpose: one bad message must not stop the others
        logger.exception("side handler %s failed on a message of %s in chat %s",
                         type(handler).__name__, post.user.get("id"), post.chat_id)
        return False


def inline(buttons: list[list[tuple[str, str]]] | None):
    """``[[(label, data), ...], ...]`` as the engine's inline markup (None: no buttons)."""
    from engine.render import Inline, InlineButton

    if not buttons:
        return None
    return Inline([[InlineButton(label, data) for label, data in row] for row in buttons])


class SenderReplier:
    """A :class:`Replier` over the engine's :class:`~engine.sender.Sender` (the stub in
    tests and in-process replays: topics and forced replies are not shown there)."""

    def __init__(self, sender) -> None:
        self.sender = sender

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None:
        self.sender.answer(callback_id, text, alert)

    def say(self, chat_id, text, *, thread_id=None, reply_to=None, force_reply=False,
            buttons=None, parse_mode="HTML") -> int:
        return self.sender.send(chat_id, text, None, inline(buttons), parse_mode)

    def edit(self, chat_id, message_id, text, *, buttons=None, parse_mode="HTML") -> None:
        self.sender.edit(chat_id, message_id, text, None, inline(buttons), parse_mode)
