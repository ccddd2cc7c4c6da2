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
