"""Broadcast workers as real OS processes on a real server: killed mid-broadcast, and two
at once on the same broadcast.

Both send through the fake Telegram server (in this process), whose transcripts say what
every user really received. The claims rely on the server's single-document atomicity,
which MongoDB and FerretDB v2 have (docs/integration.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from faketelegram import FakeTelegram, FaultConfig
from models import BatchRecipients, Broadcast, BroadcastBatch, User
from tests.integration.processes import run_together, send_broadcasts
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Скидки всем!"
THREADS = 4


@pytest.fixture
def tg():
    with FakeTelegram() as fake:
        yield fake


def users(tg, ids, blocked_since=()) -> None:
    """Users who started the bot; ``blocked_since`` blocked it after (the database says no)."""
    User.objects.insert([User(telegram_id=i, first_name=f"U{i}") for i in ids], load_bulk=False)
    for i in ids:
        tg.user(i).send("/start")
    for i in blocked_since:
        tg.user(i).block()


def deliveries(tg, ids) -> Counter:
    """How many times each user received the broadcast."""
    return Counter({i: sum(1 for e in tg.transcript(i, actor="bot")
                           if e["action"] == "send" and e.get("text") == TEXT) for i in ids})


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_worker(uri: str, tg, log) -> subprocess.Popen:
    """``python run_bot.py worker``, with claims that a dead worker loses after 3 s."""
    env = {**os.environ, "MONGO_URI": uri, "BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
           "BROADCAST_RATE": "100", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "worker", "--threads",
                             str(THREADS), "--timeout", "1", "--lease", "3", "--batch-size",
                             "20", "--log-level", "WARNING"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_broadcast_resumes_and_no_one_gets_it_twice(real_db_uri, tg,
                                                                        tmp_path):
    ids = range(1, 301)
    blocked = set(range(10, 301, 30))
    users(tg, ids, blocked_since=blocked)
    broadcast = Broadcast.compose(TEXT)
    log = open(tmp_path / "worker.log", "w+", encoding="utf-8")  # noqa: SIM115
    first, second = start_worker(real_db_uri, tg, log), None
    try:
        sent = lambda: len(tg.calls(method="sendMessage"))  # noqa: E731
        wait_for(lambda: sent() >= 80, 60, "the first 80 sends")
        # Kill it at a known point inside the in-doubt window: each of its threads has
        # recorded a send as begun and is waiting for Telegram's answer, which the fake
        # holds (then delivers: the messages did reach Telegram, the worker never learns).
        tg.fail_next("sendMessage", "slow", count=THREADS, delay=2.0)
        held = lambda: sum(1 for _, kind in tg.injected_faults() if kind == "slow")  # noqa: E731
        wait_for(lambda: held() == THREADS, 10, "every thread's send to be held")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        states = Counter(state for body in BatchRecipients.objects
                         for state in body.states.values())
        assert states["sending"] == THREADS and 70 <= states["sent"] + states["blocked"] < 300
        in_doubt = {int(chat) for body in BatchRecipients.objects
                    for chat, state in body.states.items() if state == "sending"}

        second = start_worker(real_db_uri, tg, log)  # takes over once the claims lapse
        wait_for(lambda: Broadcast.objects.get(id=broadcast.pk).finished is not None, 60,
                 "the broadcast to finish")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        log.seek(0)
        output = log.read()
        log.close()
    # the fake delivers the held sends 2 s after they came (long done, but say so)
    wait_for(lambda: all(deliveries(tg, in_doubt - blocked).values()), 10, "the held sends")

    got = deliveries(tg, ids)
    assert {u for u, n in got.items() if n > 1} == set(), "someone got it twice"
    assert {u for u, n in got.items() if n == 1} == set(ids) - blocked, output
    broadcast.reload()
    counts = broadcast.counts()
    assert broadcast.status == "done" and counts["unknown"] == THREADS
    assert counts == {"total": 300, "sent": 300 - len(blocked | in_doubt),
                      "blocked": len(blocked - in_doubt), "failed": 0, "unknown": THREADS,
                      "pending": 0}
    assert set(User.objects(blocked=True).distinct("telegram_id")) == blocked - in_doubt


def test_two_workers_on_one_broadcast_never_send_a_message_twice(real_db_uri, tg):
    ids = range(1, 401)
    blocked = set(range(7, 401, 40))
    users(tg, ids, blocked_since=blocked)
    tg.set_faults(FaultConfig(rate=0.15, kinds=("429", "429", "5xx", "disconnect"),
                              methods=frozenset({"sendMessage"}), retry_after=1, seed=3))
    broadcast = Broadcast.compose(TEXT)

    workers = run_together(send_broadcasts, (real_db_uri, tg.url, tg.token),
                           (real_db_uri, tg.url, tg.token), timeout=120)

    got = deliveries(tg, ids)
    assert {u for u, n in got.items() if n > 1} == set(), "someone got it twice"
    assert {u for u, n in got.items() if n == 1} == set(ids) - blocked
    assert broadcast.reload().counts() == {"total": 400, "sent": 400 - len(blocked),
                                           "blocked": len(blocked), "failed": 0,
                                           "unknown": 0, "pending": 0}
    owners = Counter(batch.owner for batch in BroadcastBatch.objects)
    assert set(owners) == set(workers) and len(workers) == 2  # both took their share
    assert sum(1 for _, kind in tg.injected_faults() if kind == "429") >= 10  # it had floods
