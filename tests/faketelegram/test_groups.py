"""Groups: a staff group with members who write, reply and press the bot's buttons, over the
control API's HTTP endpoints, against a real telebot bot polling the fake."""

from __future__ import annotations

import threading

import pytest
from telebot import types

from faketelegram import ControlError
from faketelegram.users import send_text

from .conftest import call, control, drain

GROUP = -1001234567890
ANN, BOB, EVE = 7, 8, 9


def ok(response) -> object:  # type: ignore[no-untyped-def]
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


def refused(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert response.status_code == 400 and not body["ok"], body
    return body["error"]


@pytest.fixture
def staff_bot(tg, bot):
    """A polling bot that posts an order card with buttons in the group on /order, answers a
    press by editing the card, and a reply to the card by thanking its author."""

    @bot.message_handler(commands=["order"])
    def order(message):
        markup = types.InlineKeyboardMarkup()
        markup.row(types.InlineKeyboardButton("Ship", callback_data="ship:1"),
                   types.InlineKeyboardButton("Cancel", callback_data="cancel:1"))
        bot.send_message(message.chat.id, "Order 1: a mug", reply_markup=markup,
                         message_thread_id=message.message_thread_id)

    @bot.callback_query_handler(func=lambda query: True)
    def press(query):
        bot.answer_callback_query(query.id, f"{query.data} by {query.from_user.first_name}")
        bot.edit_message_text(f"Order 1: shipped by {query.from_user.first_name}",
                              query.message.chat.id, query.message.message_id)

    @bot.message_handler(func=lambda message: message.reply_to_message is not None)
    def reason(message):
        bot.send_message(message.chat.id, f"Noted: {message.text}",
                         reply_to_message_id=message.message_id)

    poller = threading.Thread(
        target=bot.infinity_polling, kwargs={"timeout": 2, "long_polling_timeout": 1}
    )
    poller.start()
    try:
        tg.wait_polling()
        yield bot
        tg.wait_idle()
    finally:
        bot.stop_polling()
        poller.join(5)


def test_a_staff_group_played_over_http(tg, staff_bot):
    created = ok(control(tg, "POST", f"groups/{GROUP}", title="Staff",
                         members=[ANN, {"id": BOB, "first_name": "Bob", "username": "bob"}]))
    assert created["chat"] == {"id": GROUP, "title": "Staff", "type": "supergroup"}
    assert [m["id"] for m in created["members"]] == [ANN, BOB]
    assert created["members"][1]["first_name"] == "Bob"
    ok(control(tg, "POST", f"groups/{GROUP}/members/{ANN}", first_name="Ann"))  # a profile
    assert ok(control(tg, "GET", f"groups/{GROUP}"))["members"][0]["first_name"] == "Ann"

    sent = ok(control(tg, "POST", f"groups/{GROUP}/members/{ANN}/send", text="/order"))
    message = sent["message"]
    assert message["chat"]["id"] == GROUP and message["from"]["id"] == ANN
    assert message["entities"][0]["type"] == "bot_command"
    card = ok(control(tg, "POST", "wait/actions", chat_id=GROUP))[0]
    assert card["text"] == "Order 1: a mug" and card["action"] == "send"

    clicked = ok(control(tg, "POST", f"groups/{GROUP}/members/{BOB}/click", label="Ship"))
    query = clicked["callback_query"]
    assert query["from"]["id"] == BOB and query["data"] == "ship:1"
    assert query["message"]["chat"]["id"] == GROUP
    answer, edit = ok(control(tg, "POST", "wait/actions", chat_id=GROUP, count=2))
    assert answer["action"] == "answer" and answer["text"] == "ship:1 by Bob"
    assert edit["action"] == "edit" and edit["text"] == "Order 1: shipped by Bob"

    reply = ok(control(tg, "POST", f"groups/{GROUP}/members/{ANN}/send",
                       text="out of stock", reply_to=card["message_id"]))["message"]
    assert reply["reply_to_message"]["text"] == "Order 1: shipped by Bob"
    noted = ok(control(tg, "POST", "wait/actions", chat_id=GROUP))[0]
    assert noted["text"] == "Noted: out of stock"
    tg.wait_idle()

    transcript = ok(control(tg, "GET", f"chats/{GROUP}/transcript"))
    assert [(e["actor"], e["action"], e.get("user_id")) for e in transcript] == [
        ("user", "message", ANN),
        ("bot", "send", None),
        ("user", "click", BOB),
        ("bot", "answer", None),
        ("bot", "edit", None),
        ("user", "message", ANN),
        ("bot", "send", None),
    ]
    messages = ok(control(tg, "GET", f"chats/{GROUP}/messages"))
    assert [m["text"] for m in messages] == [
        "/order", "Order 1: shipped by Bob", "out of stock", "Noted: out of stock"
    ]
    assert messages[-1]["reply_to_message"]["message_id"] == reply["message_id"]
    assert ok(control(tg, "GET", "callbacks/unanswered")) == []
    rendered = control(tg, "GET", f"chats/{GROUP}/render?since=2")
    assert rendered.headers["Content-Type"].startswith("text/plain")
    assert rendered.text.splitlines()[0] == "#3   user  click by 8 [2] 'Ship' (ship:1)"


def test_a_forum_topic_and_a_basic_group(tg, staff_bot):
    forum = ok(control(tg, "POST", f"groups/{GROUP}", title="Staff", forum=True, members=[ANN]))
    assert forum["chat"]["is_forum"] is True
    message = ok(control(tg, "POST", f"groups/{GROUP}/members/{ANN}/send", text="/order",
                         thread_id=5))["message"]
    assert (message["message_thread_id"], message["is_topic_message"]) == (5, True)
    card = ok(control(tg, "POST", "wait/actions", chat_id=GROUP))[0]
    assert tg.message(GROUP, card["message_id"])["message_thread_id"] == 5

    basic = ok(control(tg, "POST", "groups/-4001", title="Old", type="group", members=[BOB]))
    assert basic["chat"] == {"id": -4001, "title": "Old", "type": "group"}
    ok(control(tg, "POST", f"groups/-4001/members/{BOB}/send", text="/order"))
    assert ok(control(tg, "POST", "wait/actions", chat_id=-4001))[0]["text"] == "Order 1: a mug"
    plain = call(tg, "sendMessage", chat_id=-4001, text="x", message_thread_id=5)["result"]
    assert "message_thread_id" not in plain  # not a forum: no topics
    assert "is not a forum" in refused(
        control(tg, "POST", f"groups/-4001/members/{BOB}/send", text="hi", thread_id=5))


def test_what_a_group_refuses(tg, bot):
    assert "no group -5 with @fake_test_bot" in refused(
        control(tg, "POST", f"groups/-5/members/{ANN}/send", text="hi"))
    assert "no group -5" in refused(control(tg, "GET", "chats/-5/transcript"))
    assert "'group' or 'supergroup', not 'channel'" in refused(
        control(tg, "POST", "groups/-5", type="channel"))
    assert "only a supergroup can be a forum" in refused(
        control(tg, "POST", "groups/-5", type="group", forum=True))
    assert control(tg, "POST", "groups/5").status_code == 404  # a group's id is negative
    ok(control(tg, "POST", "groups/-5", members=[ANN]))
    assert f"user {EVE} is not a member of group -5" in refused(
        control(tg, "POST", f"groups/-5/members/{EVE}/send", text="hi"))
    assert "no message in chat -5 has inline buttons" in refused(
        control(tg, "POST", f"groups/-5/members/{ANN}/click", label="Ship"))
    assert "no message 99 in chat -5 to reply to" in refused(
        control(tg, "POST", f"groups/-5/members/{ANN}/send", text="hi", reply_to=99))


def test_the_python_api_of_groups(tg, bot):
    tg.group(GROUP, title="Staff", members=[ANN])
    with pytest.raises(ControlError, match=f"user {EVE} is not a member"):
        send_text(tg.world, tg.bot(), EVE, "hi", group_id=GROUP)
    bob = tg.member(BOB, GROUP, first_name="Bob")  # joins
    assert [m["id"] for m in tg.group_info(GROUP)["members"]] == [ANN, BOB]
    bob.send("hello")
    bot.send_message(GROUP, "hi Bob")
    assert bob.wait()[0]["text"] == "hi Bob"
    assert bob.last_message()["text"] == "hi Bob"
    assert drain(tg)[0]["message"]["from"]["first_name"] == "Bob"
    assert call(tg, "getChat", chat_id=GROUP)["result"]["type"] == "supergroup"
    tg.user(ANN).send("/start")
    with pytest.raises(ControlError, match="a private chat, not a group"):
        tg.group_info(ANN)
