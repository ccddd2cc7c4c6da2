"""The shop's replay target: fresh embedded database per script, fixtures, probes, hooks.

Scripts in ``tests/conversations/`` name it in their ``_replay.yaml``.
"""

from __future__ import annotations

import itertools
import os
import sys

import models
from engine import Engine, MemoryStore, StubSender, load_flows
from engine.replay import Target
from flows.shop import FLOWS_DIR, ROOT, Services

_databases = itertools.count()
_flows = []
ADMIN_ID = 900  # the admin of the scripts (tests/conversations/ru_admin_broadcast.yaml)


def make_engine() -> Engine:
    """A fresh engine on a fresh embedded database (the flows are loaded once)."""
    models.connect(f"mongomock://localhost/replay{next(_databases)}")
    if not _flows:
        _flows.append(load_flows(FLOWS_DIR))
    return Engine(_flows[0], MemoryStore(), StubSender(), unit_of_work=models.serialised,
                  services=Services(admin_ids=frozenset({ADMIN_ID})))


def demo_catalog() -> None:
    from models import demo

    demo.load()


def customer(telegram_id: int, language: str = "ru", email: str | None = None,
             phone: str | None = None, address: str | None = None,
             first_name: str = "Анна", blocked: bool = False) -> None:
    """A returning shopper with a saved profile (``blocked``: who has blocked the bot)."""
    models.User(telegram_id=telegram_id, first_name=first_name, language=language, email=email,
                phone=phone, address=address, blocked=blocked).save()


def set_stock(sku: str, stock: int) -> None:
    """Someone else bought it: the product's stock changes under the shopper."""
    models.Product.objects(sku=sku).update_one(set__stock=stock)


def set_price(sku: str, price: int, discount: int | None = None) -> None:
    """The shop changes a price (as ``PATCH /products/{id}`` does) under the shopper."""
    update = {"set__price": price}
    if discount is not None:
        update["set__discount"] = discount
    models.Product.objects(sku=sku).update_one(**update)


def delete_product(sku: str) -> None:
    """The shop takes a product out of the catalog (``DELETE /products/{id}``)."""
    models.Product.objects(sku=sku).delete()


def fill_cart(user_id: int, count: int) -> None:
    """The shopper's cart holds one of each of the first ``count`` products in stock."""
    cart = models.Cart.for_user(user_id)
    for product in models.Product.objects(stock__gt=0).order_by("sku")[:count]:
        cart.add(product)


def deliver_broadcasts() -> None:
    """A broadcast worker sends everything queued (to a recording transport, not Telegram)."""
    from engine.broadcast import RecordingTransport, Worker
    from flows.broadcast import ShopQueue

    Worker(ShopQueue(tick=0.05), RecordingTransport(), rate=1000, threads=1, tick=0.05,
           poll=0.05).run_until_idle(timeout=30)


def broadcast_probe(user_id: int) -> dict | None:
    """The newest broadcast: its status, counters and text (the default language's)."""
    broadcast = models.Broadcast.objects.order_by("-created").first()
    if broadcast is None:
        return None
    return {"status": broadcast.status, "origin": broadcast.origin, "author": broadcast.author,
            "text": broadcast.text_for(None) if broadcast.texts else None,
            **broadcast.counts()}


def cart_probe(user_id: int) -> list:
    return [[line.product.name, line.quantity] for line in models.Cart.for_user(user_id).lines()]


def last_order_probe(user_id: int) -> dict | None:
    order = models.Order.for_user(user_id).first()
    if order is None:
        return None
    return {"number": order.number, "total": order.total, "status": order.status,
            "email": order.email, "phone": order.phone, "address": order.address,
            "items": [[i.name, i.quantity, i.unit_price] for i in order.items]}


def user_probe(user_id: int) -> dict | None:
    user = models.User.objects(telegram_id=user_id).first()
    if user is None:
        return None
    return {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "phone": user.phone, "address": user.address, "language": user.language}


def stock_probe(user_id: int) -> dict:
    return {p.sku: p.stock for p in models.Product.objects.only("sku", "stock")}


target = Target(
    make_engine=make_engine,
    fixtures={"demo_catalog": demo_catalog, "customer": customer},
    probes={"cart": cart_probe, "last_order": last_order_probe, "user": user_probe,
            "stock": stock_probe, "broadcast": broadcast_probe},
    hooks={"set_stock": set_stock, "set_price": set_price, "delete_product": delete_product,
           "deliver_broadcasts": deliver_broadcasts, "fill_cart": fill_cart},
    # no broadcast worker in the bot process: the deliver_broadcasts hook sends, at a
    # known moment, in both modes
    bot_command=[sys.executable, str(ROOT / "run_bot.py"), "--log-level", "WARNING",
                 "--no-worker"],
    bot_env={"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
             "ADMIN_IDS": str(ADMIN_ID)},
    connect=models.connect,
    load_flows=lambda: load_flows(FLOWS_DIR),
)
