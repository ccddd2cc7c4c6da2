"""Bot API methods about the bot itself: identity, updates, webhook, commands, callbacks, files.

getUpdates follows Telegram's offset rules (updates below ``offset`` are confirmed and
forgotten; a negative offset keeps only the last ``-offset``), long-polls up to ``timeout``
seconds, and answers 409 when a webhook is set or a newer getUpdates takes over.
"""

from __future__ import annotations

import re
import time
from typing import NamedTuple
from urllib.parse import urlsplit

from .errors import bad_request, forbidden
from .params import Params
from .state import DEFAULT_ALLOWED_UPDATES, BotState, Webhook
from .world import World

__all__ = ["BOT_METHODS", "Answer", "webhook_info"]

_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"(|[a-z]{2})")
_MAX_ANSWER_TEXT = 200


class Answer(NamedTuple):
    """A result with the ``description`` Telegram adds to some successful answers."""

    result: object
    description: str


def get_me(world: World, bot: BotState, params: Params) -> dict:
    """getMe."""
    return {
        **bot.user.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def log_out(world: World, bot: BotState, params: Params) -> bool:
    """logOut and close: nothing to do in the fake."""
    return True


def get_updates(world: World, bot: BotState, params: Params) -> list[dict]:
    """getUpdates, with long polling and ``allowed_updates``."""
    _set_allowed_updates(bot, params)
    return world.get_updates(
        bot, params.integer("offset"), params.integer("limit", 100), params.integer("timeout")
    )


def _set_allowed_updates(bot: BotState, params: Params) -> None:
    allowed = params.json_value("allowed_updates", "can't parse allowed_updates JSON object")
    if isinstance(allowed, list):
        bot.allowed_updates = frozenset(str(kind) for kind in allowed) or DEFAULT_ALLOWED_UPDATES


def set_webhook(world: World, bot: BotState, params: Params) -> Answer:
    """setWebhook; an empty ``url`` removes the webhook. HTTP URLs are accepted (local tests)."""
    url = params.text("url").strip()
    if not url:
        return delete_webhook(world, bot, params)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    secret = params.text("secret_token")
    if len(secret) > 256:
        raise bad_request("secret token is too long")
    if not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = min(max(params.integer("max_connections", 40), 1), 100)
    if params.flag("drop_pending_updates"):
        bot.pending.clear()
    _set_allowed_updates(bot, params)
    current = bot.webhook
    if current is not None and (current.url, current.secret_token, current.max_connections) == (
        url,
        secret,
        max_connections,
    ):
        return Answer(True, "Webhook is already set")
    generation = current.generation + 1 if current is not None else 1
    bot.webhook = Webhook(url, secret, max_connections, generation)
    for pending in bot.pending:
        pending.delivered = False
    if world.on_webhook_set is not None:
        world.on_webhook_set(bot)
    return Answer(True, "Webhook was set")


def delete_webhook(world: World, bot: BotState, params: Params) -> Answer:
    """deleteWebhook."""
    if params.flag("drop_pending_updates"):
        bot.pending.clear()
    if bot.webhook is None:
        return Answer(True, "Webhook is already deleted")
    bot.webhook = None
    return Answer(True, "Webhook was deleted")


def get_webhook_info(world: World, bot: BotState, params: Params) -> dict:
    """getWebhookInfo."""
    return webhook_info(bot)


def webhook_info(bot: BotState) -> dict:
    """The ``WebhookInfo`` object of a bot."""
    hook = bot.webhook
    info: dict = {"url": hook.url if hook else "", "has_custom_certificate": False}
    info["pending_update_count"] = len(bot.pending)
    if hook is not None:
        info["ip_address"] = "127.0.0.1"
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if bot.allowed_updates != DEFAULT_ALLOWED_UPDATES:
        info["allowed_updates"] = sorted(bot.allowed_updates)
    return info


def answer_callback_query(world: World, bot: BotState, params: Params) -> bool:
    """answerCallbackQuery: once per query, within the callback timeout."""
    text = params.text("text")
    if len(text) > _MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    query = bot.callbacks.get(params.text("callback_query_id").strip())
    too_old = query is not None and time.monotonic() - query.created > world.callback_timeout
    if query is None or query.answered or too_old:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.answered = True
    chat = bot.chats.get(query.chat_id)
    if chat is not None:
        chat.record(
            "bot",
            "answer",
            method="answerCallbackQuery",
            callback_query_id=query.id,
            message_id=query.message_id,
            text=text or None,
            show_alert=params.flag("show_alert"),
            url=params.text("url") or None,
        )
    return True


def send_chat_action(world: World, bot: BotState, params: Params) -> bool:
    """sendChatAction."""
    action = params.text("action").strip().lower()
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = world.chat_for_api(bot, params.text("chat_id"))
    if bot.token in chat.user.blocked:
        raise forbidden("bot was blocked by the user")
    chat.record("bot", "chat_action", method="sendChatAction", chat_action=action)
    return True


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json_value("scope", "can't parse BotCommandScope JSON object")
    if scope is not None and not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope: expected an Object")
    scope_key = "default" if not scope else ",".join(f"{k}={scope[k]}" for k in sorted(scope))
    language = params.text("language_code").strip()
    if not _LANGUAGE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return scope_key, language


def set_my_commands(world: World, bot: BotState, params: Params) -> bool:
    """setMyCommands, per scope and language_code, with TDLib's checks."""
    commands = params.json_value("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request('field "commands" must be of type Array')
    key = _commands_key(params)
    kept = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command = str(item.get("command", "")).strip().removeprefix("/")
        description = str(item.get("description", "")).strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        kept.append({"command": command, "description": description})
    bot.commands[key] = kept
    return True


def get_my_commands(world: World, bot: BotState, params: Params) -> list[dict]:
    """getMyCommands: the list set for exactly this scope and language_code."""
    return [dict(command) for command in bot.commands.get(_commands_key(params), [])]


def delete_my_commands(world: World, bot: BotState, params: Params) -> bool:
    """deleteMyCommands."""
    bot.commands.pop(_commands_key(params), None)
    return True


def get_file(world: World, bot: BotState, params: Params) -> dict:
    """getFile: downloadable at ``/file/bot<token>/<file_path>`` when the bytes are known."""
    stored = world.files.get(params.text("file_id").strip())
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_json()


def get_chat(world: World, bot: BotState, params: Params) -> dict:
    """getChat for a private chat."""
    chat = world.chat_for_api(bot, params.text("chat_id"))
    return {**chat.user.chat_json(), "accent_color_id": 0, "max_reaction_count": 11}


BOT_METHODS = {
    "getme": get_me,
    "logout": log_out,
    "close": log_out,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "getfile": get_file,
    "getchat": get_chat,
}
