"""Fixtures of the API tests: the app on a fresh embedded database, a client, tokens."""

from __future__ import annotations

import copy
import shutil
from datetime import datetime

import pytest

from api import create_app
from models import Cart, Order, Product, User
from models import demo as demo_catalog

TOKEN = "test-token"

_demo_snapshot: dict[str, list[dict]] = {}


@pytest.fixture
def demo(db):
    """The demo catalog in the test's database (overrides the shared fixture: same data).

    Loaded once per session and copied in afterwards, which is ten times faster than
    loading it for each of the API's many tests.
    """
    if not _demo_snapshot:
        demo_catalog.load()
        _demo_snapshot.update({name: list(db[name].find()) for name in db.list_collection_names()})
    else:
        for name, documents in _demo_snapshot.items():
            if documents:
                db[name].insert_many(copy.deepcopy(documents))
    return db


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    """A media directory with the demo's pictures: uploads of the tests land here."""
    path = tmp_path_factory.mktemp("media")
    for picture in demo_catalog.IMAGES.glob("*.png"):
        shutil.copy(picture, path)
    return path


@pytest.fixture
def app(db, media_dir):
    """The API on the test's fresh database (``TESTING`` on, one token configured)."""
    return create_app({"TESTING": True, "API_TOKENS": [TOKEN], "MEDIA_DIR": str(media_dir)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth():
    """Headers with a valid bearer token."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def catalog(demo):
    """The demo catalog: products by sku, categories by slug."""
    from models import Category

    return {"products": {p.sku: p for p in Product.objects},
            "categories": {c.slug: c for c in Category.objects}}


def make_order(user_id: int, products: list[tuple[Product, int]], *,
               created: datetime | None = None, status: str = "new") -> Order:
    """Place an order through the model (cart, then checkout), optionally back-dated."""
    cart = Cart.for_user(user_id)
    for product, quantity in products:
        cart.add(product, quantity)
    order = Order.from_cart(cart, email="buyer@example.com", address="Moscow")
    updates = {"set__status": status}
    if created is not None:
        updates["set__created"] = created
    Order.objects(pk=order.pk).update_one(**updates)
    order.reload()
    return order


@pytest.fixture
def shop(catalog):
    """Two users, Anna (id 101, two orders, a cart) and Boris (id 202, one order)."""
    products = catalog["products"]
    anna = User.register(101, username="anna", first_name="Anna", language_code="en")
    boris = User.register(202, username="boris", first_name="Boris", last_name="Petrov")
    orders = [
        make_order(101, [(products["smartphones-1"], 1)], created=datetime(2026, 10, 1, 12)),
        make_order(101, [(products["feature-phones-1"], 2)], created=datetime(2026, 10, 15, 9),
                   status="delivered"),
        make_order(202, [(products["sci-fi-1"], 3)], created=datetime(2026, 11, 2, 18)),
    ]
    Cart.for_user(101).add(products["headphones-1"], 2)
    return {"users": {"anna": anna, "boris": boris}, "orders": orders,
            "products": products, "categories": catalog["categories"]}
