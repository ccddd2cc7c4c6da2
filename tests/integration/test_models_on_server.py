"""What only a real server can show about the models (the rest: test_unit_suite_on_server.py)."""

from __future__ import annotations

import pytest
from mongoengine import NotUniqueError

from models import Category, Counter, Order, OrderItem, Product
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()


def index_keys(database, collection: str) -> dict[str, dict]:
    return database[collection].index_information()


def test_connect_creates_the_indexes(real_db):
    orders, products = index_keys(real_db, "orders"), index_keys(real_db, "products")
    assert orders["number_1"].get("unique") is True
    assert products["sku_1"].get("unique") is True
    assert index_keys(real_db, "categories")["slug_1"].get("unique") is True
    assert {"user_id_1_created_-1", "status_1", "created_-1"} <= set(orders)
    assert {"category_1_position_1_name_1", "price_1", "stock_1"} <= set(products)
    assert {"blocked_1", "username_1"} <= set(index_keys(real_db, "users"))


def test_unique_indexes_refuse_duplicates(real_db):
    category = Category(name="C")
    category.save()
    Product(name="A", category=category, price=1, sku="tea-1").save()
    with pytest.raises(NotUniqueError):
        Product(name="B", category=category, price=1, sku="tea-1").save()
    Product(name="C", category=category, price=1).save()
    Product(name="D", category=category, price=1).save()  # no sku twice: sparse
    assert Product.objects.count() == 3
    item = OrderItem(name="A", unit_price=1, quantity=1, line_total=1)
    Order(number=1001, user_id=1, items=[item], total=1).save()
    with pytest.raises(NotUniqueError):
        Order(number=1001, user_id=2, items=[item], total=1).save()


def test_counters_are_sequential_and_independent(real_db):
    assert [Counter.next("order") for _ in range(3)] == [1001, 1002, 1003]
    assert Counter.next("invoice", start=0) == 1
    assert Counter.next("order") == 1004
    counter = Counter.objects.get(name="order")
    assert counter.created is not None and counter.modified >= counter.created


def test_a_database_of_an_earlier_release_opens_with_its_changed_index_rebuilt(real_db_uri,
                                                                               caplog):
    """Releases before pending orders had ``number`` unique but not sparse: connecting to
    such a database rebuilds that index instead of failing with IndexKeySpecsConflict."""
    import mongoengine

    from models.db import ensure_indexes

    database = mongoengine.get_db()
    database.orders.drop_index("number_1")
    database.orders.create_index("number", unique=True)  # as the earlier release made it
    Order._collection = None  # a new process: mongoengine checks the indexes again
    ensure_indexes()  # what models.connect does
    info = mongoengine.get_db().orders.index_information()["number_1"]
    assert info.get("unique") and info.get("sparse")
    assert "index number_1 of orders changed options" in caplog.text
