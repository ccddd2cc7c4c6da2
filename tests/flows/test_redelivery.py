"""A crash between an action's effect and the conversation's write: Telegram delivers the
update again, the action runs again, and its effect is not doubled (design.md, step 6)."""

from __future__ import annotations

from pymongo.errors import AutoReconnect

from engine import ChatClient
from flows.replay import demo_catalog, make_engine
from models import Cart, Product


def test_add_to_cart_redelivered_after_a_crash_counts_once(monkeypatch):
    engine = make_engine()  # a fresh embedded database
    demo_catalog()
    client = ChatClient(engine, 42, first_name="Ann", language_code="en")
    client.send("/start")
    client.send("🛍 Catalog")
    client.click("Books")
    client.click("Popular science")
    event = client.engine_event_for_test("🛒 Add to cart")
    real_save = engine.store.save

    def crash_once(conversation):
        monkeypatch.setattr(engine.store, "save", real_save)
        raise AutoReconnect("the database went away before the conversation was written")
    monkeypatch.setattr(engine.store, "save", crash_once)
    assert engine.handle(event) is False, "not processed: Telegram will deliver it again"
    engine.handle(event)  # the redelivery: the same update
    quantities = [line.quantity for line in Cart.for_user(42).lines()]
    assert quantities == [1], "the effect of the first run is not repeated"
    assert engine.handle(event) is True  # a third delivery: skipped as processed
    assert [line.quantity for line in Cart.for_user(42).lines()] == [1]
    assert Product.objects.count() > 0
