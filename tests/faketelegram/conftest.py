"""Fixtures for the fake Telegram's tests: a running server, a telebot client, a user in chat."""

from __future__ import annotations

import pytest
import requests
import telebot
from telebot import apihelper

from faketelegram import FakeTelegram

USER_ID = 42


@pytest.fixture
def tg():
    """A running fake Telegram with the default bot; stopped after the test."""
    fake = FakeTelegram(callback_timeout=15.0)
    with fake:
        yield fake


@pytest.fixture
def bot(tg, monkeypatch):
    """A telebot client of the fake's bot (API_URL and FILE_URL restored after the test)."""
    monkeypatch.setattr(apihelper, "API_URL", tg.api_url)
    monkeypatch.setattr(apihelper, "FILE_URL", tg.file_url)
    return telebot.TeleBot(tg.token, threaded=False)


@pytest.fixture
def ann(tg):
    """User 42, who has started the bot (the chat exists) and whose update is consumed."""
    user = tg.user(USER_ID, first_name="Ann", last_name="Lee", username="ann", language_code="en")
    user.send("/start")
    drain(tg)
    return user


def drain(tg: FakeTelegram) -> list[dict]:
    """Consume every pending update with getUpdates, as a polling bot would."""
    updates = call(tg, "getUpdates")["result"]
    if updates:
        call(tg, "getUpdates", offset=updates[-1]["update_id"] + 1)
    return updates


def call(tg: FakeTelegram, method: str, *, token: str | None = None, **params: object) -> dict:
    """A Bot API call with parameters as JSON; returns the decoded answer, whatever its status."""
    response = requests.post(f"{tg.url}/bot{token or tg.token}/{method}", json=params, timeout=10)
    body = response.json()
    assert response.status_code == (200 if body["ok"] else body["error_code"])
    return body


def error_of(tg: FakeTelegram, method: str, **params: object) -> tuple[int, str]:
    """The (error_code, description) of a call expected to fail."""
    body = call(tg, method, **params)
    assert not body["ok"], f"{method} unexpectedly succeeded: {body}"
    return body["error_code"], body["description"]


def control(tg: FakeTelegram, verb: str, path: str, **body: object) -> requests.Response:
    """A control API request."""
    return requests.request(verb, f"{tg.url}/control/{path}", json=body or None, timeout=10)
