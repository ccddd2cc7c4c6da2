"""The polling bot stopped with SIGTERM (what systemd sends) at random moments, and started
again: every update is answered exactly once, none lost with its offset confirmed.

The real ``run_bot.py`` against the fake Telegram server, whose sends are slowed so that a
batch is still being processed when the signal comes; conversations on the real server of
``MONGO_URI`` (a restarted process must see which updates were processed).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faketelegram import FakeTelegram
from tests.integration.conftest import fresh_database
from tests.integration.server import MONGO_URI, configured

pytestmark = [
    pytest.mark.e2e, pytest.mark.slow,
    pytest.mark.skipif(not configured(), reason="needs MONGO_URI=mongodb://... (a real server "
                       "the restarted bot shares; see docs/integration.md)"),
]

ROOT = Path(__file__).resolve().parents[2]
USERS = range(1, 61)
GREETING = "👋"


def greetings(tg, user: int) -> int:
    return sum(1 for e in tg.transcript(user, actor="bot")
               if e["action"] == "send" and GREETING in (e.get("text") or ""))


def start_bot(tg, uri: str, log) -> subprocess.Popen:
    """Start the bot and wait until it polls (its log says so: then SIGTERM is handled)."""
    log.seek(0, os.SEEK_END)
    start = log.tell()
    env = {**os.environ, "BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "MONGO_URI": uri,
           "PYTHONPATH": str(ROOT)}
    bot = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "--no-worker",
                            "--log-level", "INFO"], env=env, stdout=log,
                           stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(start)
        if "polling as @" in log.read():
            return bot
        assert bot.poll() is None, "the bot exited at start"
        time.sleep(0.05)
    raise AssertionError("the bot did not start polling within 60 s")


@pytest.mark.parametrize("seed", [1, 2])
def test_sigterm_at_random_moments_loses_and_repeats_nothing(tmp_path, seed):
    rng = random.Random(seed)
    with contextlib.ExitStack() as stack:
        uri = stack.enter_context(fresh_database(MONGO_URI))
        tg = stack.enter_context(FakeTelegram())
        log = stack.enter_context(open(tmp_path / "bot.log", "w+", encoding="utf-8"))
        people = [tg.user(u, first_name=f"U{u}", language_code="ru") for u in USERS]
        for person in people:  # 60 updates waiting before the bot starts
            person.send("/start")
        stops = 0
        try:
            for _ in range(4):
                tg.fail_next("sendMessage", "slow", count=len(USERS), delay=0.05)
                bot = start_bot(tg, uri, log)
                time.sleep(rng.uniform(0.05, 0.6))
                bot.send_signal(signal.SIGTERM)
                assert bot.wait(timeout=60) == 0, "a stop requested by SIGTERM is a clean exit"
                stops += 1
                if all(greetings(tg, u) for u in USERS):
                    break
            tg.fail_next("sendMessage", "slow", count=0)
            bot = start_bot(tg, uri, log)  # the last start: whatever is left gets answered
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(greetings(tg, u) for u in USERS):
                time.sleep(0.2)
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=60) == 0
        finally:
            for process in (p for p in [locals().get("bot")] if p and p.poll() is None):
                process.kill()
            log.seek(0)
            output = log.read()
        counts = {u: greetings(tg, u) for u in USERS}
        assert all(n == 1 for n in counts.values()), (
            f"after {stops} stops: {[u for u, n in counts.items() if n != 1]} were answered "
            f"{sorted(set(counts.values()))} times\n{output[-3000:]}")
        assert "Traceback" not in output, output[-3000:]
