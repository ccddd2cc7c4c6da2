"""Malformed updates are acknowledged and ignored; commands addressed to other bots are not ours."""

from __future__ import annotations

import logging

import pytest
from telebot import apihelper

from engine import Engine, MemoryStore, load_flows
from faketelegram import FakeTelegram
from engine.telegram import EngineBot, TelebotSender, attach
from engine.updates import parse
from tests.engine.conftest import MINI

USER = {"id": 7, "is_bot": False, "first_name": "Ann", "language_code": "en"}
CHAT = {"id": 7, "type": "private", "first_name": "Ann"}


def message(**changes) -> dict:
    return {"message_id": 1, "date": 1700000000, "chat": CHAT, "from": USER, "text": "/start",
            **changes}


MALFORMED = {
    "empty message": {"message": {}},
    "message of a text": {"message": "hello"},
    "text user id": {"message": message(**{"from": {**USER, "id": "7"}})},
    "user id beyond 52 bits": {"message": message(**{"from": {**USER, "id": 2**70}})},
    "chat id beyond 52 bits": {"message": message(chat={**CHAT, "id": 2**70})},
    "boolean message id": {"message": message(message_id=True)},
    "text that is a number": {"message": message(text=5)},
    "entities that are text": {"message": message(entities="bold")},
    "callback without from": {"callback_query": {"id": "1", "chat_instance": "c", "data": "x"}},
    "callback with a text user id": {"callback_query": {
        "id": "1", "chat_instance": "c", "data": "x", "from": {**USER, "id": "seven"}}},
    "callback with an empty message": {"callback_query": {
        "id": "1", "chat_instance": "c", "data": "x", "from": USER, "message": {}}},
    "contact without a phone": {"message": message(text=None, contact={"first_name": "A"})},
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_update_becomes_an_empty_one_logged_once(body, caplog):
    with caplog.at_level(logging.WARNING, logger="engine.updates"):
        update = parse({"update_id": 10, **body})
    assert update.update_id == 10
    assert update.message is None and update.callback_query is None
    assert len(caplog.records) == 1 and "update 10 malformed" in caplog.records[0].message


@pytest.mark.parametrize("update_id", ["10", None, -1, 2**70, 1.5, True])
def test_an_update_without_an_integer_id_is_not_an_update(update_id):
    assert parse({"update_id": update_id, "message": message()}) is None
    assert parse(["not", "a", "dict"]) is None


def test_a_well_formed_update_keeps_what_the_engine_reads():
    update = parse({"update_id": 11, "message": message(text="/start@fake_test_bot go"),
                    "edited_message": {"garbage": True}})
    assert update.message.text == "/start@fake_test_bot go"
    assert update.message.from_user.id == 7 and update.edited_message is None


@pytest.fixture
def tg(monkeypatch):
    with FakeTelegram() as fake:
        monkeypatch.setattr(apihelper, "API_URL", fake.api_url)
        monkeypatch.setattr(apihelper, "FILE_URL", fake.file_url)
        yield fake


@pytest.fixture
def polling(tg):
    """A polling bot on the mini flows; ``pump()`` fetches and processes once, like telebot."""
    bot = EngineBot(tg.token, threaded=False)
    engine = Engine(load_flows(MINI), MemoryStore(), TelebotSender(bot))
    attach(bot, engine.handle)

    def pump() -> None:
        # what telebot's polling loop does on each turn (TeleBot.__retrieve_updates)
        bot.process_new_updates(bot.get_updates(offset=bot.last_update_id + 1, timeout=5,
                                                long_polling_timeout=0))

    bot.pump = pump
    return bot


def test_polling_survives_malformed_updates_and_confirms_them(polling, tg, monkeypatch):
    real = apihelper.get_updates
    batch = [{"update_id": 100 + i, **body} for i, body in enumerate(MALFORMED.values())]
    monkeypatch.setattr(apihelper, "get_updates", lambda *a, **k: batch)
    polling.pump()  # raised KeyError / TypeError from telebot before
    assert polling.last_update_id == 100 + len(batch) - 1  # confirmed: not fetched again
    monkeypatch.setattr(apihelper, "get_updates", real)
    polling.last_update_id = 0  # the fake server numbers its own updates from 1
    ann = tg.user(7, first_name="Ann", language_code="en")
    ann.send("/start")
    polling.pump()
    assert tg.last_message(7)["text"] == "Hello, Ann!"


def test_a_command_for_another_bot_is_not_ours(polling, tg):
    ann = tg.user(7, first_name="Ann", language_code="en")
    ann.send("/start")
    polling.pump()
    ann.press("Catalog")
    polling.pump()
    ann.send("/start@other_bot")
    polling.pump()
    # before: taken as our /start, back to the greeting
    texts = [m.get("text") for m in tg.messages(7)]
    assert texts[-2:] == ["Sorry, I did not get that. Use the buttons below.", "Catalog"]
    ann.send("/start@Fake_Test_Bot")  # our own name, in any case, is ours
    polling.pump()
    assert tg.last_message(7)["text"] == "Hello, Ann!"
