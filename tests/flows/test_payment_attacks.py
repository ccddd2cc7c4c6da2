"""Payments attacked (issue 16): outbox entries never upserted, a late payment for an expired
order, unmatched payments refunded from the staff chat, charges that share a provider id,
an order cancelled while its payment lands."""

from __future__ import annotations

import mongomock
import pytest

import models
from flows import order_lifecycle, staff
from tests.flows import test_payments as base

shop = base.shop  # the fixture
BUYER, drain, place = base.BUYER, base.drain, base.place

STAFF_CHAT, MEMBER = -1001, 901


@pytest.fixture
def no_outbox_upserts(monkeypatch):
    """Fail any upsert into the outbox: on FerretDB v2 racing upserts can reset a freshly
    inserted document (models/counter.py), so entries are inserted, a duplicate key meaning
    they exist."""
    seen = []
    for name in ("update_one", "update_many", "find_one_and_update", "replace_one"):
        original = getattr(mongomock.Collection, name)

        def checked(self, *args, _original=original, _name=name, **kwargs):
            if self.name == "outbox" and kwargs.get("upsert"):
                seen.append((_name, args[0] if args else kwargs.get("filter")))
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(mongomock.Collection, name, checked)
    return seen


def test_outbox_entries_are_inserted_never_upserted(shop, no_outbox_upserts):
    engine, bot = shop
    staff.configure(staff.Feed(STAFF_CHAT, None, frozenset({MEMBER})))
    order, client = place(engine, bot)  # the card, the invoice
    client.pay()  # the card redrawn, the buyer told
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="shipped")
    drain(engine)
    assert no_outbox_upserts == []
    kinds = sorted(n.kind for n in models.Notice.objects)
    assert kinds == ["buyer", "buyer", "card", "invoice"]
    card = models.Notice.objects.get(id=f"card:{order.pk}")
    assert card.want == 3 and card.shown == 3 and not card.pending
    # writing the same buyer's entry again (actions resumed) adds nothing, sent stays sent
    models.Notice.tell_buyer(order.pk, 1, BUYER, "en")
    assert models.Notice.objects.get(id=f"buyer:{order.pk}:1").state == "sent"
