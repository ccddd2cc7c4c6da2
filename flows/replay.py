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
# the staff chat of the scripts (a forum topic of a supergroup) and its staff
STAFF_CHAT, STAFF_THREAD, STAFF_IDS = -1001500, 7, frozenset({901, 902})


def _feed():
    from flows import staff

    return staff.Feed(STAFF_CHAT, STAFF_THREAD, STAFF_IDS | {ADMIN_ID})


def make_engine() -> Engine:
    """A fresh engine on a fresh embedded database (the flows are loaded once)."""
    models.connect(f"mongomock://localhost/replay{next(_databases)}")
    if not _flows:
        _flows.append(load_flows(FLOWS_DIR))
    from flows import payments, staff

    staff.configure(_feed())
    payments.configure(None)  # the script's env: (PAYMENT_PROVIDER_TOKEN, STARS, ...)
    sender = StubSender()
    payments.configure_gateway(sender)  # Stars refunds go to the stub, as the bot's do
    return Engine(_flows[0], MemoryStore(), sender, unit_of_work=models.serialised,
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


def staff_chat(lang: str = "ru") -> None:
    """The staff chat's cards are written in ``lang``."""
    models.StaffChat.objects(id=STAFF_CHAT).update_one(upsert=True, set__lang=lang)


def pay_order(number: int | None = None) -> None:
    """The payments mark an order paid (the lifecycle's ``system`` role): the newest order,
    or order ``number``."""
    from flows import order_lifecycle

    order = models.Order.objects(number=number).first() if number else \
        models.Order.objects(status__ne=models.Order.PENDING).order_by("-created").first()
    order_lifecycle.change(order.pk, role="system", actor="payments", trigger="pay")


def place_order(user_id: int, count: int = 1) -> None:
    """The shopper places an order of ``count`` products from their saved profile, as the
    checkout does (a shortcut for scripts about what happens to orders afterwards): paid
    in Telegram when the script's settings say so (an invoice follows)."""
    from flows import order_lifecycle, payments

    fill_cart(user_id, count)
    user = models.User.objects(telegram_id=user_id).first()
    quote, _ = models.quote_cart(models.Cart.for_user(user_id))
    order = models.Order.place(user_id, quote, email=user.email, phone=user.phone,
                               address=user.address, payment=payments.terms_for(quote))
    order_lifecycle.created(order.pk)


def digital(sku: str | None = None, all: bool = False) -> None:  # noqa: A002 - the YAML's word
    """A product (or ``all`` of them) is digital: payable in Telegram Stars."""
    query = models.Product.objects if all else models.Product.objects(sku=sku)
    query.update(set__digital=True)


def expire_payments(minutes: int = 60) -> None:
    """Time passes: every unpaid order's deadline lies ``minutes`` behind, and the
    housekeeping runs (what the bot process's does every 30 seconds)."""
    from datetime import timedelta

    from flows import payments

    models.Order.objects(status=models.Order.AWAITING_PAYMENT).update(
        set__pay_until=models.utcnow() - timedelta(minutes=minutes))
    payments.expire_unpaid()


def payment_probe(user_id: int) -> dict | None:
    """The payments the user made: how many, and the newest one's state."""
    found = list(models.Payment.objects(user_id=user_id).order_by("-created"))
    if not found:
        return None
    return {"count": len(found), "state": found[0].state, "reason": found[0].reason,
            "amount": found[0].total_amount, "currency": found[0].currency,
            "refund": found[0].refund,
            "states": sorted(p.state for p in found)}


def connect(uri: str) -> None:
    """The end-to-end runner's connection; its hooks' changes queue the staff chat's cards
    as the bot process's would."""
    from flows import staff

    models.connect(uri)
    staff.configure(_feed())


def payment_desk(engine):
    """Pre-checkout queries and successful payments, in-process."""
    from flows import payments

    return payments.PaymentDesk()


def side_handlers(engine) -> list:
    """The staff chat's desk, answering through the engine's (stub) sender."""
    from engine.side import SenderReplier
    from flows import staff

    return [staff.StaffDesk(SenderReplier(engine.sender), _feed())]


def settle(engine) -> None:
    """An outbox worker sends what the step queued (to the stub's chats)."""
    from engine.broadcast import SenderTransport, Worker
    from flows.notify import OutboxQueue

    Worker(OutboxQueue(), SenderTransport(engine.sender), rate=1000, threads=1,
           per_chat_interval=0).drain()


def settled() -> bool:
    """Nothing is left in the outbox (the bot process's outbox worker sent it all)."""
    return not models.Notice.any_pending()


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
    fixtures={"demo_catalog": demo_catalog, "customer": customer, "staff_chat": staff_chat,
              "digital": digital},
    probes={"cart": cart_probe, "last_order": last_order_probe, "user": user_probe,
            "stock": stock_probe, "broadcast": broadcast_probe, "payment": payment_probe},
    hooks={"set_stock": set_stock, "set_price": set_price, "delete_product": delete_product,
           "deliver_broadcasts": deliver_broadcasts, "fill_cart": fill_cart,
           "pay_order": pay_order, "place_order": place_order,
           "expire_payments": expire_payments},
    # no broadcast worker in the bot process: the deliver_broadcasts hook sends, at a
    # known moment, in both modes
    bot_command=[sys.executable, str(ROOT / "run_bot.py"), "--log-level", "WARNING",
                 "--no-worker"],
    bot_env={"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
             "ADMIN_IDS": str(ADMIN_ID), "STAFF_CHAT_ID": str(STAFF_CHAT),
             "STAFF_THREAD_ID": str(STAFF_THREAD), "STAFF_IDS": ",".join(map(str, STAFF_IDS))},
    connect=connect,
    load_flows=lambda: load_flows(FLOWS_DIR),
    side_handlers=side_handlers,
    settle=settle,
    settled=settled,
    payments=payment_desk,
)
