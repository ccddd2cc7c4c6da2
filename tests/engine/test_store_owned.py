"""The exclusive store: one write per update from the owner's copy, others wait or take over."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import mongomock
import pytest

from engine import ChatClient, Engine, MongoStore, StubSender
from engine.errors import StaleConversation
from engine.store import HELD, Busy


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
                      {"$set": {"until": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)}})
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
