"""Injected faults (429, 5xx, timeouts, disconnects) and flood limits with retry_after."""

from __future__ import annotations

import time

import pytest
import requests
from telebot.apihelper import ApiHTTPException, ApiTelegramException

from faketelegram import FakeTelegram, FaultConfig, RateLimits
from faketelegram.errors import ApiError
from faketelegram.faults import FaultInjector, RateLimiter

from .conftest import USER_ID, call


def test_scripted_429_carries_retry_after(tg, bot, ann):
    tg.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(ApiTelegramException) as caught:
        bot.send_message(USER_ID, "hi")
    assert caught.value.error_code == 429
    assert caught.value.description == "Too Many Requests: retry after 7"
    assert caught.value.result_json["parameters"] == {"retry_after": 7}
    assert bot.send_message(USER_ID, "hi").text == "hi"  # only the next call failed
    assert [e["text"] for e in ann.transcript(actor="bot")] == ["hi"]
    assert tg.injected_faults() == [("sendmessage", "429")]
    assert tg.calls(errors_only=True)[0]["fault"] == "429"


def test_5xx_answers(tg, bot, ann):
    tg.fail_next("sendMessage", "500")
    with pytest.raises(ApiTelegramException) as caught:
        bot.send_message(USER_ID, "x")
    assert (caught.value.error_code, caught.value.description) == (500, "Internal Server Error")
    tg.fail_next(None, "502")  # any method
    with pytest.raises(ApiHTTPException) as gateway:
        bot.get_me()
    assert gateway.value.result.status_code == 502 and "Bad Gateway" in gateway.value.result.text
    tg.fail_next("getMe", "error", code=403, description="Forbidden: bot was kicked")
    with pytest.raises(ApiTelegramException, match="bot was kicked"):
        bot.get_me()


def test_disconnect_and_timeout_are_not_applied(tg, ann):
    url = f"{tg.url}/bot{tg.token}/sendMessage"
    tg.fail_next("sendMessage", "disconnect")
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"chat_id": USER_ID, "text": "lost"}, timeout=5)
    tg.fail_next("sendMessage", "timeout", delay=2)
    with pytest.raises(requests.ReadTimeout):
        requests.post(url, json={"chat_id": USER_ID, "text": "late"}, timeout=0.3)
    assert ann.transcript(actor="bot") == []


def test_slow_answers_late_but_applies(tg, ann):
    tg.fail_next("sendMessage", "slow", delay=0.3)
    started = time.monotonic()
    assert call(tg, "sendMessage", chat_id=USER_ID, text="eventually")["ok"]
    assert time.monotonic() - started >= 0.3
    assert [e["text"] for e in ann.transcript(actor="bot")] == ["eventually"]


def _outcomes(config: FaultConfig, calls: int = 30) -> list[int]:
    with FakeTelegram(faults=config) as fake:
        fake.user(USER_ID).send("/start")
        return [
            requests.post(
                f"{fake.url}/bot{fake.token}/sendMessage",
                json={"chat_id": USER_ID, "text": "x"},
                timeout=5,
            ).status_code
            for _ in range(calls)
        ]


def test_random_faults_are_deterministic_with_a_seed():
    config = FaultConfig(
        rate=0.4, kinds=("429", "5xx"), methods=frozenset({"sendMessage"}), seed=11
    )
    first = _outcomes(config)
    assert first == _outcomes(config)
    assert set(first) == {200, 429, 500, 502}
    assert _outcomes(FaultConfig(rate=0.4, kinds=("429", "5xx"), seed=12)) != first


def test_fault_config_is_checked():
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultConfig(rate=0.1, kinds=("teapot",))
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultConfig(rate=2)
    injector = FaultInjector(
        FaultConfig(rate=1.0, kinds=("429",), methods=frozenset({"sendMessage"}))
    )
    assert injector.pick("getme") is None
    assert injector.pick("sendmessage").kind == "429"


def test_rate_limits_per_chat_and_overall(tg, ann):
    tg.set_rate_limits(RateLimits(per_chat=1, per_chat_burst=2, overall=0.5, overall_burst=3))
    bob = tg.user(7)
    bob.send("/start")
    send = lambda chat, text: call(tg, "sendMessage", chat_id=chat, text=text)  # noqa: E731
    assert send(USER_ID, "1")["ok"] and send(USER_ID, "2")["ok"]
    flooded = send(USER_ID, "3")
    assert flooded["error_code"] == 429 and flooded["parameters"] == {"retry_after": 1}
    assert flooded["description"] == "Too Many Requests: retry after 1"
    assert send(7, "other chat")["ok"]
    assert send(7, "overall burst spent")["error_code"] == 429
    tg.set_rate_limits(None)
    assert send(USER_ID, "unlimited")["ok"]


def test_rate_limiter_refills_and_holds_a_flood_wait():
    now = [0.0]
    limiter = RateLimiter(
        RateLimits(per_chat=1, per_chat_burst=1, overall=30, overall_burst=30), clock=lambda: now[0]
    )
    limiter.check("t", 1)
    with pytest.raises(ApiError) as caught:
        limiter.check("t", 1)
    assert caught.value.retry_after == 1
    now[0] = 0.5
    with pytest.raises(ApiError):
        limiter.check("t", 1)  # still inside the flood wait
    now[0] = 1.01
    limiter.check("t", 1)
    limiter.check("t", 2)  # chats are limited separately
