"""Bot API methods that change or remove messages: editMessage*, deleteMessage(s).

As in Telegram, an edit that leaves out ``reply_markup`` removes the message's inline keyboard,
and an edit that changes nothing (same text or caption, entities and keyboard) is refused with
"message is not modified". Only the bot's own messages can be edited; any message of a private
chat can be deleted. Inline messages (``inline_message_id``) are not supported.
"""

from __future__ import annotations

import time

from .entities import format_text
from .errors import bad_request
from .keyboards import check_callback_data, parse_reply_markup
from .methods_send import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, file_reference, media_json
from .params import Params
from .state import BotState, Chat, StoredMessage
from .world import World

__all__ = ["EDIT_METHODS"]

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_MEDIA_KINDS = ("photo", "document", "video", "animation", "audio")


def edit_message_text(world: World, bot: BotState, params: Params) -> dict:
    """editMessageText."""
    text = params.text("text")
    if not text:
        raise bad_request("message text is empty")
    formatted = format_text(text, params.text("parse_mode"))
    if not formatted.text:
        raise bad_request("text must be non-empty")
    markup = parse_reply_markup(params)
    chat, stored = _target(world, bot, params)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    _inline_only(markup)
    if formatted.length > MAX_TEXT_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    check_callback_data(markup)
    _apply(stored, markup, text=formatted.text, entities=formatted.entities or None)
    chat.record(
        "bot",
        "edit",
        method="editMessageText",
        message_id=stored.message_id,
        text=formatted.text,
        source=text if text != formatted.text else None,
        parse_mode=params.text("parse_mode") or None,
        reply_markup=markup,
    )
    return stored.to_json()


def edit_message_caption(world: World, bot: BotState, params: Params) -> dict:
    """editMessageCaption; an empty caption removes it."""
    formatted = format_text(params.text("caption"), params.text("parse_mode"))
    markup = parse_reply_markup(params)
    chat, stored = _target(world, bot, params)
    if _media_kind(stored) is None:
        raise bad_request("there is no caption in the message to edit")
    _inline_only(markup)
    if formatted.length > MAX_CAPTION_LENGTH:
        raise bad_request("MEDIA_CAPTION_TOO_LONG")
    check_callback_data(markup)
    _apply(
        stored, markup, caption=formatted.text or None, caption_entities=formatted.entities or None
    )
    chat.record(
        "bot",
        "edit",
        method="editMessageCaption",
        message_id=stored.message_id,
        caption=formatted.text,
        source=params.text("caption") if params.text("caption") != formatted.text else None,
        parse_mode=params.text("parse_mode") or None,
        reply_markup=markup,
    )
    return stored.to_json()


def edit_message_media(world: World, bot: BotState, params: Params) -> dict:
    """editMessageMedia: replace a message's photo or file (and its caption)."""
    media = params.json_value("media", "can't parse input media JSON object")
    if media is None:
        raise bad_request("media is empty")
    if not isinstance(media, dict):
        raise bad_request("can't parse InputMedia: expected an Object")
    formatted = format_text(str(media.get("caption") or ""), str(media.get("parse_mode") or ""))
    kind = media.get("type")
    if not isinstance(kind, str):
        raise bad_request("can't parse InputMedia: Can't find field \"type\"")
    upload, reference = file_reference(params, "media", str(media.get("media") or ""))
    if upload is None and not reference:
        raise bad_request("can't parse InputMedia: media not found")
    if kind not in _MEDIA_KINDS:
        raise bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
    markup = parse_reply_markup(params)
    chat, stored = _target(world, bot, params)
    old_kind = _media_kind(stored)
    if old_kind is None:
        raise bad_request("message media can't be edited")
    _inline_only(markup)
    if formatted.length > MAX_CAPTION_LENGTH:
        raise bad_request("MEDIA_CAPTION_TOO_LONG")
    stored_file = (
        world.files.upload(kind, upload)
        if upload is not None
        else world.files.resolve(kind, reference)
    )
    check_callback_data(markup)
    same_file = kind == old_kind and _file_id(stored.data.get(old_kind)) == stored_file.file_id
    media_fields = {} if same_file else {old_kind: None, kind: media_json(world, kind, stored_file)}
    _apply(
        stored,
        markup,
        force=not same_file,
        caption=formatted.text or None,
        caption_entities=formatted.entities or None,
        **media_fields,
    )
    chat.record(
        "bot",
        "edit",
        method="editMessageMedia",
        message_id=stored.message_id,
        **{kind: stored_file.file_id},
        caption=formatted.text,
        source=str(media.get("caption") or "") if media.get("caption") != formatted.text else None,
        reply_markup=markup,
        file_size=stored_file.size or None,
        url=stored_file.url,
        upload=upload.filename if upload is not None else None,
    )
    return stored.to_json()


def edit_message_reply_markup(world: World, bot: BotState, params: Params) -> dict:
    """editMessageReplyMarkup; no ``reply_markup`` removes the inline keyboard."""
    markup = parse_reply_markup(params)
    chat, stored = _target(world, bot, params)
    _inline_only(markup)
    check_callback_data(markup)
    _apply(stored, markup)
    chat.record(
        "bot",
        "edit",
        method="editMessageReplyMarkup",
        message_id=stored.message_id,
        reply_markup=markup,
    )
    return stored.to_json()


def delete_message(world: World, bot: BotState, params: Params) -> bool:
    """deleteMessage."""
    if not params.text("chat_id").strip():
        raise bad_request("chat identifier is not specified")
    message_id = params.integer("message_id")
    if message_id == 0:
        raise bad_request("message identifier is not specified")
    chat = world.chat_for_api(bot, params.text("chat_id"))
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request("message to delete not found")
    _delete(chat, stored, "deleteMessage")
    return True


def delete_messages(world: World, bot: BotState, params: Params) -> bool:
    """deleteMessages: messages not found are skipped, as Telegram does."""
    chat = world.chat_for_api(bot, params.text("chat_id"))
    ids = params.json_value("message_ids", "can't parse message identifiers JSON object")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        stored = (
            chat.messages.get(int(message_id)) if str(message_id).lstrip("-").isdigit() else None
        )
        if stored is not None and not stored.deleted:
            _delete(chat, stored, "deleteMessages")
    return True


def _delete(chat: Chat, stored: StoredMessage, method: str) -> None:
    stored.deleted = True
    chat.record("bot", "delete", method=method, message_id=stored.message_id)


def _target(world: World, bot: BotState, params: Params) -> tuple[Chat, StoredMessage]:
    chat_id, message_id = params.text("chat_id").strip(), params.integer("message_id")
    if not chat_id and not message_id:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline messages
        raise bad_request("message identifier is not specified")
    chat = world.chat_for_api(bot, chat_id)
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return chat, stored


def _inline_only(markup: dict | None) -> None:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")


def _media_kind(stored: StoredMessage) -> str | None:
    return next((kind for kind in _MEDIA_KINDS if kind in stored.data), None)


def _file_id(media: object) -> str | None:
    if isinstance(media, list) and media:
        return media[-1].get("file_id")
    if isinstance(media, dict):
        return media.get("file_id")
    return None


def _apply(
    stored: StoredMessage, markup: dict | None, *, force: bool = False, **fields: object
) -> None:
    """Set ``fields`` (None removes one) and the keyboard; refuse an edit that changes nothing."""
    data = stored.data
    changed = force or data.get("reply_markup") != markup
    changed = changed or any(data.get(name) != value for name, value in fields.items())
    if not changed:
        raise bad_request(_NOT_MODIFIED)
    for name, value in {**fields, "reply_markup": markup}.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    data["edit_date"] = int(time.time())


EDIT_METHODS = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagemedia": edit_message_media,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
}
