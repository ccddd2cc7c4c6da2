"""The Telegram adapter against the fake Bot API server: real telebot HTTP, real rules."""

from __future__ import annotations

import json

import pytest
import telebot
from telebot import apihelper

from engine import Engine, MemoryStore
from faketelegram import FakeTelegram
from engine.render import Inline, InlineButton
from engine.sender import Blocked, SendError
from engine.telegram import EngineBot, TelebotSender, attach
from tests.engine.conftest import MINI


@pytest.fixture
def tg(monkeypatch):
    with FakeTelegram() as fake:
        monkeypatch.setattr(apihelper, "API_URL", fake.api_url)
        monkeypatch.setattr(apihelper, "FILE_URL", fake.file_url)
        yield fake


@pytest.fixture
def sender(tg):
    return TelebotSender(telebot.TeleBot(tg.token, threaded=False), media_dir=MINI)


@pytest.fixture
def ann(tg):
    user = tg.user(42, first_name="Ann", language_code="en")
    user.send("/start")
    return user


def test_send_edit_not_modified_and_delete(sender, tg, ann):
    markup = Inline([[InlineButton("Go", "1:go")]])
    message_id = sender.send(42, "<b>Hi</b>", None, markup, "HTML")
    sender.edit(42, message_id, "<b>Hi</b>", None, markup, "HTML")  # not modified: success
    sender.edit(42, message_id, "<b>Hello</b>", None, markup, "HTML")
    assert tg.message(42, message_id)["text"] == "Hello"
    sender.delete(42, message_id)
    with pytest.raises(SendError, match="message to delete not found"):
        sender.delete(42, message_id)


def test_a_reply_keyboard_is_shown_then_taken_away(sender, tg, ann):
    from engine.render import RemoveKeyboard, ReplyKeyboard
    from engine.telegram import markup_json, to_telebot

    sender.send(42, "Your phone?", None, ReplyKeyboard("phone@en", [[("Share", True)]]), None)
    assert tg.keyboard(42)["keyboard"] == [[{"text": "Share", "request_contact": True}]]
    thanks = sender.send(42, "Thanks", None, RemoveKeyboard(), None)
    assert tg.keyboard(42) is None
    assert markup_json(RemoveKeyboard()) == '{"remove_keyboard": true}'
    assert json.loads(to_telebot(RemoveKeyboard()).to_json()) == {"remove_keyboard": True}
    with pytest.raises(SendError, match="inline keyboard expected"):
        sender.edit(42, thanks, "Thanks!", None, RemoveKeyboard(), None)


def test_a_local_picture_is_uploaded_once_then_sent_by_file_id(sender, tg, ann):
    sender.send(42, "one", "orange.png", None, None)
    sender.send(42, "two", "orange.png", None, None)
    sends = [e for e in ann.transcript(actor="bot") if e["action"] == "send"]
    assert sends[0].get("upload") and not sends[1].get("upload")
    assert sends[0]["photo"] == sends[1]["photo"]


def test_429_is_waited_out_and_403_is_blocked(sender, tg, ann):
    tg.fail_next("sendMessage", "429", retry_after=0)
    assert sender.send(42, "after a flood wait", None, None, None)
    ann.block()
    with pytest.raises(Blocked):
        sender.send(42, "nobody reads this", None, None, None)


def test_the_engine_answers_every_callback_and_marks_blocked_users(tg, monkeypatch):
    from engine import load_flows

    bot = EngineBot(tg.token, threaded=False)
    blocked = []
    sender = TelebotSender(bot, media_dir=MINI.parents[3])  # the example's pictures
    engine = Engine(load_flows(MINI), MemoryStore(), sender,
                    on_blocked=blocked.append)
    attach(bot, engine.handle)

    def pump() -> None:
        updates = bot.get_updates(offset=getattr(pump, "offset", None), timeout=0)
        if updates:
            pump.offset = updates[-1].update_id + 1
            bot.process_new_updates(updates)

    ann = tg.user(7, first_name="Ann", language_code="en")
    ann.send("/start")
    pump()
    ann.press("Catalog")
    pump()
    ann.click("Fruit")
    pump()
    assert tg.unanswered_callbacks() == []
    assert tg.last_message(7)["text"] == "CatalogFruit"
    ann.click("Citrus")
    pump()
    assert tg.unanswered_callbacks() == []
    assert [m.get("caption", m.get("text")) for m in tg.messages(7)][-1] == "Products in Citrus"
    ann.click("Show more")  # pressed, then the user blocks the bot before it answers
    ann.block()
    pump()
    assert blocked == [7]
    assert tg.unanswered_callbacks() == [], "even then the press is answered"


def test_commands_are_registered_in_both_languages(tg, monkeypatch):
    from engine.run import register_commands
    from flows.shop import shop

    flows = shop.flows()
    register_commands(telebot.TeleBot(tg.token, threaded=False), flows)
    ru = {c["command"]: c["description"] for c in tg.commands("ru")}
    en = {c["command"]: c["description"] for c in tg.commands("en")}
    default = {c["command"] for c in tg.commands("")}
    assert ru["catalog"] == "Каталог товаров" and en["catalog"] == "Browse the catalog"
    # /terms and /paysupport: Telegram requires them of a bot that takes payments
    assert default == set(ru) == {"start", "catalog", "cart", "orders", "help", "cancel",
                                  "terms", "paysupport"}


def test_a_refused_picture_leaves_its_card_without_it_and_the_list_whole(tg, monkeypatch,
                                                                         caplog):
    from engine import load_flows
    from tests.engine.examples.mini import actions

    # a path out of the media directory (refused by the sender) and a file id Telegram
    # does not know (refused by Telegram): both once took the whole category down
    monkeypatch.setitem(actions.PRODUCTS["p1"], "image", "/proc/self/environ")
    monkeypatch.setitem(actions.PRODUCTS["p2"], "image", "AgACAgIAAxkBAAIBbogus-file-id")
    bot = EngineBot(tg.token, threaded=False)
    engine = Engine(load_flows(MINI), MemoryStore(), TelebotSender(bot, media_dir=MINI))
    attach(bot, engine.handle)

    def pump() -> None:
        bot.process_new_updates(bot.get_updates(offset=bot.last_update_id + 1, timeout=5,
                                                long_polling_timeout=0))

    ann = tg.user(7, first_name="Ann", language_code="en")
    for act in (lambda: ann.send("/start"), lambda: ann.press("Catalog"),
                lambda: ann.click("Fruit"), lambda: ann.click("Citrus")):
        act()
        pump()
    texts = [m.get("text") for m in tg.messages(7)][-3:]
    assert texts == ["Orange <big>\nPrice: 120", "Lemon\nPrice: 80", "Products in Citrus"]
    assert not any(m.get("photo") for m in tg.messages(7))
    refused = [r for r in caplog.records if "refused" in r.message]
    assert len(refused) == 2 and "Orange" in refused[0].message  # once each, with the card
    assert not tg.calls(method="sendPhoto", errors_only=True)[1:]  # Telegram asked once
    ann.click("« Back")
    pump()
    ann.click("Citrus")
    pump()
    assert len([r for r in caplog.records if "refused" in r.message]) == 2  # not again
    assert len(tg.calls(method="sendPhoto")) == 1
