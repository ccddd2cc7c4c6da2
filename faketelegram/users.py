"""What users do: write, press buttons, share contacts, send stickers and photos, block the bot.

Each action stores the user's message (or click) in the chat, appends it to the transcript,
and queues the update the bot will receive (by getUpdates or its webhook). Functions here take
the world's lock themselves; they raise :class:`~.errors.ControlError` for impossible actions,
such as clicking a button that is not on the message.
"""

from __future__ import annotations

import hashlib
import time

from .entities import utf16_len
from .errors import ControlError
from .keyboards import find_button, is_inline
from .state import BotState, CallbackQuery, Chat, StoredMessage, User
from .world import World

__all__ = [
    "block",
    "click",
    "press",
    "send_contact",
    "send_message",
    "send_photo",
    "send_sticker",
    "send_text",
]

# A 1x1 PNG: what a user's photo is made of unless the test gives bytes.
_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _writable_chat(world: World, bot: BotState, user_id: int,
                   group_id: int | None = None) -> tuple[User, Chat]:
    user = world.user(user_id)
    if group_id is not None:  # a member acting in a group the bot is in
        group = world.users.get(group_id)
        if group is None or group.chat_type == "private" or group_id not in bot.chats:
            raise ControlError(f"no group {group_id} with @{bot.user.username} in it"
                               " (FakeTelegram.group or POST /control/groups/ID creates one)")
        if user_id not in group.members:
            raise ControlError(f"user {user_id} is not a member of group {group_id}"
                               " (FakeTelegram.member or POST /control/groups/ID/members/USER"
                               " adds them)")
        return user, bot.chats[group_id]
    if bot.token in user.blocked:
        raise ControlError(f"user {user_id} has blocked @{bot.user.username}; unblock them first")
    return user, world.open_chat(bot, user)


def _in_group(chat: Chat, thread_id: int | None, reply_to: int | None) -> dict:
    """The fields a message in a group's topic (and in reply to a message) carries."""
    fields: dict = {}
    if thread_id is not None:
        if not chat.user.is_forum:
            raise ControlError(f"group {chat.id} is not a forum: its messages have no topic"
                               " (thread_id)")
        fields.update(message_thread_id=thread_id, is_topic_message=True)
    if reply_to is not None:
        replied = chat.messages.get(int(reply_to))
        if replied is None:
            raise ControlError(f"no message {reply_to} in chat {chat.id} to reply to")
        fields["reply_to_message"] = replied.to_json()
    return fields


def send_message(
    world: World,
    bot: BotState,
    user_id: int,
    content: dict,
    *,
    action: str = "message",
    group_id: int | None = None,
    thread_id: int | None = None,
    reply_to: int | None = None,
    **summary: object,
) -> dict | None:
    """The user sends a message with ``content`` (Message fields, e.g. ``{"text": "hi"}``),
    in the private chat or, with ``group_id``, in a group (its topic ``thread_id``; in reply
    to message ``reply_to``).

    Returns the queued update, or None when the bot's allowed_updates exclude messages.
    """
    with world.cond:
        user, chat = _writable_chat(world, bot, user_id, group_id)
        message = {
            "message_id": chat.new_message_id(),
            "from": user.to_json(),
            "chat": chat.user.chat_json(),
            "date": int(time.time()),
            **content,
            **(_in_group(chat, thread_id, reply_to) if group_id is not None else {}),
        }
        chat.messages[message["message_id"]] = StoredMessage(message, from_bot=False)
        if group_id is not None:
            summary["user_id"] = user_id
        chat.record("user", action, message_id=message["message_id"], **summary)
        return world.enqueue(bot, "message", message, chat.id)


def send_text(world: World, bot: BotState, user_id: int, text: str,
              **where: int | None) -> dict | None:
    """The user writes ``text``; a leading ``/command`` gets its bot_command entity
    (``where``: ``group_id``, ``thread_id``, ``reply_to`` for a group)."""
    if not text:
        raise ControlError("a user cannot send an empty message")
    content: dict = {"text": text}
    if text.startswith("/") and len(text) > 1:
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return send_message(world, bot, user_id, content, text=text, **where)


def send_contact(
    world: World,
    bot: BotState,
    user_id: int,
    phone_number: str | None = None,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    contact_user_id: int | None = None,
) -> dict | None:
    """The user shares a contact: their own by default (as a request_contact button does)."""
    with world.cond:
        user = world.user(user_id)
        own = contact_user_id in (None, user_id)
        phone = phone_number or (user.phone_number if own else None)
        if not phone:
            raise ControlError(f"user {user_id} has no phone_number to share; give one")
        first = first_name or (user.first_name if own else None)
        if not first:
            raise ControlError("another person's contact needs a first_name")
        contact: dict = {"phone_number": phone, "first_name": first}
        last = last_name if last_name is not None else (user.last_name if own else None)
        if last:
            contact["last_name"] = last
        contact["user_id"] = user_id if contact_user_id is None else contact_user_id
        return send_message(
            world, bot, user_id, {"contact": contact}, action="contact", contact=contact
        )


def send_sticker(world: World, bot: BotState, user_id: int, emoji: str = "👍") -> dict | None:
    """The user sends a sticker."""
    with world.cond:
        stored = world.files.add_bytes("sticker", _TINY_PNG)
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return send_message(
            world, bot, user_id, {"sticker": sticker}, action="sticker", emoji=emoji
        )


def send_photo(
    world: World, bot: BotState, user_id: int, caption: str | None = None, data: bytes | None = None
) -> dict | None:
    """The user sends a photo (a tiny PNG unless ``data`` is given), with an optional caption."""
    with world.cond:
        stored = world.files.add_bytes("photo", data or _TINY_PNG)
        content: dict = {"photo": world.files.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return send_message(
            world,
            bot,
            user_id,
            content,
            action="photo",
            photo=stored.file_id,
            caption=caption or None,
        )


def click(
    world: World,
    bot: BotState,
    user_id: int,
    *,
    label: str | None = None,
    data: str | None = None,
    position: int | tuple[int, int] | list[int] | None = None,
    message_id: int | None = None,
    forge: bool = False,
    group_id: int | None = None,
) -> dict | None:
    """The user presses an inline button of a bot message (by default the latest one with buttons;
    with ``group_id``, one in that group).

    The button is looked up in the message's current keyboard; the update is a callback query
    with a fresh id, the message as it is now, and the button's callback data. With
    ``forge=True`` the query carries ``data`` whatever the message shows (a modified client,
    or a button of a message the bot has since edited).
    """
    with world.cond:
        user, chat = _writable_chat(world, bot, user_id, group_id)
        if forge:
            if data is None or message_id is None:
                raise ControlError("a forged click needs data and message_id")
            stored = chat.messages.get(int(message_id))
            if stored is None:
                raise ControlError(f"no message {message_id} in chat {chat.id}")
            button = {"text": "(forged)", "callback_data": data}
        else:
            stored = _clickable_message(chat, message_id)
        where = f"message {stored.message_id}"
        if not forge:
            button = find_button(
                stored.data.get("reply_markup"), data=data, label=label, position=position,
                where=where,
            )
        if "callback_data" not in button:
            kind = next((key for key in button if key != "text"), "no action")
            raise ControlError(
                f"button {button['text']!r} of {where} is a {kind} button;"
                " it sends no callback query"
            )
        query = CallbackQuery(
            world.new_callback_id(),
            user_id,
            chat.id,
            stored.message_id,
            button["callback_data"],
            button["text"],
            time.monotonic(),
        )
        bot.callbacks[query.id] = query
        chat.record(
            "user",
            "click",
            message_id=stored.message_id,
            label=button["text"],
            data=query.data,
            callback_query_id=query.id,
            user_id=user_id if group_id is not None else None,
        )
        instance = hashlib.sha256(f"{bot.token}:{chat.id}".encode()).hexdigest()
        payload = {
            "id": query.id,
            "from": user.to_json(),
            "message": stored.to_json(),
            "chat_instance": str(int(instance[:15], 16)),
            "data": query.data,
        }
        return world.enqueue(bot, "callback_query", payload, chat.id)


def _clickable_message(chat: Chat, message_id: int | None) -> StoredMessage:
    if message_id is None:
        for stored in reversed(chat.messages.values()):
            if (
                stored.from_bot
                and not stored.deleted
                and is_inline(stored.data.get("reply_markup"))
            ):
                return stored
        raise ControlError(f"no message in chat {chat.id} has inline buttons")
    stored = chat.messages.get(int(message_id))
    if stored is None or stored.deleted:
        raise ControlError(
            f"message {message_id} is not in chat {chat.id} (never sent, or deleted)"
        )
    if not is_inline(stored.data.get("reply_markup")):
        raise ControlError(f"message {message_id} in chat {chat.id} has no inline buttons")
    return stored


def press(world: World, bot: BotState, user_id: int, label: str) -> dict | None:
    """The user presses a button of the reply keyboard shown in the chat.

    A plain button sends its text; request_contact shares the user's phone number;
    request_location sends a location. A one-time keyboard hides afterwards.
    """
    with world.cond:
        _, chat = _writable_chat(world, bot, user_id)
        if chat.keyboard is None:
            raise ControlError(f"chat {chat.id} shows no reply keyboard")
        button = find_button(
            chat.keyboard, label=label, where=f"the reply keyboard of chat {chat.id}"
        )
        if chat.keyboard.get("one_time_keyboard"):
            chat.keyboard = None
        if button.get("request_contact"):
            return send_contact(world, bot, user_id)
        if button.get("request_location"):
            location = {"latitude": 55.7558, "longitude": 37.6173}
            return send_message(
                world, bot, user_id, {"location": location}, action="location", label=label
            )
        return send_message(
            world, bot, user_id, {"text": button["text"]}, action="press", text=button["text"]
        )


def block(world: World, bot: BotState, user_id: int, blocked: bool = True) -> dict | None:
    """The user blocks (or unblocks) the bot; the bot gets a ``my_chat_member`` update."""
    with world.cond:
        user = world.user(user_id)
        chat = world.open_chat(bot, user)
        if (bot.token in user.blocked) == blocked:
            return None
        if blocked:
            user.blocked.add(bot.token)
        else:
            user.blocked.discard(bot.token)
        chat.record("user", "block" if blocked else "unblock")
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        payload = {
            "chat": user.chat_json(),
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": {"user": bot.user.to_json(), "status": old},
            "new_chat_member": {"user": bot.user.to_json(), "status": new},
        }
        if blocked:
            payload["new_chat_member"]["until_date"] = 0
        return world.enqueue(bot, "my_chat_member", payload, chat.id)
