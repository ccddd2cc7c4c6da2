"""Correctness under contention, with real OS processes on the real server.

mongomock cannot show any of this: it lives in one process and is not thread-safe. The
tests talk to the server directly (MongoDB, or FerretDB v2 in CI): nothing between them
and the server orders their requests.
"""

from __future__ import annotations

import pytest

from models import Cart, Category, Order, Product, User
from tests.integration.processes import (
    change_orders,
    checkout,
    click_add,
    first_clicks,
    first_numbers,
    move_categories,
    place_quote,
    run_together,
    take_numbers,
    tree_race,
)
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

CLICKS = 500  # per process


@pytest.fixture
def category(real_db_uri):
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
        assert refused == [{"name": f"Last {round_}", "names": {"ru": f"Last {round_}"},
                            "stock": 0, "product": str(units[round_].pk), "wanted": 1}], \
            "the loser is told what ran out"
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


FIRST_ROUNDS = 20
THREADS = 4


def test_first_clicks_on_a_new_line_at_once_all_count(real_db_uri, category):
    """The line does not exist yet: 2 x 4 clicks race to create it, none may be refused."""
    products = [make_product(category, name=f"New {i}", stock=100) for i in range(FIRST_ROUNDS)]
    ids = [str(p.pk) for p in products]
    outcomes = run_together(first_clicks, *[(real_db_uri, 3, ids, THREADS)] * 2,
                            threads=THREADS)
    assert [o for per_process in outcomes for o in per_process].count("out_of_stock") == 0
    cart = Cart.for_user(3)
    assert [cart.quantity(p) for p in products] == [2 * THREADS] * FIRST_ROUNDS


def test_first_numbers_of_a_new_counter_at_once(real_db_uri):
    """The counter does not exist yet: 2 x 4 callers race to start it."""
    names = [f"c{i}" for i in range(FIRST_ROUNDS)]
    first, second = run_together(first_numbers, *[(real_db_uri, names, THREADS)] * 2,
                                 threads=THREADS)
    for index, name in enumerate(names):
        got = sorted(first[index::len(names)] + second[index::len(names)])
        assert got == list(range(1001, 1001 + 2 * THREADS)), f"counter {name}: {got}"


def test_one_quote_placed_from_two_processes_at_once_is_one_order(real_db_uri, category):
    """2 processes x 4 threads place the same confirmed checkout: one order, stock taken once."""
    from models import quote_cart

    tea = make_product(category, name="Tea", stock=14)
    cup = make_product(category, name="Cup", stock=10)
    cart = Cart.for_user(42)
    cart.add(tea, 7)
    cart.add(cup, 2)
    quote, _ = quote_cart(cart)
    first, second = run_together(place_quote, *[(real_db_uri, 42, quote.to_dict(), THREADS)] * 2,
                                 threads=THREADS)
    assert set(first + second) == {1001}, "every attempt got the same order"
    assert Order.objects.count() == 1
    assert (tea.reload().stock, cup.reload().stock) == (7, 8)
    assert tea.holds == [] and cup.holds == []
    assert Cart.for_user(42).is_empty


def test_two_categories_moved_under_each_other_at_once_never_make_a_loop(real_db_uri):
    """25 rounds of A -> under B and B -> under A from two processes: one move wins each
    round, the other is refused, every category stays reachable from a root."""
    pairs = []
    for round_ in range(25):
        a, b = Category(name=f"A{round_}"), Category(name=f"B{round_}")
        a.save()
        b.save()
        pairs.append((str(a.pk), str(b.pk)))
    first, second = run_together(move_categories, (real_db_uri, pairs),
                                 (real_db_uri, [(b, a) for a, b in pairs]))
    for round_, outcome in enumerate(zip(first, second, strict=True)):
        assert sorted(outcome) == ["moved", "refused"], f"round {round_}: {outcome}"
    reachable = set()
    level = [c.pk for c in Category.roots()]
    while level:
        reachable.update(level)
        level = list(Category.objects(parent__in=level).scalar("id"))
    assert reachable == set(Category.objects.scalar("id")), "a category fell out of the tree"


@pytest.mark.parametrize("role", ["move", "product"])
def test_a_category_deleted_while_something_is_put_into_it_leaves_no_orphan(real_db_uri, role):
    """20 rounds: one process deletes category C while another moves a category (or adds a
    product) into C. Either may win; never both, so nothing points at a deleted category."""
    rounds = []
    for round_ in range(20):
        target, other = Category(name=f"C{round_}"), Category(name=f"A{round_}")
        target.save()
        other.save()
        rounds.append((str(target.pk), str(other.pk)))
    deleted, put = run_together(tree_race, (real_db_uri, "delete", rounds),
                                (real_db_uri, role, rounds))
    for round_, outcome in enumerate(zip(deleted, put, strict=True)):
        assert outcome.count("done") == 1, f"round {round_}: {outcome}"
    ids = set(Category.objects.scalar("id"))
    parents = [d.get("parent") for d in Category._get_collection().find({}, {"parent": 1})]
    assert all(p is None or p in ids for p in parents), "a category lost its parent"
    homes = [d["category"] for d in Product._get_collection().find({}, {"category": 1})]
    assert all(c in ids for c in homes), "a product lost its category"


def test_two_staff_pressing_ship_at_the_same_instant_make_one_change(real_db_uri, category):
    """10 orders; for each, 2 processes x 2 threads press "Ship" at once: one change each,
    one history entry, the version bumped once."""
    from flows.order_lifecycle import change

    tea = make_product(category, stock=100)
    ids = []
    for user in range(10):
        cart = Cart.for_user(700 + user)
        cart.add(tea)
        order = Order.from_cart(cart)
        change(order.pk, role="staff", actor="setup", trigger="confirm")
        ids.append(str(order.pk))
    first, second = run_together(change_orders, (real_db_uri, ids, "ship", "Ann", 2),
                                 (real_db_uri, ids, "ship", "Bob", 2), threads=2)
    assert (first + second).count("changed") == 10
    for order in Order.objects(id__in=ids):
        assert order.status == "shipped" and order.version == 2
        assert [e.trigger for e in order.history] == ["confirm", "ship"]
