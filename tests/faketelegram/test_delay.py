"""The per-call delay: Telegram's latency for load runs, calls overlapping as over a network."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from faketelegram import FakeTelegram
from faketelegram.cli import build_parser


def _call(tg: FakeTelegram, method: str, **params) -> dict:
    return requests.post(f"{tg.url}/bot{tg.token}/{method}", json=params, timeout=5).json()


def test_each_call_takes_the_delay_and_calls_overlap():
    with FakeTelegram(delay=0.2) as tg:
        tg.user(42, first_name="Ann").send("/start")  # a chat the bot may write to
        started = time.monotonic()
        assert _call(tg, "getMe")["ok"]
        assert time.monotonic() - started >= 0.2
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: _call(tg, "sendMessage", chat_id=42, text="hi"),
                                    range(4)))
        assert all(r["ok"] for r in results)
        assert time.monotonic() - started < 0.2 * 4, "served side by side, not one by one"
        started = time.monotonic()
        assert _call(tg, "getUpdates", timeout=0)["ok"]  # a long poll waits anyway: no delay
        assert time.monotonic() - started < 0.2


def test_no_delay_by_default_and_on_the_command_line():
    with FakeTelegram() as tg:
        assert tg.api.delay == 0
    assert build_parser().parse_args(["--delay", "0.05"]).delay == 0.05
