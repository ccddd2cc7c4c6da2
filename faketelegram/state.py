"""The fake Telegram's world, as plain records: users, bots, chats, messages, callback queries.

Everything here is guarded by :class:`~.world.World`'s lock; nothing in this module locks.
A private chat's id is its user's id, as in Telegram; a group (``World.group``) is a chat
whose record is a :class:`User` with ``chat_type`` "group" or "supergroup" and a negative id,
where its members write and press buttons.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .payments import Charge, Invoice, PreCheckout

__all__ = [
    "DEFAULT_ALLOWED_UPDATES",
    "BotState",
    "CallbackQuery",
    "Chat",
    "PendingUpdate",
    "StoredMessage",
    "User",
    "Webhook",
]

# What Telegram delivers when allowed_updates is not set (or set to an empty list).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class User:
    """A Telegram user (a person, or a bot's own account)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    phone_number: str | None = None  # shared when the user presses a request_contact button
    blocked: set[str] = field(default_factory=set)  # tokens of the bots this user blocked
    chat_type: str = "private"  # "group" or "supergroup": this record is a group chat
    title: str | None = None  # a group's title
    is_forum: bool = False  # a supergroup with topics (messages carry message_thread_id)
    members: set[int] = field(default_factory=set)  # a group's members' user ids

    def to_json(self) -> dict:
        """The Bot API ``User`` object."""
        data: dict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    def chat_json(self) -> dict:
        """The Bot API ``Chat`` object of the private chat with this user (of the group)."""
        if self.chat_type != "private":
            return {"id": self.id, "title": self.title or self.first_name,
                    "type": self.chat_type, **({"is_forum": True} if self.is_forum else {})}
        data: dict = {"id": self.id, "first_name": self.first_name}
        for name in ("last_name", "username"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        data["type"] = "private"
        return data


@dataclass
class StoredMessage:
    """A message in a chat: its current Bot API JSON, who sent it, and whether it is gone."""

    data: dict
    from_bot: bool
    deleted: bool = False
    keyboard: dict | None = None  # a reply keyboard sent with it (not part of the Message JSON)

    @property
    def message_id(self) -> int:
        """The message's id in its chat."""
        return int(self.data["message_id"])

    def to_json(self) -> dict:
        """A copy of the Bot API ``Message`` object, safe to hand out."""
        return copy.deepcopy(self.data)


@dataclass
class Chat:
    """A private chat between one user and one bot, with everything that happened in it."""

    user: User
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    transcript: list[dict] = field(default_factory=list)
    next_message_id: int = 1
    keyboard: dict | None = None  # the reply keyboard the user currently sees
    last_input_seq: int = 0  # transcript seq of the user's latest action

    @property
    def id(self) -> int:
        """The chat id (the user's id)."""
        return self.user.id

    def new_message_id(self) -> int:
        """Allocate the next message id; user and bot messages share one sequence."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def record(self, actor: str, action: str, **fields: object) -> dict:
        """Append a transcript entry; ``None`` fields are left out."""
        entry: dict = {"seq": len(self.transcript) + 1, "time": time.time(), "actor": actor}
        entry["action"] = action
        entry.update({key: value for key, value in fields.items() if value is not None})
        self.transcript.append(entry)
        if actor == "user":
            self.last_input_seq = entry["seq"]
        return entry

    def bot_actions_since(self, seq: int) -> list[dict]:
        """The bot's transcript entries after ``seq``."""
        return [e for e in self.transcript[seq:] if e["actor"] == "bot"]


@dataclass
class CallbackQuery:
    """A button click waiting for (or given) its answerCallbackQuery."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    label: str
    created: float  # time.monotonic()
    answered: bool = False

    def to_json(self) -> dict:
        """A summary for the control API."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "label": self.label,
            "answered": self.answered,
        }


@dataclass
class PendingUpdate:
    """An update not yet confirmed by the bot (polling) or accepted by its webhook."""

    update: dict
    chat_id: int | None
    delivered: bool = False
    redelivery: bool = False  # sent again (FakeTelegram.redeliver): survives one lower offset

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])


@dataclass
class Webhook:
    """A bot's webhook settings and delivery state, as getWebhookInfo reports them."""

    url: str
    secret_token: str = ""
    max_connections: int = 40
    generation: int = 0
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotState:
    """One bot account: its token, chats, update queue, webhook, commands and call log."""

    token: str
    user: User
    chats: dict[int, Chat] = field(default_factory=dict)
    pending: list[PendingUpdate] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
    webhook: Webhook | None = None
    poll_generation: int = 0
    polling: int = 0  # getUpdates requests currently waiting
    commands: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    callbacks: dict[str, CallbackQuery] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)
    in_flight: int = 0  # API requests being handled, getUpdates excepted
    last_activity: float = 0.0  # time.monotonic() of the last request or delivery
    history: dict[int, PendingUpdate] = field(default_factory=dict)  # queued updates, by id
    invoices: dict[tuple[int, int], Invoice] = field(default_factory=dict)  # (chat, message)
    pre_checkouts: dict[str, PreCheckout] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)  # by telegram_payment_charge_id
