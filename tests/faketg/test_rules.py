"""Telegram's rules: each is refused with Telegram's own error code and description.

Driven through real telebot where it can express the mistake, and plain HTTP otherwise.
"""

from __future__ import annotations

import pytest
import requests
from telebot import types
from telebot.apihelper import ApiTelegramException

from engine.faketg import FakeTelegram

from .conftest import USER_ID, call, error_of

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


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
    # counted after parsing: tags do not count, characters (not bytes) do
    assert bot.send_message(USER_ID, "<b>" + "ж" * 4096 + "</b>", parse_mode="HTML")
    _refused(lambda: bot.send_message(USER_ID, ""), 400, "Bad Request: message text is empty")
    _refused(lambda: bot.send_message(USER_ID, " \n "), 400, "Bad Request: text must be non-empty")
    _refused(lambda: bot.send_message(USER_ID, "<b></b>", parse_mode="HTML"), 400, "Bad Request: text must be non-empty")


def test_caption_length_limit(bot, ann):
    photo = bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="c" * 1024)
    assert photo.caption == "c" * 1024
    _refused(
        lambda: bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="c" * 1025),
        400, "Bad Request: message caption is too long",
    )  # fmt: skip
    _refused(
        lambda: bot.edit_message_caption("c" * 1025, USER_ID, photo.message_id),
        400, "Bad Request: MEDIA_CAPTION_TOO_LONG",
    )  # fmt: skip


def test_callback_data_is_limited_to_64_bytes(bot, ann):
    assert bot.send_message(USER_ID, "ok", reply_markup=_keyboard(("a", "x" * 64)))
    assert bot.send_message(USER_ID, "ok", reply_markup=_keyboard(("a", "ж" * 32)))  # 64 bytes
    _refused(
        lambda: bot.send_message(USER_ID, "no", reply_markup=_keyboard(("a", "ж" * 33))),
        400, "Bad Request: BUTTON_DATA_INVALID",
    )  # fmt: skip
    empty = '{"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}'
    assert error_of(call.__globals__["FakeTelegram"] and bot_tg(bot), "sendMessage", chat_id=USER_ID, text="x",
                    reply_markup=empty) == (  # fmt: skip
        400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )


def bot_tg(bot) -> FakeTelegram:  # type: ignore[no-untyped-def]
    return bot._fake_telegram  # set by the fixture below


@pytest.fixture(autouse=True)
def _link(bot, tg):  # type: ignore[no-untyped-def]
    bot._fake_telegram = tg
