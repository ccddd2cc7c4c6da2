"""The exclusive store: one write per update from the owner's copy, others wait or take over."""

from __future__ import annotations

import logging
import os
import runpy
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import mongomock
import pytest

import engine.store
from engine import (
    ChatClient,
    Engine,
    Event,
    MongoStore,
    Registry,
    StubSender,
    load_flows,
    ownership,
)
from engine.errors import StaleConversation
from engine.store import HELD, Busy

ROOT = Path(__file__).resolve().parents[2]
_now = ownership._now  # the real clock, whatever a test makes the modules' clocks say


@pytest.fixture
def collection():
    return mongomock.MongoClient().db.conversations


def owned(collection, **kwargs) -> MongoStore:
    return MongoStore(collection, exclusive=True, heartbeat=False, **kwargs)


def test_steady_state_is_one_write_per_update(collection, mini_flows):
    store = owned(collection)
    client = ChatClient(Engine(mini_flows, store, StubSender()), 7)
    client.send("/start")  # new: lease, insert, write
    trips = dict(store.trips)
    for _ in range(5):
        client.send("/start")
    assert store.trips["write"] - trips["write"] == 5
    assert {k: store.trips[k] - trips[k] for k in ("lease", "insert", "other")} == \
        {"lease": 0, "insert": 0, "other": 0}
    doc = collection.find_one({"_id": 7})
    assert doc["owner"] == store.registration.token and doc["lease"] is None
    assert doc["data"]["greeted"] == 6 and doc["v"] == 6


def test_a_shared_store_waits_for_a_live_owner_then_takes_over(collection):
    owner = owned(collection)
    conv = owner.acquire(7)
    conv.state = "a"
    owner.save(conv)
    other = MongoStore(collection, wait_seconds=0.05)
    with pytest.raises(Busy):
        other.acquire(7)
    owner.close()  # a clean stop withdraws ownership: served at once elsewhere
    conv = other.acquire(7)
    assert conv.state == "a" and conv.version == 1
    conv.state = "b"
    other.save(conv)
    assert collection.find_one({"_id": 7})["owner"] is None


def test_an_expired_owner_is_taken_over_and_its_copy_is_refused(collection):
    owner = owned(collection)
    conv = owner.acquire(7)
    owner.save(conv)
    owners = collection.database["conversations_owners"]
    owners.update_one({"_id": owner.registration.token},
                      {"$set": {"until": _now() - timedelta(seconds=1)}})
    other = MongoStore(collection)
    taken = other.acquire(7)
    other.save(taken)
    # the owner believed itself alive (its assumption broken: a stall past its lease): the
    # compare-and-set on its ownership refuses the write of its copy
    conv = owner.acquire(7)
    assert conv.lease == HELD
    with pytest.raises(StaleConversation):
        owner.save(conv)
    # and the next renewal sees the registration expired: a new token, copies void
    old = owner.registration.token
    owner.registration.renew()
    assert owner.registration.token != old
    conv = owner.acquire(7)
    assert conv.lease != HELD and conv.version == 2
    owner.save(conv)
    assert collection.find_one({"_id": 7})["owner"] == owner.registration.token


def test_an_owner_whose_process_is_gone_is_taken_over_at_once(collection):
    owner = owned(collection)
    conv = owner.acquire(7)
    owner.save(conv)
    if owner.registration.machine is None:
        pytest.skip("no /proc: only expiry tells a dead owner here")
    owners = collection.database["conversations_owners"]
    owners.update_one({"_id": owner.registration.token},
                      {"$set": {"pid": os.getpid(), "started": "not this process"}})
    other = MongoStore(collection, wait_seconds=0.05)
    conv = other.acquire(7)  # a crashed process on this machine: no wait for its expiry
    other.save(conv)


def test_a_failed_update_drops_the_copy(collection, mini_flows):
    store = owned(collection)
    conv = store.acquire(7)
    conv.data = {"n": 1}
    store.save(conv)
    conv = store.acquire(7)
    conv.data["n"] = 99  # changed, then the update fails
    store.release(conv)
    conv = store.acquire(7)
    assert conv.lease != HELD and conv.data == {"n": 1}
    store.release(conv)


def test_one_user_is_served_one_update_at_a_time_in_process(collection):
    store = owned(collection, wait_seconds=0.05)
    conv = store.acquire(7)
    with pytest.raises(Busy):
        store.acquire(7)
    store.save(conv)
    store.release(store.acquire(7))


def test_owner_timings_are_checked(collection):
    with pytest.raises(ValueError, match="renew"):
        owned(collection, renew_seconds=30.0)


# -- issue 18's hostile review ---------------------------------------------------------------
def _shift_clocks(monkeypatch, seconds: float) -> None:
    """Every process's wall clock moves on by ``seconds`` (time passing: a stall, a suspend)."""
    shifted = lambda: _now() + timedelta(seconds=seconds)  # noqa: E731
    monkeypatch.setattr(ownership, "_now", shifted)
    monkeypatch.setattr(engine.store, "_now", shifted)


def _expire(store: MongoStore) -> None:
    store.owners.collection.update_one({"_id": store.registration.token},
                                       {"$set": {"until": _now() - timedelta(seconds=1)}})


EFFECT_FLOW = """\
bot:
  start: home
  languages: [en]
  commands: [{command: start, trigger: tick}]
states:
  home:
    screen: {text: t.home}
transitions:
  - {trigger: tick, source: "*", dest: "=", after: effect.count}
"""
EFFECT_TEXTS = {"engine.error": "Sorry", "engine.outdated": "Old", "engine.next": ">",
                "engine.previous": "<", "engine.more": "More", "engine.invalid": "Bad",
                "engine.reset": "Reset", "engine.keyboard": "Menu", "engine.unexpected": "?",
                "engine.foreign_contact": "No", "t.home": "Ticks: {data.n}"}


def _effect_engine(tmp_path, collection, during=None, **options):
    """An engine whose /start adds 1 outside the conversation (``effects``, as a cart +1)
    and inside it (``data.n``); ``during(call)`` runs right after the outside effect."""
    registry, calls = Registry(), []
    effects = collection.database["effects"]

    @registry.action("effect.count")
    def count(ctx) -> None:
        calls.append(ctx.user_id)
        effects.update_one({"_id": ctx.user_id}, {"$inc": {"n": 1}}, upsert=True)
        if during is not None:
            during(len(calls))
        ctx.data["n"] = ctx.data.get("n", 0) + 1

    (tmp_path / "bot.yaml").write_text(EFFECT_FLOW)
    flows = load_flows(tmp_path, registry=registry, texts={"en": EFFECT_TEXTS})
    return Engine(flows, owned(collection, **options), StubSender()), calls


def _tick(bot: Engine, user_id: int, update_id: int) -> bool:
    return bot.handle(Event("command", user_id=user_id, chat_id=user_id, update_id=update_id,
                            text="/start", command="start",
                            user={"id": user_id, "first_name": "U"}))


# F1: an update served from the copy must save under the token it was served under
def test_a_copy_in_flight_when_the_owner_registers_anew_is_applied_once(tmp_path, collection):
    holder = {}

    def stall(call: int) -> None:
        if call == 2:  # the 2nd update, from the copy, stalls past the ttl after its effect:
            _expire(holder["store"])  # its registration lapsed, nobody took the user over,
            holder["store"].registration.renew()  # and the heartbeat registered anew

    bot, calls = _effect_engine(tmp_path, collection, during=stall)
    holder["store"] = bot.store
    first = bot.store.registration.token
    assert _tick(bot, 7, 1) and _tick(bot, 7, 2)
    assert bot.store.registration.token != first
    assert len(calls) == 2, "the action ran again: its effect doubled"
    assert collection.database["effects"].find_one({"_id": 7})["n"] == 2
    doc = collection.find_one({"_id": 7})
    assert (doc["data"]["n"], doc["v"], doc["owner"]) == (2, 2, None)  # let go, not re-owned
    assert _tick(bot, 7, 3) and len(calls) == 3  # read again, then owned anew
    assert collection.find_one({"_id": 7})["owner"] == bot.store.registration.token


def test_a_copy_saves_under_the_token_it_was_served_under(collection):
    store = owned(collection)
    store.save(store.acquire(7))
    conv = store.acquire(7)
    old = store.registration.token
    assert conv.lease == HELD
    _expire(store)
    store.registration.renew()
    assert store.registration.token != old
    conv.state = "b"
    store.save(conv)  # no StaleConversation: the document is still marked with `old`
    doc = collection.find_one({"_id": 7})
    assert (doc["state"], doc["v"], doc["owner"]) == ("b", 2, None)
    assert len(store.copies) == 0
    conv = store.acquire(7)
    assert conv.lease != HELD and conv.state == "b"
    store.save(conv)
    assert collection.find_one({"_id": 7})["owner"] == store.registration.token


def test_acquire_stamps_token_generation_and_liveness_together(collection):
    """The heartbeat registers anew between acquire's look at the generation and at
    liveness: the copy must be stamped with the old token (whose mark the document has)."""
    store = owned(collection)
    store.save(store.acquire(7))
    get = store.copies.get

    def get_then_register_anew(user_id, generation):
        conv = get(user_id, generation)
        _expire(store)
        store.registration.renew()
        return conv
    store.copies.get = get_then_register_anew
    conv = store.acquire(7)
    store.copies.get = get
    assert conv.lease == HELD and conv.served[0] != store.registration.token
    store.save(conv)
    assert collection.find_one({"_id": 7})["v"] == 2


# F2: a late renewal never revives a registration that was taken over
def test_a_taken_over_registration_is_not_revived_by_a_late_renewal(collection, monkeypatch):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    registration, token = owner.registration, owner.registration.token
    owners = collection.database["conversations_owners"]
    until = owners.find_one({"_id": token})["until"]
    _shift_clocks(monkeypatch, registration.ttl + 1)  # the taker sees it expired
    other = MongoStore(collection)
    other.save(other.acquire(7))
    assert owners.find_one({"_id": token})["dead"] is True
    monkeypatch.undo()  # the owner's renewal lands now, sent while its clock saw it running
    registration.renew()
    assert registration.token != token, "the dead registration was renewed"
    assert owners.find_one({"_id": token})["until"] == until  # not pushed on
    conv = owner.acquire(7)
    assert conv.lease != HELD and conv.version == 2
    owner.save(conv)


def test_a_renewal_answered_after_the_registration_ran_out_does_not_count(collection,
                                                                          monkeypatch):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    registration, token = owner.registration, owner.registration.token
    real = registration.collection

    class Slow:  # the renewal is written, but its answer comes after the old `until`
        def __getattr__(self, name):
            return getattr(real, name)

        def update_one(self, *args, **kwargs):
            result = real.update_one(*args, **kwargs)
            _shift_clocks(monkeypatch, registration.ttl + 1)
            return result
    registration.collection = Slow()
    registration.renew()
    registration.collection = real
    assert registration.token != token
    assert owner.acquire(7).lease != HELD


def test_an_expired_registration_is_marked_dead_before_its_marks_are_cleared(collection):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    _expire(owner)
    other = MongoStore(collection)
    other.release(other.acquire(7))
    owners = collection.database["conversations_owners"]
    assert owners.find_one({"_id": owner.registration.token})["dead"] is True
    assert collection.find_one({"_id": 7})["owner"] is None


def test_renewals_keep_the_token_while_nothing_happens(collection):
    store = owned(collection)
    token = store.registration.token
    before = store.owners.collection.find_one({"_id": token})["until"]
    time.sleep(0.01)
    store.registration.renew()
    store.registration.renew()
    assert store.registration.token == token
    assert store.owners.collection.find_one({"_id": token})["until"] > before


# F3: a process hidden from /proc (ProtectProc=invisible) is not a dead one
def test_an_owner_hidden_from_proc_is_waited_for(collection, monkeypatch):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    if owner.registration.machine is None:
        pytest.skip("no /proc: only expiry tells a dead owner here")
    monkeypatch.setattr(ownership, "_started", lambda pid: None)  # hidepid=invisible
    other = MongoStore(collection, wait_seconds=0.05)
    with pytest.raises(Busy):
        other.acquire(7)

    def not_permitted(pid, signal):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(ownership.os, "kill", not_permitted)  # another user's process
    with pytest.raises(Busy):
        other.acquire(7)
    assert collection.find_one({"_id": 7})["owner"] == owner.registration.token


def test_an_owner_whose_pid_is_free_is_taken_over_at_once(collection):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    if owner.registration.machine is None:
        pytest.skip("no /proc: only expiry tells a dead owner here")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: kill(pid, 0) says ESRCH
    collection.database["conversations_owners"].update_one(
        {"_id": owner.registration.token}, {"$set": {"pid": child.pid}})
    other = MongoStore(collection, wait_seconds=0.05)
    other.save(other.acquire(7))


@pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("unshare")
                         and shutil.which("setpriv")),
                    reason="needs root, unshare and setpriv to mount /proc with hidepid")
def test_a_live_process_behind_hidepid_is_not_gone():
    """The real thing: a taker run by another user, with /proc mounted hidepid=invisible
    (what the units' ProtectProc=invisible does), must not take a live owner for dead."""
    owner = subprocess.Popen(["sleep", "30"])
    try:
        doc = {"_id": "T", "machine": ownership._machine(), "pid": owner.pid,
               "started": ownership._started(owner.pid)}
        taker = f"""\
import datetime, importlib.util
spec = importlib.util.spec_from_file_location("o", {str(ROOT / "engine" / "ownership.py")!r})
ownership = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ownership)  # the module alone: nobody may read the rest
doc = {doc!r}
doc["until"] = ownership._now() + datetime.timedelta(seconds=60)
class Registrations:
    def find_one(self, query):
        return doc
    def update_one(self, query, change):
        raise AssertionError("a live owner marked dead")
print(ownership._started(doc["pid"]), ownership.Owners(Registrations()).is_dead("T"))
"""
        script = ("mount -t proc -o hidepid=invisible proc /proc 2>/dev/null || "
                  "mount -t proc -o hidepid=2 proc /proc || exit 77; "
                  'exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" -c "$1"')
        done = subprocess.run(["unshare", "-m", "sh", "-c", script, sys.executable, taker],
                              capture_output=True, text=True, timeout=60, cwd="/")
        if done.returncode == 77 or "Permission denied" in done.stderr:
            pytest.skip(f"cannot mount /proc with hidepid here: {done.stderr.strip()}")
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["None", "False"]  # invisible, and not taken for dead
    finally:
        owner.kill()
        owner.wait()


# F4: a suspend stops time.monotonic, not the registration's expiry
def test_an_owner_resumed_after_a_suspend_does_not_serve_its_copies(collection, monkeypatch):
    owner = owned(collection)
    owner.save(owner.acquire(7))
    _shift_clocks(monkeypatch, 600)  # wall clocks moved on; time.monotonic did not
    assert not owner.registration.live()
    other = MongoStore(collection)
    conv = other.acquire(7)
    conv.state = "elsewhere"
    other.save(conv)
    conv = owner.acquire(7)
    assert conv.lease != HELD and conv.state == "elsewhere"
    owner.save(conv)


@pytest.mark.skipif(not hasattr(time, "CLOCK_BOOTTIME"), reason="no CLOCK_BOOTTIME here")
def test_liveness_counts_the_time_suspended(collection, monkeypatch):
    owner = owned(collection)
    assert owner.registration.live()
    gettime = time.clock_gettime
    monkeypatch.setattr(time, "clock_gettime", lambda clock: gettime(clock) + (
        600 if clock == time.CLOCK_BOOTTIME else 0))  # suspended 10 minutes
    assert not owner.registration.live()


# F6: two exclusive processes are told of, and BOT_EXCLUSIVE in .env is seen by gunicorn
def test_own_logs_an_error_when_another_owner_is_live(collection, caplog):
    first = owned(collection)
    with caplog.at_level(logging.ERROR, logger="engine.ownership"):
        second = owned(collection)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and first.registration.token in errors[0].getMessage()
    caplog.clear()
    first.close()
    _expire(second)
    with caplog.at_level(logging.ERROR, logger="engine.ownership"):
        second.registration.renew()  # anew: its own old token is nobody else's
        owned(collection.database["other_bot"])  # another bot's registrations
    assert not [r for r in caplog.records if r.levelno == logging.ERROR]


def test_own_does_not_warn_of_a_crashed_predecessor_on_this_machine(collection, caplog):
    crashed = owned(collection)
    if crashed.registration.machine is None:
        pytest.skip("no /proc: only expiry tells a dead owner here")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    crashed.owners.collection.update_one({"_id": crashed.registration.token},
                                         {"$set": {"pid": child.pid}})
    with caplog.at_level(logging.ERROR, logger="engine.ownership"):
        owned(collection)
    assert not [r for r in caplog.records if r.levelno == logging.ERROR]


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_gunicorn_refuses_bot_exclusive_with_several_workers(tmp_path, monkeypatch, where):
    for name in ("BOT_EXCLUSIVE", "MONGO_URI", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = "BOT_EXCLUSIVE=1\nMONGO_URI=mongodb://db:27017/tgshop\n"
    if where == "dotenv":  # as settings.load() reads it
        (tmp_path / ".env").write_text(settings)
    else:
        monkeypatch.setenv("BOT_EXCLUSIVE", "1")
        monkeypatch.setenv("MONGO_URI", "mongodb://db:27017/tgshop")
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    class Server:
        class cfg:
            workers, wsgi_app = config["workers"], "run_bot:app"
        app = None
    assert config["workers"] == 2
    with pytest.raises(SystemExit, match="BOT_EXCLUSIVE"):
        config["on_starting"](Server)
    Server.cfg.workers = 1
    config["on_starting"](Server)  # one worker: fine
