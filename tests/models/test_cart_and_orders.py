import pytest

from models import (
    Cart,
    Category,
    EmptyCart,
    Order,
    OutOfStock,
    Product,
    QuantityAtMinimum,
    User,
)


@pytest.fixture
def shop(db):
    category = Category(name="C")
    category.save()
    tea = Product(name="Tea", category=category, price=10000, discount=10, stock=3)
    tea.save()
    cup = Product(name="Cup", category=category, price=2550, stock=10)
    cup.save()
    user = User.register(100, first_name="Ann")
    return user, tea, cup


def test_add_increment_decrement_remove_clear_total(shop):
    user, tea, cup = shop
    cart = user.cart
    assert cart.is_empty
    assert cart.add(tea) == 1
    assert cart.increment(tea) == 2
    assert cart.add(cup, 2) == 2
    assert [(line.product.name, line.quantity) for line in cart.lines()] == [("Tea", 2), ("Cup", 2)]
    assert cart.total() == 2 * 9000 + 2 * 2550
    assert cart.decrement(cup) == 1
    with pytest.raises(QuantityAtMinimum):
        cart.decrement(cup)
    assert cart.quantity(cup) == 1, "never below 1"
    cart.remove(cup)
    assert cart.quantity(cup) == 0
    cart.clear()
    assert cart.is_empty and cart.total() == 0


def test_quantity_never_exceeds_stock(shop):
    user, tea, _ = shop
    cart = user.cart
    cart.add(tea, 3)
    with pytest.raises(OutOfStock) as err:
        cart.add(tea)
    assert err.value.values["stock"] == 3
    assert cart.quantity(tea) == 3
    with pytest.raises(OutOfStock):
        cart.set_quantity(tea, 4)


def test_out_of_stock_product_cannot_be_added(shop):
    user, tea, _ = shop
    tea.stock = 0
    tea.save()
    with pytest.raises(OutOfStock):
        user.cart.add(tea)
    assert user.cart.is_empty


def test_order_from_empty_cart_is_refused(shop):
    user, *_ = shop
    with pytest.raises(EmptyCart):
        Order.from_cart(user.cart)
    assert Order.objects.count() == 0


def test_order_snapshots_prices_and_takes_stock(shop):
    user, tea, cup = shop
    cart = user.cart
    cart.add(tea, 2)
    cart.add(cup)
    order = Order.from_cart(cart, email="a@example.com", phone="+79991234567", address="Moscow")
    assert order.number == 1001
    assert [(i.name, i.unit_price, i.quantity, i.line_total) for i in order.items] == [
        ("Tea", 9000, 2, 18000), ("Cup", 2550, 1, 2550)]
    assert order.total == 20550 and order.status == "new"
    assert tea.reload().stock == 1 and cup.reload().stock == 9
    assert Cart.for_user(user.telegram_id).is_empty
    tea.price = 1
    tea.save()
    assert Order.objects.get(number=1001).items[0].unit_price == 9000
    cart.add(cup)
    assert Order.from_cart(cart).number == 1002


def test_stock_running_out_before_checkout_is_explained_and_nothing_taken(shop):
    user, tea, cup = shop
    cart = user.cart
    cart.add(cup, 2)
    cart.add(tea, 3)
    Product.objects(id=tea.id).update_one(set__stock=1)  # someone else bought two
    with pytest.raises(OutOfStock) as err:
        Order.from_cart(cart)
    assert err.value.items == [{"name": "Tea", "names": {"ru": "Tea"}, "stock": 1,
                                "product": str(tea.id), "wanted": 3}]
    assert cup.reload().stock == 10, "nothing taken when any line is short"
    assert cart.count() == 5, "the cart is kept"
    assert Order.objects.count() == 0


def test_orders_of_a_user_newest_first(shop):
    user, tea, cup = shop
    for _ in range(2):
        user.cart.add(cup)
        Order.from_cart(user.cart)
    assert [o.number for o in Order.for_user(user.telegram_id)] == [1002, 1001]


def test_a_click_during_checkout_stays_in_the_cart(shop):
    user, tea, cup = shop
    cart = user.cart
    cart.add(cup, 2)
    stale = Cart.for_user(user.telegram_id)  # what checkout read
    cart.add(cup)  # a click lands before the order is written
    cart.add(tea)
    order = Order.from_cart(stale)
    assert [(i.name, i.quantity) for i in order.items] == [("Cup", 3), ("Tea", 1)] or \
        [(i.name, i.quantity) for i in order.items] == [("Cup", 2)]
    left = {line.product.name: line.quantity for line in Cart.for_user(user.telegram_id).lines()}
    ordered = {i.name: i.quantity for i in order.items}
    assert {name: left.get(name, 0) + ordered.get(name, 0) for name in ("Cup", "Tea")} == \
        {"Cup": 3, "Tea": 1}, "nothing lost, nothing counted twice"


def test_an_order_keeps_its_lines_names_in_every_language_of_the_catalog(shop):
    from models.i18n import Translation

    user, tea, cup = shop
    tea.name, tea.translations = "Чай", {"en": Translation(name="Tea")}
    tea.save()
    user.cart.add(tea)
    user.cart.add(cup)
    order = Order.from_cart(user.cart)
    tea.translations = {"en": Translation(name="Green tea")}
    tea.save()
    items = Order.objects.get(number=order.number).items
    assert [i.names for i in items] == [{"ru": "Чай", "en": "Tea"}, {"ru": "Cup"}]
    assert [i.title("en") for i in items] == ["Tea", "Cup"]
    assert [i.title("ru") for i in items] == ["Чай", "Cup"]


def test_a_change_repeated_under_the_same_key_is_applied_once(shop):
    """An update delivered again after a crash (the effect done, the conversation not
    saved) runs its action again: keyed by the update's id, the cart changes once."""
    user, tea, cup = shop
    cart = user.cart
    assert cart.add(cup, op=501) == 1
    assert cart.add(cup, op=501) == 1, "the same update again: not added twice"
    assert cart.add(cup, op=502) == 2
    assert cart.add(tea, op=503) == 1 and cart.add(tea, op=503) == 1
    assert cart.decrement(cup, op=504) == 1
    assert cart.decrement(cup, op=504) == 1, "not taken off twice"
    assert cart.add(cup) == 2 and cart.add(cup) == 3, "without a key, every call counts"
