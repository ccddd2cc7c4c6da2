"""Placing an order for a quote: once, for exactly what was quoted, whatever fails around it.

Fault injection: each step of ``models.placing`` is made to fail once; then the same quote
is placed again (a retry, a redelivered update) or abandoned and rolled back by
``recover_stale``. Either way the stock ends exactly right, no hold is left behind, and
there is at most one order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Cart, Category, Order, OutOfStock, Product, placing
from models.base import utcnow
from models.errors import QuoteChanged
from models.quote import Quote, differences, quote_cart


class Injected(RuntimeError):
    pass


@pytest.fixture
def basket(db):
    category = Category(name="C")
    category.save()
    tea = Product(name="Tea", category=category, price=10_000, discount=10, stock=14)
    tea.save()
    cup = Product(name="Cup", category=category, price=2_550, stock=10)
    cup.save()
    cart = Cart.for_user(7)
    cart.add(tea, 7)
    cart.add(cup, 2)
    quote, changes = quote_cart(cart)
    assert changes == []
    return quote, tea, cup


def fail_once(monkeypatch, step: str, call: int = 0, done: bool = False) -> None:
    """Make call number ``call`` of ``placing.<step>`` raise: before doing its work, or
    (``done``) after it, as when the process dies or the reply is lost."""
    real = getattr(placing, step)
    calls = [0]

    def flaky(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call + 1:
            if done:
                real(*args, **kwargs)
            raise Injected(step)
        return real(*args, **kwargs)
    monkeypatch.setattr(placing, step, flaky)


FAULTS = [(step, call, done) for step, calls in
          (("claim", 1), ("hold", 2), ("complete", 1), ("settle", 1))
          for call in range(calls) for done in (False, True)]


def assert_placed_once(quote, tea, cup):
    orders = list(Order.objects)
    assert len(orders) == 1 and orders[0].status == "new" and orders[0].number == 1001
    assert [(i.name, i.quantity, i.unit_price) for i in orders[0].items] == \
        [("Tea", 7, 9_000), ("Cup", 2, 2_550)]
    assert orders[0].total == quote.total == 7 * 9_000 + 2 * 2_550
    assert (tea.reload().stock, cup.reload().stock) == (7, 8), "taken exactly once"
    assert tea.holds == [] and cup.holds == []
    assert Cart.for_user(7).is_empty
    assert orders[0].settled


@pytest.mark.parametrize(("step", "call", "done"), FAULTS)
def test_a_failure_at_any_step_then_a_retry_places_once(basket, monkeypatch, step, call, done):
    quote, tea, cup = basket
    fail_once(monkeypatch, step, call, done)
    with pytest.raises(Injected):
        placing.place(7, quote)
    if step == "claim" and done:
        # the order was written and leased, and the lease's holder is gone: a retry waits
        # for the lease to run out (here: made to have run out) and resumes it
        Order.objects.update(set__lease_until=utcnow() - timedelta(seconds=1))
    order = placing.place(7, quote)  # the retry: the same quote, the same key
    assert order.number == 1001
    assert placing.place(7, quote).pk == order.pk, "a third press changes nothing"
    assert_placed_once(quote, tea, cup)


@pytest.mark.parametrize(("step", "call", "done"),
                         [f for f in FAULTS if f[0] in ("claim", "hold")])
def test_an_abandoned_checkout_is_rolled_back_exactly(basket, monkeypatch, step, call, done):
    quote, tea, cup = basket
    fail_once(monkeypatch, step, call, done)
    with pytest.raises(Injected):
        placing.place(7, quote)
    assert placing.recover_stale(timedelta(minutes=5)) == 0, "too young to be abandoned"
    later = utcnow() + timedelta(minutes=10)
    written = 0 if (step, done) == ("claim", False) else 1
    assert Order.objects(status="pending").count() == written
    assert placing.recover_stale(timedelta(minutes=5), now=later) == written
    assert Order.objects.count() == 0
    assert (tea.reload().stock, cup.reload().stock) == (14, 10), "every unit back, once"
    assert tea.holds == [] and cup.holds == []
    assert placing.recover_stale(timedelta(minutes=5), now=later) == 0
    assert (tea.reload().stock, cup.reload().stock) == (14, 10)


def test_a_crash_mid_placing_leaves_a_lease_that_a_retry_waits_out(basket, monkeypatch):
    quote, tea, cup = basket
    order, token = placing.claim(7, quote)  # a process took it and died holding the lease
    placing.hold(order, quote.lines[0])
    monkeypatch.setattr(placing, "WAIT", 0.2)
    with pytest.raises(placing.CheckoutBusy):
        placing.place(7, quote)
    Order.objects(id=order.pk).update_one(set__lease_until=utcnow() - timedelta(seconds=1))
    placing.place(7, quote)
    assert_placed_once(quote, tea, cup)


def test_a_price_changed_after_the_quote_refuses_and_takes_nothing(basket):
    quote, tea, cup = basket
    tea.update(set__price=7_900_000)
    with pytest.raises(QuoteChanged) as err:
        placing.place(7, quote)
    assert [(c.kind, c.line.name, c.before, c.after) for c in err.value.changes] == \
        [("price", "Tea", 9_000, 7_110_000)]
    assert Order.objects.count() == 0
    assert (tea.reload().stock, cup.reload().stock) == (14, 10)


def test_a_price_change_racing_the_hold_is_caught_by_the_hold_itself(basket, monkeypatch):
    """The precheck passed; the price moves before the conditional update: it refuses."""
    quote, tea, cup = basket
    monkeypatch.setattr(placing, "precheck", lambda quote: tea.update(set__discount=0))
    with pytest.raises(QuoteChanged):
        placing.place(7, quote)
    assert Order.objects.count() == 0
    assert (tea.reload().stock, cup.reload().stock) == (14, 10)
    assert tea.holds == [] and cup.holds == []


def test_a_deleted_product_refuses_the_quote(basket):
    quote, tea, cup = basket
    cup.delete()
    with pytest.raises(QuoteChanged) as err:
        placing.place(7, quote)
    assert [c.kind for c in err.value.changes] == ["gone"]
    assert tea.reload().stock == 14


def test_stock_short_at_the_hold_puts_back_what_was_taken(basket, monkeypatch):
    quote, tea, cup = basket
    monkeypatch.setattr(placing, "precheck", lambda quote: cup.update(set__stock=1))
    with pytest.raises(OutOfStock) as err:
        placing.place(7, quote)
    assert [(i["name"], i["stock"], i["wanted"]) for i in err.value.items] == [("Cup", 1, 2)]
    assert (tea.reload().stock, cup.reload().stock) == (14, 1)
    assert Order.objects.count() == 0 and tea.holds == []


def test_the_quote_is_bought_not_the_cart_as_it_became(basket):
    quote, tea, cup = basket
    cart = Cart.for_user(7)
    cart.add(cup, 1)  # a click after the confirm screen
    assert [(c.kind, c.before, c.after) for c in differences(quote, cart)] == \
        [("quantity", 2, 3)]
    order = placing.place(7, quote)
    assert [i.quantity for i in order.items] == [7, 2]
    assert Cart.for_user(7).quantity(cup) == 1, "what was not bought stays in the cart"


def test_quote_cart_cuts_lines_to_the_stock_and_says_so(db):
    category = Category(name="C")
    category.save()
    tea = Product(name="Tea", category=category, price=100, stock=2)
    tea.save()
    gone = Product(name="Gone", category=category, price=100, stock=1)
    gone.save()
    cart = Cart.for_user(8)
    cart.add(tea, 2)
    cart.add(gone, 1)
    tea.update(set__stock=1)
    gone.update(set__stock=0)
    quote, changes = quote_cart(cart)
    assert [(c.kind, c.line.name, c.before, c.after) for c in changes] == \
        [("stock", "Tea", 2, 1), ("stock", "Gone", 1, 0)]
    assert [(line.name, line.quantity) for line in quote.lines] == [("Tea", 1)]
    assert [(line.product.name, line.quantity) for line in cart.reload().lines()] == [("Tea", 1)]


def test_a_quote_round_trips_through_conversation_data(basket):
    quote, _, _ = basket
    assert Quote.from_dict(quote.to_dict()) == quote
    assert Quote.from_dict({"key": 3}) is None and Quote.from_dict(None) is None
    assert Quote.from_dict({"key": "k", "lines": [{"bogus": 1}]}) is None


def test_another_users_quote_is_refused(basket):
    quote, tea, _ = basket
    placing.place(7, quote)
    with pytest.raises(QuoteChanged):
        placing.place(8, quote)
    assert tea.reload().stock == 7
