"""The conversation stores: leases, compare-and-set, and no lost updates under threads."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import mongomock
import pytest

from engine import ChatClient, Engine, MemoryStore, MongoStore, StubSender
from engine.errors import StaleConversation
from engine.store import Busy


@pytest.fixture
def collection():
    return mongomock.MongoClient().db.conversations


def test_acquire_creates_and_save_persists(collection):
    store = MongoStore(collection)
    conv = store.acquire(7)
    assert conv.state is None and conv.version == 0 and conv.lease
    conv.state, conv.data = "menu", {"x": 1}
    store.save(conv)
    doc = collection.find_one({"_id": 7})
    assert doc["state"] == "menu" and doc["data"] == {"x": 1} and doc["v"] == 1
    assert doc["lease"] is None and doc["created"] and doc["modified"]
    assert store.peek(7).state == "menu"


def test_a_leased_conversation_waits_then_gives_up(collection):
    store = MongoStore(collection, wait_seconds=0.05)
    first = store.acquire(7)
    with pytest.raises(Busy):
        store.acquire(7)
    store.release(first)
    assert store.acquire(7).version == 0


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_save(collection):
    store = MongoStore(collection, lease_seconds=-1)  # leases expire at once
    old = store.acquire(7)
    new = store.acquire(7)
    new.state = "b"
    store.save(new)
    old.state = "a"
    with pytest.raises(StaleConversation):
        store.save(old)
    assert store.peek(7).state == "b"


def test_save_is_compare_and_set_on_the_version(collection):
    store = MongoStore(collection)
    conv = store.acquire(7)
    collection.update_one({"_id": 7}, {"$inc": {"v": 1}})  # someone else wrote
    with pytest.raises(StaleConversation):
        store.save(conv)


def _hammer(client_factory, users: int, threads: int, per_thread: int) -> None:
    errors = []

    def work(index: int) -> None:
        try:
            client = client_factory(index % users + 1)
            for _ in range(per_thread):
                client.send("/start")
        except Exception as err:  # collected and re-raised in the test thread
            errors.append(err)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors, errors


@pytest.mark.parametrize("kind", ["memory", "mongo"])
def test_threads_on_the_same_user_lose_nothing(mini_flows, kind):
    lock = threading.RLock()

    @contextmanager
    def serialised():
        with lock:
            yield

    if kind == "memory":
        engine = Engine(mini_flows, MemoryStore(), StubSender())
    else:  # the embedded store is not thread-safe: the app serialises it, as run_bot does
        engine = Engine(mini_flows, MongoStore(mongomock.MongoClient().db.c), StubSender(),
                        unit_of_work=serialised)
    sender_lock = threading.Lock()
    send = engine.sender.send

    def locked_send(*args, **kwargs):
        with sender_lock:
            return send(*args, **kwargs)
    engine.sender.send = locked_send
    _hammer(lambda uid: ChatClient(engine, uid), users=2, threads=6, per_thread=25)
    assert engine.store.peek(1).data["greeted"] == 75
    assert engine.store.peek(2).data["greeted"] == 75


def test_memory_store_never_aliases_the_caller():
    """The stored conversation and the caller's are separate all the way down: a change
    after save, or during an update given up with release, reaches neither the store nor
    the next update."""
    from datetime import datetime
    from decimal import Decimal

    from engine.templates import Html

    store = MemoryStore()
    conv = store.acquire(7)
    nested = {"form": {"name": "Ann", "tags": ["a"]}, "when": datetime(2024, 1, 2),
              "price": Decimal("1.50"), "html": Html("<b>x</b>"), "pair": (1, [2])}
    conv.state, conv.data, conv.params = "menu", nested, {"product": "p1"}
    conv.history = [{"state": "catalog", "params": {"cat": "c1"}, "page": 0}]
    conv.seen = [1, 2]
    store.save(conv)
    conv.data["form"]["tags"].append("after save")
    conv.history[0]["params"]["cat"] = "changed"
    conv.seen.append(3)

    again = store.acquire(7)
    assert again.data["form"] == {"name": "Ann", "tags": ["a"]}
    assert again.history == [{"state": "catalog", "params": {"cat": "c1"}, "page": 0}]
    assert again.seen == [1, 2] and again.version == 1 and again.lease
    assert type(again.data["html"]) is Html and again.data["price"] == Decimal("1.50")
    assert again.data["when"] == datetime(2024, 1, 2) and again.data["pair"] == (1, [2])
    again.data["form"]["name"] = "given up"
    again.params["product"] = "given up"
    store.release(again)

    peeked = store.peek(7)
    assert peeked.data["form"]["name"] == "Ann" and peeked.params == {"product": "p1"}
    peeked.data["form"]["name"] = "peeked"
    third = store.acquire(7)
    assert third.data["form"]["name"] == "Ann" and third is not again
    assert third.data is not again.data and third.history[0] is not again.history[0]
    store.release(third)


def test_memory_store_keeps_attributes_of_the_callers_own():
    store = MemoryStore()
    conv = store.acquire(8)
    conv.state, conv.note = "menu", ["x"]  # not a field: kept all the same
    store.save(conv)
    again = store.acquire(8)
    assert again.state == "menu" and again.note == ["x"] and again.note is not conv.note
    store.release(again)
