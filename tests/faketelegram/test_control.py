"""The control API: playing users, reading transcripts and messages, waiting; Python and HTTP."""

from __future__ import annotations

import threading

import pytest
from telebot import types

from faketelegram import ControlError, render_transcript

from .conftest import USER_ID, call, control, drain


def _menu(*rows: list[tuple[str, str]]) -> types.InlineKeyboardMarkup:
    markup = types.InlineKeyboardMarkup()
    for row in rows:
        markup.row(*(types.InlineKeyboardButton(text, callback_data=data) for text, data in row))
    return markup


def test_click_finds_the_button_in_the_current_keyboard(tg, bot, ann):
    sent = bot.send_message(
        USER_ID,
        "Shop",
        reply_markup=_menu([("Catalog", "cat"), ("Cart", "cart")], [("Help", "help")]),
    )
    by_label = ann.click("Cart")["callback_query"]
    assert by_label["data"] == "cart" and by_label["message"]["message_id"] == sent.message_id
    assert by_label["from"]["id"] == USER_ID and by_label["message"]["text"] == "Shop"
    assert ann.click(data="help")["callback_query"]["data"] == "help"
    assert ann.click(position=(1, 0))["callback_query"]["data"] == "help"
    assert ann.click(position=1)["callback_query"]["data"] == "cart"
    ids = {u["callback_query"]["id"] for u in drain(tg)}
    assert len(ids) == 4  # a fresh id per click
    bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=_menu([("Back", "back")]))
    with pytest.raises(
        ControlError,
        match=r"no button with label 'Cart' in message 2; buttons: \[0,0\] 'Back' \(back\)",
    ):
        ann.click("Cart")
    assert (
        ann.click("Back")["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0][
            "text"
        ]
        == "Back"
    )


def test_click_refuses_what_a_user_cannot_do(tg, bot, ann):
    with pytest.raises(ControlError, match="no message in chat 42 has inline buttons"):
        ann.click("Anything")
    link = types.InlineKeyboardMarkup().add(
        types.InlineKeyboardButton("Site", url="https://example.org")
    )
    sent = bot.send_message(USER_ID, "See", reply_markup=link)
    with pytest.raises(ControlError, match="is a url button; it sends no callback query"):
        ann.click("Site")
    bot.delete_message(USER_ID, sent.message_id)
    with pytest.raises(ControlError, match="not in chat 42"):
        ann.click("Site", message_id=sent.message_id)
    bot.send_message(USER_ID, "menu", reply_markup=_menu([("Go", "go")]))
    with pytest.raises(ControlError, match="exactly one of"):
        ann.click("Go", data="go")


def test_reply_keyboard_contact_sticker_photo_and_other_messages(tg, bot, ann):
    keyboard = types.ReplyKeyboardMarkup(one_time_keyboard=True)
    keyboard.add(
        types.KeyboardButton("Share phone", request_contact=True), types.KeyboardButton("Cancel")
    )
    bot.send_message(USER_ID, "Your phone?", reply_markup=keyboard)
    assert [b["text"] for b in ann.keyboard()["keyboard"][0]] == ["Share phone", "Cancel"]
    ann.profile(phone_number="+79001234567")
    contact = ann.press("Share phone")["message"]["contact"]
    assert contact == {
        "phone_number": "+79001234567",
        "first_name": "Ann",
        "last_name": "Lee",
        "user_id": USER_ID,
    }
    assert ann.keyboard() is None  # one-time keyboards hide after use
    with pytest.raises(ControlError, match="shows no reply keyboard"):
        ann.press("Cancel")
    other = ann.share_contact("+12025550123", first_name="Bob", contact_user_id=7)["message"][
        "contact"
    ]
    assert other == {"phone_number": "+12025550123", "first_name": "Bob", "user_id": 7}
    assert ann.send_sticker("🐱")["message"]["sticker"]["emoji"] == "🐱"
    photo = ann.send_photo("look")["message"]
    assert photo["caption"] == "look" and photo["photo"][-1]["file_id"]
    assert (
        ann.send_message(location={"latitude": 1.5, "longitude": 2.5})["message"]["location"][
            "latitude"
        ]
        == 1.5
    )
    bot.send_message(USER_ID, "Bye", reply_markup=types.ReplyKeyboardRemove())
    assert ann.keyboard() is None
    kinds = [e["action"] for e in ann.transcript(actor="user")]
    assert kinds == ["message", "contact", "contact", "sticker", "photo", "other"]


def test_block_sends_my_chat_member_and_is_remembered(tg, bot, ann):
    update = ann.block()["my_chat_member"]
    assert (update["old_chat_member"]["status"], update["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    assert ann.block() is None  # already blocked
    with pytest.raises(ControlError, match="has blocked"):
        ann.send("hello?")
    assert ann.unblock()["my_chat_member"]["new_chat_member"]["status"] == "member"


def test_transcript_and_current_messages(tg, bot, ann):
    sent = bot.send_message(
        USER_ID, "<b>v1</b>", parse_mode="HTML", reply_markup=_menu([("Next", "n")])
    )
    bot.send_chat_action(USER_ID, "typing")
    ann.click("Next")
    query_id = drain(tg)[0]["callback_query"]["id"]
    bot.answer_callback_query(query_id, "Wait…", show_alert=True)
    bot.edit_message_text("v2", USER_ID, sent.message_id)
    photo = bot.send_photo(USER_ID, "https://example.org/p.jpg", caption="pic")
    bot.delete_message(USER_ID, photo.message_id)
    entries = tg.transcript(USER_ID)
    summary = [(e["actor"], e["action"]) for e in entries]
    assert summary == [
        ("user", "message"),
        ("bot", "send"),
        ("bot", "chat_action"),
        ("user", "click"),
        ("bot", "answer"),
        ("bot", "edit"),
        ("bot", "send"),
        ("bot", "delete"),
    ]
    assert (
        entries[1]["text"] == "v1"
        and entries[1]["source"] == "<b>v1</b>"
        and entries[1]["parse_mode"] == "HTML"
    )
    assert entries[4]["text"] == "Wait…" and entries[4]["show_alert"] is True
    assert "reply_markup" not in entries[5]  # the edit removed the keyboard
    assert [e["seq"] for e in entries] == list(range(1, 9))
    assert tg.transcript(USER_ID, since=6, actor="bot")[0]["action"] == "send"
    current = tg.messages(USER_ID)
    assert [(m["message_id"], m.get("text")) for m in current] == [(1, "/start"), (2, "v2")]
    assert "edit_date" in current[1] and "reply_markup" not in current[1]
    assert tg.message(USER_ID, photo.message_id)["deleted"] is True
    assert tg.last_message(USER_ID)["text"] == "v2"
    text = render_transcript(entries)
    assert "#2   bot   send (sendMessage) [2] 'v1' buttons: [Next | n]" in text
    assert "answer 'Wait…' show_alert=True" in text


def test_wait_helpers(tg, bot, ann):
    ann.send("ping")
    threading.Timer(0.2, bot.send_message, args=(USER_ID, "pong")).start()
    assert [a["text"] for a in ann.wait(timeout=3)] == ["pong"]
    with pytest.raises(TimeoutError, match="the bot did 1 of 2 expected actions in chat 42"):
        ann.wait(2, timeout=0.2)
    bot.send_message(USER_ID, "menu", reply_markup=_menu([("Go", "go")]))
    ann.click("Go")
    with pytest.raises(TimeoutError, match="update\\(s\\) pending"):
        tg.wait_idle(timeout=0.3, quiet=0.05)
    query = drain(tg)[-1]["callback_query"]
    assert [q["data"] for q in tg.unanswered_callbacks()] == ["go"]
    bot.answer_callback_query(query["id"])
    tg.wait_idle(timeout=2, quiet=0.05)
    assert tg.unanswered_callbacks() == []


def test_reset_keeps_bots_and_update_ids(tg, bot, ann):
    tg.reset()
    assert tg.pending_updates() == [] and tg.calls() == []
    with pytest.raises(ControlError, match="no chat 42"):
        tg.transcript(USER_ID)
    assert tg.user(USER_ID).send("again")["update_id"] == 2


def test_several_bots(tg):
    other = "555:OTHER"
    tg.add_bot(other, "other_bot")
    tg.user(USER_ID, token=other).send("/start")
    assert call(tg, "getUpdates")["result"] == []
    assert call(tg, "getUpdates", token=other)["result"][0]["message"]["text"] == "/start"
    assert call(tg, "getMe", token=other)["result"]["username"] == "other_bot"


def test_http_control_api(tg, bot):
    assert (
        control(tg, "POST", "users/42", first_name="Ann", language_code="ru").json()["result"][
            "language_code"
        ]
        == "ru"
    )
    update = control(tg, "POST", "users/42/send", text="/start").json()["result"]
    assert update["message"]["text"] == "/start"
    bot.send_message(USER_ID, "menu", reply_markup=_menu([("Go", "go")]))
    clicked = control(tg, "POST", "users/42/click", label="Go").json()
    assert clicked["ok"] and clicked["result"]["callback_query"]["data"] == "go"
    missing = control(tg, "POST", "users/42/click", label="Stop")
    assert missing.status_code == 400 and "no button with label 'Stop'" in missing.json()["error"]
    assert control(tg, "GET", "callbacks/unanswered").json()["result"][0]["data"] == "go"
    transcript = control(tg, "GET", "chats/42/transcript?actor=bot").json()["result"]
    assert [e["text"] for e in transcript] == ["menu"]
    assert control(tg, "GET", "chats/42/messages").json()["result"][-1]["text"] == "menu"
    assert control(tg, "POST", "users/42/contact", phone_number="+15550001").json()["ok"]
    assert control(tg, "POST", "users/42/sticker").json()["ok"]
    assert control(tg, "POST", "users/42/block").json()["result"]["my_chat_member"]
    assert control(tg, "POST", "users/42/unblock").json()["ok"]
    waited = control(tg, "POST", "wait/actions", chat_id=42, count=1, since=0, timeout=1).json()
    assert waited["result"][0]["text"] == "menu"
    timed_out = control(tg, "POST", "wait/actions", chat_id=42, count=5, timeout=0.1)
    assert timed_out.status_code == 408
    assert control(tg, "POST", "faults", method="getMe", kind="500").json()["ok"]
    assert call(tg, "getMe")["error_code"] == 500
    assert control(tg, "GET", "faults").json()["result"] == [{"method": "getme", "kind": "500"}]
    assert control(tg, "POST", "faults", kind="nonsense").status_code == 400
    assert control(tg, "POST", "rate_limits", per_chat=1, per_chat_burst=1).json()["ok"]
    assert control(tg, "POST", "rate_limits", enabled=False).json()["ok"]
    assert control(tg, "GET", "calls?errors=1").json()["result"][0]["error_code"] == 500
    assert control(tg, "GET", "nothing").status_code == 404
    assert control(tg, "GET", "health").json()["result"]["url"] == tg.url
    assert control(tg, "POST", "reset").json()["result"] is True
