"""The webhook endpoint: malformed updates are acknowledged or refused, never a 500."""

from __future__ import annotations

import pytest

import settings as settings_module
from faketelegram import FakeTelegram
from engine.run import create_app, webhook_path
from flows.shop import shop
from tests.engine.test_updates import MALFORMED, message

SECRET = "s3cret"


@pytest.fixture
def webhook(db, monkeypatch):
    from telebot import apihelper

    monkeypatch.setattr(apihelper, "API_URL", apihelper.API_URL)  # restored after the test
    monkeypatch.setattr(apihelper, "FILE_URL", apihelper.FILE_URL)
    with FakeTelegram() as tg:
        config = settings_module.load({"BOT_TOKEN": tg.token, "WEBHOOK_SECRET": SECRET,
                                       "TELEGRAM_API_URL": tg.url,
                                       "MONGO_URI": f"mongomock://localhost/{db.name}"})
        client = create_app(shop, config).test_client()

        def post(body: object):
            return client.post(webhook_path(tg.token), json=body,
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        post.tg = tg
        post.raw = (client, webhook_path(tg.token), {"X-Telegram-Bot-Api-Secret-Token": SECRET})
        yield post


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_update_is_acknowledged_and_nothing_is_done(webhook, body, caplog):
    response = webhook({"update_id": 10, **body})
    assert response.status_code == 200  # was 500 with a traceback
    assert webhook.tg.calls() == []  # nothing sent, nothing asked
    assert [r.levelname for r in caplog.records if "malformed" in r.message] == ["WARNING"]


@pytest.mark.parametrize("body", [
    {"update_id": "10", "message": message()}, {"update_id": 2**70}, {"message": message()},
    [1, 2], "update"])
def test_something_that_is_not_an_update_is_a_400(webhook, body):
    assert webhook(body).status_code == 400


def test_json_nested_too_deep_to_parse_is_a_400_not_a_500(webhook):
    client, path, headers = webhook.raw
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400


def test_a_valid_update_still_works(webhook):
    webhook.tg.user(7, first_name="Ann").send("hello")  # the chat exists: the bot may answer
    assert webhook({"update_id": 11, "message": message()}).status_code == 200
    assert webhook.tg.last_message(7)["text"].startswith("Hello, Ann!")
