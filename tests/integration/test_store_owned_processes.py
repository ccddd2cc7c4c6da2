"""Owned conversations (one round trip per update) beside other processes, on a real server.

Every update's action has an effect outside the conversation (``$inc`` of an ``effects``
document, as a cart +1 is) and one inside it; redeliveries of the same update go to both
processes. At the end each effect must count every distinct update exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time

import mongoengine
import pytest

from tests.integration.processes import (
    START_TIMEOUT,
    alternating_owners,
    effect_engine,
    owner_then_crash,
    round_ids,
    run_together,
    tick,
)

USERS = list(range(601, 609))


def _prepare(user_ids) -> None:
    mongoengine.get_db()["effects"].insert_many([{"_id": uid, "n": 0} for uid in user_ids])


def _check(user_ids, expected: int) -> None:
    db = mongoengine.get_db()
    for uid in user_ids:
        effect = db["effects"].find_one({"_id": uid})["n"]
        doc = db["conversations"].find_one({"_id": uid})
        assert (effect, doc["data"]["n"], doc["v"]) == (expected, expected, expected), uid
        assert doc["lease"] is None


def test_owners_alternating_with_a_shared_process_lose_and_double_nothing(real_db_uri):
    rounds, per_round = 4, 20
    _prepare(USERS)
    done = run_together(alternating_owners, (real_db_uri, 0, USERS, rounds, per_round, 4),
                        (real_db_uri, 1, USERS, rounds, per_round, 4), timeout=240)
    # per round and user: the owner's 20 updates, and the shared process's 20, 10 of which
    # redeliver the owner's: 30 distinct updates, each applied once
    _check(USERS, rounds * per_round * 3 // 2)
    assert sum(d["processed"] for d in done) == 2 * rounds * per_round * len(USERS)
    owners = mongoengine.get_db()["conversations_owners"]
    assert owners.count_documents({}) == 0, "every owner withdrew at its clean stop"


@pytest.mark.parametrize("machine", [True, False], ids=["process-gone", "registration-expired"])
def test_a_crashed_owner_is_taken_over(real_db_uri, machine):
    users, per_user, grace = USERS[:3], 5, 1.0
    _prepare(users)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(1)
    from tests.integration.processes import _child

    results = ctx.Queue()
    crashed = ctx.Process(target=_child, args=(0, owner_then_crash, barrier, results,
                                               (real_db_uri, users, per_user, machine, grace)))
    crashed.start()
    crashed.join(START_TIMEOUT + 60)
    assert crashed.exitcode == -9, "the owner died by SIGKILL"
    db = mongoengine.get_db()
    assert all(db["conversations"].find_one({"_id": uid})["owner"] for uid in users)
    _check(users, per_user)
    # a new process serves the same users: redeliveries of the dead owner's last updates
    # are skipped, new updates are applied once
    bot, database = effect_engine(real_db_uri, exclusive=True, wait_seconds=30.0)
    started = time.monotonic()
    for uid in users:
        for update_id in round_ids(0, uid, per_user - 3, 6):
            assert tick(bot, uid, update_id)
    waited = time.monotonic() - started
    bot.store.close()
    database.client.close()
    _check(users, per_user + 3)
    if machine:  # same machine, process gone: no wait for the registration to expire
        assert waited < 2 * grace


def stalled_owner(barrier, uri: str, user_id: int, renew: float, grace: float,
                  lease: float) -> dict:
    """An exclusive store serves two updates of one user; the second, from the copy, is
    frozen (SIGSTOP: a VM freeze, docker pause, a swap storm) after its effects and before
    its save, for longer than the registration's ttl; continued, it saves 0.3 s later (its
    last Telegram call), by which time the heartbeat has registered anew."""
    bot, _ = effect_engine(uri, exclusive=True, renew_seconds=renew, grace_seconds=grace,
                           lease_seconds=lease)
    store, save = bot.store, bot.store.save
    seen = {"held": [], "tokens": []}

    def stalling_save(conv) -> None:
        seen["held"].append(conv.lease == "@held")
        if len(seen["held"]) == 2:
            seen["tokens"].append(store.registration.token)
            os.kill(os.getpid(), signal.SIGSTOP)
            time.sleep(0.3)
            seen["tokens"].append(store.registration.token)
        save(conv)
    store.save = stalling_save
    barrier.wait(timeout=START_TIMEOUT)
    handled = [tick(bot, user_id, round_ids(0, user_id, 0, 1)[0])]
    token = store.registration.token
    time.sleep(4 * renew)  # renewals on this server keep the token (an exact `until` match)
    seen["renewed"] = store.registration.token == token
    handled.append(tick(bot, user_id, round_ids(0, user_id, 1, 1)[0]))
    store.close()
    return {"handled": handled, **seen}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/stat")
def test_an_update_frozen_past_the_ttl_is_applied_once(real_db_uri):
    """F1 of issue 18: the copy's save compares `owner` with the token it was served under,
    not with the one the heartbeat registered while the process was frozen."""
    user, (renew, grace, lease) = USERS[0], (0.2, 1.0, 1.0)  # ttl 2 s
    _prepare([user])
    from tests.integration.processes import _child

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(1), ctx.Queue()  # kept: the child unpickles them
    child = ctx.Process(target=_child, args=(0, stalled_owner, barrier, results,
                                             (real_db_uri, user, renew, grace, lease)))
    child.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT + 30
        while True:  # until it froze itself
            with open(f"/proc/{child.pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                    break
            assert child.is_alive() and time.monotonic() < deadline, "the owner never froze"
            time.sleep(0.01)
        time.sleep(renew + grace + lease + 1.0)  # frozen past the ttl
        os.kill(child.pid, signal.SIGCONT)
        _, ok, value = results.get(timeout=60)
        assert ok, value
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
    assert value["handled"] == [True, True]
    assert value["renewed"], "renewals registered anew: the copy was never served"
    assert value["held"][:2] == [False, True], "the second update came from the copy"
    assert value["tokens"][0] != value["tokens"][1], "the heartbeat registered anew meanwhile"
    _check([user], 2)  # two updates, each applied once (not re-run as stale)
