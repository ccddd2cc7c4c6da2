"""getUpdates: offset semantics, limit, allowed_updates, long polling, and a real telebot loop."""

from __future__ import annotations

import threading
import time

import requests
import telebot

from .conftest import USER_ID, call, error_of


def _ids(updates: list[dict]) -> list[int]:
    return [update["update_id"] for update in updates]


def test_offset_confirms_and_drops_earlier_updates(tg):
    ann = tg.user(USER_ID)
    for text in ("one", "two", "three"):
        ann.send(text)
    assert _ids(call(tg, "getUpdates")["result"]) == [1, 2, 3]
    assert _ids(call(tg, "getUpdates")["result"]) == [1, 2, 3]  # unconfirmed: served again
    assert _ids(call(tg, "getUpdates", offset=2)["result"]) == [2, 3]
    assert _ids(call(tg, "getUpdates")["result"]) == [2, 3]  # 1 is gone for good
    assert _ids(call(tg, "getUpdates", offset=2, limit=1)["result"]) == [2]
    assert _ids(call(tg, "getUpdates", offset=4)["result"]) == []
    assert tg.pending_updates() == []
    ann.send("four")
    assert _ids(call(tg, "getUpdates")["result"]) == [4]  # ids keep growing


def test_negative_offset_keeps_the_last_updates(tg, bot):
    ann = tg.user(USER_ID)
    for text in "abcd":
        ann.send(text)
    assert _ids(call(tg, "getUpdates", offset=-1)["result"]) == [4]
    assert _ids(call(tg, "getUpdates")["result"]) == [4]


def test_updates_carry_the_message(tg):
    tg.user(USER_ID, first_name="Ann", language_code="ru").send("/start deep-link")
    message = call(tg, "getUpdates")["result"][0]["message"]
    assert message["text"] == "/start deep-link"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"] == {
        "id": USER_ID,
        "is_bot": False,
        "first_name": "Ann",
        "language_code": "ru",
    }
    assert message["chat"] == {"id": USER_ID, "first_name": "Ann", "type": "private"}


def test_allowed_updates_filter_later_updates(tg, bot):
    ann = tg.user(USER_ID)
    ann.send("/start")
    call(tg, "getUpdates", offset=2, allowed_updates=["callback_query"])
    assert ann.send("ignored") is None
    bot.send_message(
        USER_ID,
        "menu",
        reply_markup=telebot.types.InlineKeyboardMarkup().add(
            telebot.types.InlineKeyboardButton("Go", callback_data="go")
        ),
    )
    assert ann.click("Go") is not None
    assert [list(u)[1] for u in call(tg, "getUpdates")["result"]] == ["callback_query"]
    assert tg.webhook_info()["allowed_updates"] == ["callback_query"]
    call(tg, "getUpdates", allowed_updates=[])  # an empty list restores the default
    assert ann.send("seen") is not None


def test_long_poll_returns_as_soon_as_an_update_arrives(tg):
    ann = tg.user(USER_ID)
    timer = threading.Timer(0.3, ann.send, args=("hello",))
    started = time.monotonic()
    timer.start()
    try:
        updates = call(tg, "getUpdates", timeout=10)["result"]
    finally:
        timer.join()
    assert [u["message"]["text"] for u in updates] == ["hello"]
    assert 0.25 < time.monotonic() - started < 3


def test_long_poll_times_out_empty(tg):
    started = time.monotonic()
    assert call(tg, "getUpdates", timeout=1)["result"] == []
    assert 0.9 < time.monotonic() - started < 3


def test_a_second_poller_terminates_the_first(tg):
    answers: list[dict] = []
    first = threading.Thread(
        target=lambda: answers.append(
            requests.get(f"{tg.url}/bot{tg.token}/getUpdates?timeout=5", timeout=10).json()
        )
    )
    first.start()
    tg.wait_polling()
    assert call(tg, "getUpdates")["result"] == []
    first.join()
    assert answers == [
        {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        }
    ]


def test_wait_polling_after_a_mark_waits_for_a_new_poll(tg):
    """A restarted bot process: the old one's poll still waiting does not count."""

    def poll() -> None:
        requests.get(f"{tg.url}/bot{tg.token}/getUpdates?timeout=2", timeout=10)

    old = threading.Thread(target=poll)
    old.start()
    tg.wait_polling()
    mark = tg.polls()
    started = time.monotonic()
    try:
        tg.wait_polling(0.3, after=mark)
        raise AssertionError("the old poll counted")
    except TimeoutError as err:
        assert f"after getUpdates call {mark}" in str(err)
    assert time.monotonic() - started >= 0.3
    new = threading.Thread(target=poll)
    new.start()
    tg.wait_polling(5, after=mark)
    assert tg.polls() == mark + 1
    old.join()
    new.join()
    assert requests.post(f"{tg.url}/control/wait/polling",
                         json={"timeout": 0.2, "after": mark + 1}).status_code != 200
    assert requests.get(f"{tg.url}/control/polls").json()["result"] == mark + 1


def test_telebot_polling_loop_against_the_fake(tg, bot):
    """A real telebot bot: long polling, handlers, replies, a button, answered callbacks."""

    @bot.message_handler(commands=["start"])
    def start(message):  # type: ignore[no-untyped-def]
        markup = telebot.types.InlineKeyboardMarkup().add(
            telebot.types.InlineKeyboardButton("Ping", callback_data="ping")
        )
        bot.send_message(
            message.chat.id, f"Hi, {message.from_user.first_name}!", reply_markup=markup
        )

    @bot.callback_query_handler(func=lambda query: True)
    def clicked(query):  # type: ignore[no-untyped-def]
        bot.answer_callback_query(query.id, "Pong")
        bot.edit_message_text("Ponged", query.message.chat.id, query.message.message_id)

    poller = threading.Thread(
        target=bot.infinity_polling,
        kwargs={"timeout": 2, "long_polling_timeout": 1, "skip_pending": True},
    )
    poller.start()
    try:
        tg.wait_polling()
        ann = tg.user(USER_ID, first_name="Ann")
        ann.send("/start")
        assert ann.wait()[0]["text"] == "Hi, Ann!"
        ann.click("Ping")
        actions = ann.wait(2)
        assert [(a["action"], a.get("text")) for a in actions] == [
            ("answer", "Pong"),
            ("edit", "Ponged"),
        ]
        tg.wait_idle()
        assert tg.unanswered_callbacks() == []
        assert tg.calls(errors_only=True) == []
    finally:
        bot.stop_polling()
        poller.join(5)
    assert not poller.is_alive()


def test_get_updates_conflicts_with_a_webhook(tg):
    call(tg, "setWebhook", url="http://127.0.0.1:9/hook")
    assert error_of(tg, "getUpdates") == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
