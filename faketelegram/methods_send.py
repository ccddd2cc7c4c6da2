"""Bot API methods that send messages: sendMessage, sendPhoto, sendDocument, sendSticker.

Checks run in Telegram's order, so a request with several faults gets the error Telegram would
give first: the text or caption and its markup, the reply markup's structure, the chat, the
length (visible characters after parsing and trimming), a user who blocked the bot, callback
data, flood limits. Every handler runs under the world's lock.
"""

from __future__ import annotations

import time

from .entities import FormattedText, format_text
from .errors import bad_request, forbidden
from .files import StoredFile
from .keyboards import check_callback_data, is_inline, parse_reply_markup
from .params import Params
from .state import BotState, Chat, StoredMessage
from .world import World

__all__ = ["MAX_CAPTION_LENGTH", "MAX_TEXT_LENGTH", "SEND_METHODS", "file_reference", "media_json"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def send_message(world: World, bot: BotState, params: Params) -> dict:
    """sendMessage."""
    text = params.text("text")
    if not text:
        raise bad_request("message text is empty")
    formatted = _formatted(params, "text", "entities")
    if not formatted.text:
        raise bad_request("text must be non-empty")
    markup = parse_reply_markup(params)
    chat = world.chat_for_api(bot, params.text("chat_id"))
    if formatted.length > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    replied = _replied(chat, params)
    _before_send(world, bot, chat, markup)
    message = _new_message(bot, chat, replied)
    thread = params.text("message_thread_id")
    if thread and chat.user.is_forum:  # a forum topic (elsewhere ignored)
        message.update(message_thread_id=int(thread), is_topic_message=True)
    message["text"] = formatted.text
    if formatted.entities:
        message["entities"] = formatted.entities
    stored = _store(chat, message, markup)
    chat.record(
        "bot",
        "send",
        method="sendMessage",
        message_id=stored.message_id,
        text=formatted.text,
        source=text if text != formatted.text else None,
        parse_mode=params.text("parse_mode") or None,
        reply_markup=markup,
    )
    return stored.to_json()


def _send_media(kind: str, world: World, bot: BotState, params: Params) -> dict:
    upload, reference = file_reference(params, kind)
    if upload is None and not reference:
        raise bad_request(f"there is no {kind} in the request")
    formatted = (
        _formatted(params, "caption", "caption_entities")
        if kind != "sticker"
        else FormattedText("")
    )
    markup = parse_reply_markup(params)
    chat = world.chat_for_api(bot, params.text("chat_id"))
    if formatted.length > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    stored_file = (
        world.files.upload(kind, upload)
        if upload is not None
        else world.files.resolve(kind, reference)
    )
    replied = _replied(chat, params)
    _before_send(world, bot, chat, markup)
    message = _new_message(bot, chat, replied)
    if kind == "document" and params.text("file_name"):
        stored_file.file_name = params.text("file_name")
    message[kind] = media_json(world, kind, stored_file)
    if formatted.text:
        message["caption"] = formatted.text
        if formatted.entities:
            message["caption_entities"] = formatted.entities
    stored = _store(chat, message, markup)
    chat.record(
        "bot",
        "send",
        method="send" + kind.capitalize(),
        message_id=stored.message_id,
        **{kind: stored_file.file_id},
        caption=formatted.text or None,
        source=params.text("caption") if params.text("caption") != formatted.text else None,
        parse_mode=params.text("parse_mode") or None,
        reply_markup=markup,
        file_size=stored_file.size or None,
        url=stored_file.url,
        upload=upload.filename if upload is not None else None,
    )
    return stored.to_json()


def send_photo(world: World, bot: BotState, params: Params) -> dict:
    """sendPhoto: a file id, an HTTP URL (not fetched), or a multipart upload."""
    return _send_media("photo", world, bot, params)


def send_document(world: World, bot: BotState, params: Params) -> dict:
    """sendDocument, like sendPhoto."""
    return _send_media("document", world, bot, params)


def send_sticker(world: World, bot: BotState, params: Params) -> dict:
    """sendSticker, like sendPhoto without a caption."""
    return _send_media("sticker", world, bot, params)


def file_reference(params: Params, field: str, value: str | None = None) -> tuple:
    """The upload or the string (file id or URL) a file parameter gives; ``attach://`` resolved."""
    upload = params.file(field) if value is None else None
    reference = (params.text(field) if value is None else value).strip()
    if reference.startswith("attach://"):
        upload, reference = params.file(reference[len("attach://") :]), ""
    return upload, reference


def media_json(world: World, kind: str, stored: StoredFile) -> object:
    """The Message field for a file: a PhotoSize array for photos, an object otherwise."""
    if kind == "photo":
        return world.files.photo_sizes(stored)
    data: dict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if kind == "sticker":
        data.update(
            type="regular",
            width=stored.width,
            height=stored.height,
            is_animated=False,
            is_video=False,
        )
    if kind in ("video", "animation"):
        data.update(width=stored.width, height=stored.height, duration=0)
    if kind == "audio":
        data["duration"] = 0
    if kind in ("document", "video", "animation", "audio"):
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
    if stored.size:
        data["file_size"] = stored.size
    return data


def _formatted(params: Params, field: str, entities_field: str) -> FormattedText:
    parse_mode = params.text("parse_mode")
    formatted = format_text(params.text(field), parse_mode)
    if not parse_mode:
        given = params.json_value(entities_field, f"can't parse {entities_field} JSON object")
        if isinstance(given, list):
            formatted.entities = [e for e in given if isinstance(e, dict)]
    return formatted


def _before_send(world: World, bot: BotState, chat: Chat, markup: dict | None) -> None:
    if bot.token in chat.user.blocked:
        raise forbidden("bot was blocked by the user")
    check_callback_data(markup)
    if world.rate_limiter is not None:
        world.rate_limiter.check(bot.token, chat.id)


def _replied(chat: Chat, params: Params) -> StoredMessage | None:
    """The message a send replies to (reply_parameters or reply_to_message_id), if any."""
    reply = params.json_value("reply_parameters", "can't parse reply parameters JSON object")
    if not isinstance(reply, dict):
        reply = {
            "message_id": params.integer("reply_to_message_id"),
            "allow_sending_without_reply": params.flag("allow_sending_without_reply"),
        }
    message_id = reply.get("message_id") or 0
    if not message_id:
        return None
    stored = chat.messages.get(int(message_id))
    if stored is None or stored.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return stored


def _new_message(bot: BotState, chat: Chat, replied: StoredMessage | None = None) -> dict:
    message = {
        "message_id": chat.new_message_id(),
        "from": bot.user.to_json(),
        "chat": chat.user.chat_json(),
        "date": int(time.time()),
    }
    if replied is not None:
        quoted = replied.to_json()
        quoted.pop("reply_to_message", None)  # Telegram nests one level only
        message["reply_to_message"] = quoted
    return message


def _store(chat: Chat, message: dict, markup: dict | None) -> StoredMessage:
    stored = StoredMessage(message, from_bot=True)
    if is_inline(markup):
        message["reply_markup"] = markup
    elif markup and "keyboard" in markup:
        chat.keyboard = stored.keyboard = markup
    elif markup and markup.get("remove_keyboard"):
        chat.keyboard = None
    chat.messages[stored.message_id] = stored
    return stored


SEND_METHODS = {
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendsticker": send_sticker,
}
