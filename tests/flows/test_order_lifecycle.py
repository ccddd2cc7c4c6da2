"""Orders move through their lifecycle by compare-and-set, with a history, and a cancelled
order's stock comes back exactly once."""

from __future__ import annotations

import pytest

from flows import order_lifecycle
from flows.order_lifecycle import TransitionRefused, change
from models import Cart, Category, Order, Product, placing


@pytest.fixture
def order(db):
    category = Category(name="C")
    category.save()
    tea = Product(name="Tea", category=category, price=100, stock=10)
    tea.save()
    cart = Cart.for_user(5)
    cart.add(tea, 3)
    return Order.from_cart(cart), tea


def test_staff_take_an_order_to_delivered_and_each_step_is_kept(order):
    order, _ = order
    for trigger in ("confirm", "ship", "deliver"):
        order = change(order.pk, role="staff", actor="Ann (@ann)", trigger=trigger)
    assert order.status == "delivered" and order.version == 3
    assert [(e.source, e.dest, e.role, e.by) for e in order.history] == [
        ("new", "confirmed", "staff", "Ann (@ann)"),
        ("confirmed", "shipped", "staff", "Ann (@ann)"),
        ("shipped", "delivered", "staff", "Ann (@ann)")]


def test_what_is_not_allowed_now_is_refused_with_what_is(order):
    order, _ = order
    with pytest.raises(TransitionRefused) as err:
        change(order.pk, role="staff", actor="Ann", trigger="deliver")
    assert sorted(err.value.allowed) == [("cancel", "cancelled"), ("confirm", "confirmed")]
    with pytest.raises(TransitionRefused):
        change(order.pk, role="buyer", actor="5", trigger="confirm")
    with pytest.raises(TransitionRefused, match="needs a note"):
        change(order.pk, role="staff", actor="Ann", trigger="cancel")
    assert Order.objects.get(id=order.pk).status == "new"


def test_a_change_based_on_an_old_version_is_refused(order):
    order, _ = order
    change(order.pk, role="staff", actor="Ann", trigger="confirm")
    with pytest.raises(TransitionRefused) as err:  # Bob read version 0, then pressed "ship"
        change(order.pk, role="staff", actor="Bob", trigger="ship", expect_version=0)
    assert err.value.conflict
    assert Order.objects.get(id=order.pk).version == 1


def test_cancelling_returns_the_stock_once_even_when_the_return_is_repeated(order, monkeypatch):
    order, tea = order
    assert tea.reload().stock == 7
    done = []
    real = placing.return_stock

    def crash_after_returning(order_id):
        real(order_id)
        done.append(order_id)
        raise RuntimeError("the process died after returning the stock")
    monkeypatch.setattr(placing, "return_stock", crash_after_returning)
    with pytest.raises(RuntimeError):
        change(order.pk, role="buyer", actor="5", trigger="cancel_by_buyer")
    assert tea.reload().stock == 10
    monkeypatch.setattr(placing, "return_stock", real)
    assert order_lifecycle.resume() == 1, "the interrupted change's actions are run again"
    assert order_lifecycle.resume() == 0
    assert tea.reload().stock == 10, "returned once"
    assert Order.objects.get(id=order.pk).status == "cancelled"


def test_an_outbox_entry_whose_claim_answer_was_lost_is_claimed_again_at_once(order,
                                                                          monkeypatch):
    """The server restarting (FerretDB's PostgreSQL recovering) answered a claim with an
    error after doing it: the entry stayed held by a worker that did not know it, and
    nobody sent it until its 60 s lease ran out (a flaky end-to-end script: "the outbox
    still had work after 30 s"). The same worker now takes it again at once; an entry one
    of its threads has in hand is never taken twice."""
    from pymongo.errors import OperationFailure

    from flows.notify import OutboxQueue
    from models import Notice

    order, _ = order
    Notice.redraw_card(order.pk, -100, None)
    queue = OutboxQueue(lease=60.0)
    real = Notice.claim.__func__

    def claimed_then_lost(cls, owner, lease, busy=()):
        real(cls, owner, lease, busy)  # done on the server ...
        raise OperationFailure("the database system is not yet accepting connections")
    monkeypatch.setattr(Notice, "claim", classmethod(claimed_then_lost))
    with pytest.raises(OperationFailure):
        queue.claim()
    monkeypatch.undo()
    batch = queue.claim()  # ... and the answer lost: taken again, not after 60 s
    assert batch is not None and batch.key == f"card:{order.pk}"
    assert queue.claim() is None  # in hand: no second thread gets it
    batch.close(False)
    again = queue.claim()  # handed back, or a release whose answer was lost: taken again
    assert again is not None and again.key == batch.key
