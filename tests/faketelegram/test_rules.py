"""Telegram's rules: each is refused with Telegram's own error code and description.

Driven through real telebot where it can express the mistake, and plain HTTP otherwise.
"""

from __future__ import annotations

import json

import pytest
import requests
import telebot
from telebot import types
from telebot.apihelper import ApiTelegramException

from .conftest import USER_ID, call, drain, error_of

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def _keyboard(*buttons: tuple[str, str]) -> types.InlineKeyboardMarkup:
    markup = types.InlineKeyboardMarkup()
    markup.add(*(types.InlineKeyboardButton(text, callback_data=data) for text, data in buttons))
    return markup


def _refused(action, code: int, description: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiTelegramException) as caught:
        action()
    assert (caught.value.error_code, caught.value.description) == (code, description)


def test_text_length_limits(bot, ann):
    assert bot.send_message(USER_ID, "x" * 4096).text == "x" * 4096
    _refused(lambda: bot.send_message(USER_ID, "x" * 4097), 400, "Bad Request: message is too long")
    # counted after parsing and in characters, not bytes: tags and UTF-8 width do not count
    assert bot.send_message(USER_ID, "<b>" + "ж" * 4096 + "</b>", parse_mode="HTML")
    _refused(lambda: bot.send_message(USER_ID, ""), 400, "Bad Request: message text is empty")
    _refused(lambda: bot.send_message(USER_ID, " \n "), 400, "Bad Request: text must be non-empty")
    _refused(
        lambda: bot.send_message(USER_ID, "<b></b>", parse_mode="HTML"),
        400,
        "Bad Request: text must be non-empty",
    )
    sent = bot.send_message(USER_ID, "short")
    _refused(
        lambda: bot.edit_message_text("x" * 4097, USER_ID, sent.message_id),
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )


def test_caption_length_limits(bot, ann):
    photo = bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="c" * 1024)
    assert photo.caption == "c" * 1024
    _refused(
        lambda: bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="c" * 1025),
        400,
        "Bad Request: message caption is too long",
    )
    _refused(
        lambda: bot.edit_message_caption("c" * 1025, USER_ID, photo.message_id),
        400,
        "Bad Request: MEDIA_CAPTION_TOO_LONG",
    )


def test_callback_data_must_be_1_to_64_bytes(tg, bot, ann):
    assert bot.send_message(USER_ID, "ok", reply_markup=_keyboard(("a", "x" * 64)))
    assert bot.send_message(USER_ID, "ok", reply_markup=_keyboard(("a", "ж" * 32)))  # 64 bytes
    _refused(
        lambda: bot.send_message(USER_ID, "no", reply_markup=_keyboard(("a", "ж" * 33))),
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    # an empty callback_data is no action at all, which Telegram refuses while parsing the keyboard
    empty = {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}
    assert error_of(tg, "sendMessage", chat_id=USER_ID, text="x", reply_markup=empty) == (
        400,
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
    )
    assert error_of(tg, "sendMessage", chat_id=USER_ID, text="x", reply_markup="{oops") == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )


def test_message_is_not_modified(bot, ann):
    keyboard = _keyboard(("Next", "next"))
    sent = bot.send_message(USER_ID, "<b>Page 1</b>", parse_mode="HTML", reply_markup=keyboard)
    edit = lambda **kw: bot.edit_message_text(chat_id=USER_ID, message_id=sent.message_id, **kw)  # noqa: E731
    _refused(
        lambda: edit(text="<b>Page 1</b>", parse_mode="HTML", reply_markup=keyboard),
        400,
        NOT_MODIFIED,
    )
    # same visible text but different formatting is a change; so is dropping the keyboard
    assert edit(text="Page 1", reply_markup=keyboard).text == "Page 1"
    assert edit(text="Page 1").reply_markup is None
    _refused(lambda: bot.edit_message_reply_markup(USER_ID, sent.message_id), 400, NOT_MODIFIED)
    assert bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard)
    _refused(
        lambda: bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard),
        400,
        NOT_MODIFIED,
    )


def test_edit_needs_the_right_kind_of_message(bot, ann):
    photo = bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="A")
    text = bot.send_message(USER_ID, "B")
    _refused(
        lambda: bot.edit_message_text("C", USER_ID, photo.message_id),
        400,
        "Bad Request: there is no text in the message to edit",
    )
    _refused(
        lambda: bot.edit_message_caption("C", USER_ID, text.message_id),
        400,
        "Bad Request: there is no caption in the message to edit",
    )
    _refused(
        lambda: bot.edit_message_text("C", USER_ID, 1), 400, "Bad Request: message can't be edited"
    )  # /start
    reply_keyboard = types.ReplyKeyboardMarkup().add("Yes")
    _refused(
        lambda: bot.edit_message_text("C", USER_ID, text.message_id, reply_markup=reply_keyboard),
        400,
        "Bad Request: inline keyboard expected",
    )


def test_unknown_and_deleted_messages(bot, ann):
    sent = bot.send_message(USER_ID, "bye")
    _refused(
        lambda: bot.edit_message_text("x", USER_ID, 999),
        400,
        "Bad Request: message to edit not found",
    )
    _refused(
        lambda: bot.delete_message(USER_ID, 999), 400, "Bad Request: message to delete not found"
    )
    assert bot.delete_message(USER_ID, sent.message_id) is True
    _refused(
        lambda: bot.delete_message(USER_ID, sent.message_id),
        400,
        "Bad Request: message to delete not found",
    )
    _refused(
        lambda: bot.edit_message_text("x", USER_ID, sent.message_id),
        400,
        "Bad Request: message to edit not found",
    )


def test_chat_not_found(bot, ann):
    _refused(lambda: bot.send_message(777, "hi"), 400, "Bad Request: chat not found")
    _refused(lambda: bot.send_message("@nobody", "hi"), 400, "Bad Request: chat not found")
    _refused(lambda: bot.send_chat_action(777, "typing"), 400, "Bad Request: chat not found")


def test_blocked_user_gives_403(tg, bot, ann):
    ann.block()
    _refused(
        lambda: bot.send_message(USER_ID, "news"), 403, "Forbidden: bot was blocked by the user"
    )
    _refused(
        lambda: bot.send_photo(USER_ID, "https://example.org/a.jpg"),
        403,
        "Forbidden: bot was blocked by the user",
    )
    _refused(
        lambda: bot.send_chat_action(USER_ID, "typing"),
        403,
        "Forbidden: bot was blocked by the user",
    )
    ann.unblock()
    assert bot.send_message(USER_ID, "welcome back").text == "welcome back"


def test_callback_queries_are_answered_once(tg, bot, ann):
    bot.send_message(USER_ID, "menu", reply_markup=_keyboard(("Go", "go")))
    query = ann.click("Go")["callback_query"]
    assert bot.answer_callback_query(query["id"], "Done") is True
    _refused(lambda: bot.answer_callback_query(query["id"]), 400, QUERY_INVALID)
    _refused(lambda: bot.answer_callback_query("123"), 400, QUERY_INVALID)
    second = ann.click("Go")["callback_query"]
    _refused(
        lambda: bot.answer_callback_query(second["id"], "x" * 201),
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )


def test_callback_queries_expire(monkeypatch, bot, tg, ann):
    bot.send_message(USER_ID, "menu", reply_markup=_keyboard(("Go", "go")))
    query = ann.click("Go")["callback_query"]
    monkeypatch.setattr(tg.world, "callback_timeout", 0.0)
    _refused(lambda: bot.answer_callback_query(query["id"]), 400, QUERY_INVALID)
    assert [q["id"] for q in tg.unanswered_callbacks()] == [query["id"]]


def test_html_must_parse(bot, ann):
    _refused(
        lambda: bot.send_message(USER_ID, "<b>Total: 5</b", parse_mode="HTML"),
        400,
        "Bad Request: can't parse entities: Unclosed end tag at byte offset 11",
    )
    _refused(
        lambda: bot.send_message(USER_ID, "<b>unclosed", parse_mode="HTML"),
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    )
    _refused(
        lambda: bot.send_photo(
            USER_ID, "https://example.org/a.jpg", caption="<p>x</p>", parse_mode="HTML"
        ),
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0',
    )
    _refused(
        lambda: bot.send_message(USER_ID, "x", parse_mode="BB"),
        400,
        "Bad Request: unsupported parse_mode",
    )


def test_tokens_methods_and_parameters(tg, bot, ann):
    response = requests.get(f"{tg.url}/bot1:wrong/getMe", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(ApiTelegramException) as caught:
        telebot.TeleBot("1:wrong", threaded=False).get_me()
    assert caught.value.error_code == 401
    assert error_of(tg, "sendCarrierPigeon") == (404, "Not Found: method not found")
    assert call(tg, "GETME")["result"]["username"] == "fake_test_bot"  # method names ignore case
    assert error_of(tg, "sendMessage", text="hi") == (400, "Bad Request: chat_id is empty")
    assert error_of(tg, "sendChatAction", chat_id=USER_ID, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    assert error_of(tg, "deleteMessage", chat_id=USER_ID) == (
        400,
        "Bad Request: message identifier is not specified",
    )
    assert error_of(tg, "editMessageText", text="x") == (
        400,
        "Bad Request: message identifier is not specified",
    )
    assert error_of(tg, "sendPhoto", chat_id=USER_ID) == (
        400,
        "Bad Request: there is no photo in the request",
    )
    assert error_of(tg, "sendPhoto", chat_id=USER_ID, photo="nonsense") == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


def test_commands_per_language(tg, bot):
    bot.set_my_commands([types.BotCommand("start", "Start"), types.BotCommand("/help", "Help")])
    bot.set_my_commands([types.BotCommand("start", "Начать")], language_code="ru")
    assert [c.command for c in bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in bot.get_my_commands(language_code="ru")] == ["Начать"]
    assert tg.commands("ru") == [{"command": "start", "description": "Начать"}]
    assert bot.get_my_commands(language_code="de") == []
    _refused(
        lambda: bot.set_my_commands([types.BotCommand("Bad-Name", "x")]),
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )
    _refused(
        lambda: bot.set_my_commands([types.BotCommand("ok", "")]),
        400,
        "Bad Request: command description must be non-empty",
    )
    assert error_of(tg, "setMyCommands", commands=json.dumps([]), language_code="russian") == (
        400,
        "Bad Request: invalid language code specified",
    )
    assert bot.delete_my_commands(language_code="ru") is True
    assert tg.commands("ru") == []


def test_successful_answers_are_telegram_shaped(tg, bot, ann):
    markup = _keyboard(("Buy", "buy:1"))
    sent = call(
        tg,
        "sendMessage",
        chat_id=USER_ID,
        text="<i>Hi</i> Ann",
        parse_mode="HTML",
        reply_markup=markup.to_dict(),
    )
    message = sent["result"]
    assert message["from"] == {
        "id": 123456789,
        "is_bot": True,
        "first_name": "Fake Bot",
        "username": "fake_test_bot",
    }
    assert message["chat"] == {
        "id": USER_ID,
        "first_name": "Ann",
        "last_name": "Lee",
        "username": "ann",
        "type": "private",
    }
    assert message["text"] == "Hi Ann" and message["entities"] == [
        {"type": "italic", "offset": 0, "length": 2}
    ]
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Buy", "callback_data": "buy:1"}]]
    }
    assert isinstance(message["date"], int) and message["message_id"] == 2
    # a reply keyboard is shown to the user but not echoed in the Message, as in Telegram
    shown = call(
        tg, "sendMessage", chat_id=USER_ID, text="Menu", reply_markup={"keyboard": [["Cart"]]}
    )["result"]
    assert "reply_markup" not in shown
    assert drain(tg) == []


def test_replies_quote_the_message_or_fail(bot, ann):
    start = bot.send_message(USER_ID, "menu")
    reply = bot.reply_to(start, "a reply")
    assert reply.reply_to_message.message_id == start.message_id
    assert reply.reply_to_message.text == "menu"
    _refused(
        lambda: bot.send_message(USER_ID, "x", reply_to_message_id=999),
        400,
        "Bad Request: message to be replied not found",
    )
    lenient = types.ReplyParameters(999, allow_sending_without_reply=True)
    assert bot.send_message(USER_ID, "x", reply_parameters=lenient).reply_to_message is None
