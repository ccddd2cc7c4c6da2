"""Correctness under contention, with real OS processes on the real server.

mongomock cannot show any of this: it lives in one process and is not thread-safe.
"""

from __future__ import annotations

import pytest

from models import Cart, Category, Order, Product, User
from tests.integration.processes import checkout, click_add, run_together, take_numbers

CLICKS = 500  # per process


@pytest.fixture
def category(real_db):
    category = Category(name="Contended")
    category.save()
    return category


def make_product(category, name="Tea", stock=10_000, price=10_000):
    product = Product(name=name, category=category, price=price, stock=stock)
    product.save()
    return product


def test_double_clicks_from_two_processes_add_up_exactly(real_db_uri, category):
    tea = make_product(category, stock=10_000)
    User.register(1)
    results = run_together(click_add, *[(real_db_uri, 1, str(tea.pk), CLICKS)] * 2)
    assert [r["added"] for r in results] == [CLICKS, CLICKS]
    assert [r["refused"] for r in results] == [0, 0]
    assert Cart.for_user(1).quantity(tea) == 2 * CLICKS


def test_clicks_beyond_stock_are_refused_and_never_exceed_it(real_db_uri, category):
    tea = make_product(category, stock=700)
    results = run_together(click_add, *[(real_db_uri, 2, str(tea.pk), CLICKS)] * 2)
    assert sum(r["added"] for r in results) == 700
    assert sum(r["refused"] for r in results) == 2 * CLICKS - 700
    assert max(r["highest"] for r in results) <= 700, "a click saw more than the stock"
    assert Cart.for_user(2).quantity(tea) == 700
    assert tea.reload().stock == 700, "a cart reserves nothing"


ROUNDS = 5


def test_two_shoppers_buying_the_last_unit_at_once(real_db_uri, category):
    """Each round: two carts hold the last unit (and a plentiful cup); both check out at once."""
    cup = make_product(category, name="Cup", stock=100, price=500)
    units, users = [], ([], [])
    for round_ in range(ROUNDS):
        unit = make_product(category, name=f"Last {round_}", stock=1)
        units.append(unit)
        for shopper, ids in enumerate(users):
            user_id = 100 + 10 * round_ + shopper
            cart = Cart.for_user(user_id)
            cart.add(cup)  # first, so the loser has taken a cup before it finds no unit left
            cart.add(unit)
            ids.append(user_id)

    first, second = run_together(checkout, (real_db_uri, users[0]), (real_db_uri, users[1]))

    for round_, outcomes in enumerate(zip(first, second, strict=True)):
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["ordered", "out_of_stock"], f"round {round_}: {outcomes}"
        refused = next(value for kind, value in outcomes if kind == "out_of_stock")
        assert refused == [{"name": f"Last {round_}", "stock": 0, "product": str(units[round_].pk),
                            "wanted": 1}], "the loser is told what ran out"
        assert units[round_].reload().stock == 0
    assert Order.objects.count() == ROUNDS
    assert cup.reload().stock == 100 - ROUNDS, "the losers' cups were put back"
    assert Product.objects(stock__lt=0).count() == 0
    numbers = sorted(o.number for o in Order.objects)
    assert numbers == list(range(1001, 1001 + ROUNDS))
    for round_ in range(ROUNDS):
        winners = [Cart.for_user(ids[round_]).is_empty for ids in users]
        assert sorted(winners) == [False, True], "the winner's cart is emptied, the loser's kept"


def test_counter_numbers_from_two_processes_are_unique_and_contiguous(real_db_uri):
    count = 300
    first, second = run_together(take_numbers, *[(real_db_uri, "order", count)] * 2)
    numbers = first + second
    assert len(set(numbers)) == len(numbers), "a number was given twice"
    assert sorted(numbers) == list(range(1001, 1001 + 2 * count))
    assert first == sorted(first) and second == sorted(second), "each process sees them rising"
