"""Paying, expiring and cancelling the same unpaid order at the same moment, on the real
server: two processes, several threads each, one order per round, every racer released at
once by a barrier. Rounds vary who races: the payment (delivered to both processes, as
Telegram redelivering it), a second charge for the same invoice, the housekeeping's expiry
(the order's deadline long past), the buyer's cancel, the staff's cancel, the lifecycle's
resume and the housekeeping applying the payment again.

Whatever wins, every order ends in one consistent state: paid with one payment applied and
its stock still taken, or cancelled with its stock returned once and every payment that
arrived recorded ``unmatched`` and surfaced to staff and buyer (never dropped, never both
applied and surfaced); the products' stock balances."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.integration.processes import START_TIMEOUT, run_together
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

ROUNDS = 70
THREADS = 4  # per process
STOCK = 1000
STAFF_CHAT = -1001
TOKEN = "284685063:TEST:shop"
# who races in a round (round % len(MODES)); each racer is (process, thread)
MODES = [
    {"pay": [(0, 0), (1, 0)], "expire": [(0, 1), (1, 1)], "buyer": [(0, 2)],
     "staff": [(1, 2)], "again": [(0, 3)], "resume": [(1, 3)]},
    {"pay": [(0, 0), (1, 0)], "expire": [(0, 1), (1, 1), (0, 2), (1, 2)]},
    {"pay": [(0, 0), (1, 0)], "buyer": [(0, 1), (1, 1)], "again": [(0, 2)]},
    {"pay": [(0, 0)], "second": [(1, 0)], "staff": [(0, 1)], "expire": [(1, 1)]},
    {"pay": [(0, 0), (1, 0)], "second": [(0, 1), (1, 1)], "expire": [(0, 2)],
     "buyer": [(1, 2)], "resume": [(0, 3), (1, 3)]},
    {"expire": [(0, 0), (1, 0)], "buyer": [(0, 1)], "staff": [(1, 1)]},
    {"pay": [(0, 0), (1, 0)], "second": [(0, 1)], "again": [(1, 1)], "resume": [(0, 2)]},
]
JITTER = 0.01  # seconds a canceller may start late, so that payments win some races too


def _setup() -> None:
    from flows import payments, staff

    payments.configure(payments.PaymentConfig(provider_token=TOKEN, hold_minutes=15))
    staff.configure(staff.Feed(STAFF_CHAT, None, frozenset({901})))


def _charge(order: dict, which: str):
    from engine.payments import SuccessfulPayment

    charge = f"charge-{order['number']}-{which}"
    return SuccessfulPayment(
        user={"id": order["user_id"], "first_name": "Buyer", "language_code": "en"},
        chat_id=order["user_id"], message_id=1, currency=order["currency"],
        total_amount=order["amount"], payload=order["payload"], telegram_charge_id=charge,
        provider_charge_id=f"provider-{charge}")


def race(barrier, uri: str, index: int, orders: list[dict]) -> list[list[str]]:
    """Every round, each of this process's threads does its part on the round's order (or
    nothing) once all are at the barrier; returns what each part ended in."""
    import models

    models.connect(uri)
    _setup()
    from bson import ObjectId

    from flows import order_lifecycle, payments
    from models import Payment

    desk = payments.PaymentDesk()

    def act(role: str, order: dict) -> str:
        order_id = ObjectId(order["id"])
        if role in ("expire", "buyer", "staff"):
            time.sleep(random.random() * JITTER)
        try:
            if role in ("pay", "second"):
                desk.on_payment(_charge(order, "a" if role == "pay" else "b"))
            elif role == "expire":
                # the housekeeping, once the deadline of this round's order is past
                payments.expire_unpaid(now=order["due"])
            elif role == "buyer":
                order_lifecycle.change(order_id, role="buyer", actor=str(order["user_id"]),
                                       trigger="cancel_by_buyer")
            elif role == "staff":
                order_lifecycle.change(order_id, role="staff", actor="Staff",
                                       trigger="cancel", note="out of stock, sorry")
            elif role == "again":  # the housekeeping applying a payment (resume_received)
                time.sleep(0.002)
                payment = Payment.objects(id=f"charge-{order['number']}-a").first()
                if payment is not None:
                    payments.apply(payment)
            elif role == "resume":
                order_lifecycle.resume()
            return f"{role}: done"
        except order_lifecycle.TransitionRefused:
            return f"{role}: refused"

    def thread(number: int) -> list[str]:
        out = []
        for round_, order in enumerate(orders):
            mode = MODES[round_ % len(MODES)]
            role = next((r for r, who in mode.items() if (index, number) in who), None)
            barrier.wait(timeout=START_TIMEOUT)
            if role is not None:
                out.append(act(role, order))
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(thread, range(THREADS)))


@pytest.fixture
def shop(real_db_uri):
    _setup()
    yield real_db_uri
    from flows import payments, staff

    payments.configure(None)
    staff.configure(None)


def _place_orders(count: int) -> tuple[list, list[dict]]:
    import models
    from flows import order_lifecycle, payments

    category = models.Category(name="Race")
    category.save()
    products = [models.Product(name=f"P{n}", category=category, price=100 * (n + 1),
                               stock=STOCK) for n in range(3)]
    for product in products:
        product.save()
    base = models.utcnow() - timedelta(days=1)
    orders = []
    for n in range(count):
        buyer = 9400 + n
        models.User(telegram_id=buyer, first_name=f"B{n}", language="en").save()
        cart = models.Cart.for_user(buyer)
        for product in products[:1 + n % 3]:
            for _ in range(1 + n % 2):
                cart.add(product)
        quote, _ = models.quote_cart(cart)
        order = models.Order.place(buyer, quote, payment=payments.terms_for(quote))
        order_lifecycle.created(order.pk)
        assert order.status == "awaiting_payment"
        # each order's deadline a minute after the previous one's, all long past: the
        # round's expiry (now = just past it) finds this order and none still to come
        until = base + timedelta(minutes=n)
        models.Order.objects(id=order.pk).update_one(set__pay_until=until)
        orders.append({"id": str(order.pk), "number": order.number, "user_id": buyer,
                       "currency": order.pay_currency, "amount": order.pay_amount,
                       "payload": f"{order.number}:{order.pay_nonce}",
                       "due": until + payments.GRACE + timedelta(seconds=30)})
    return products, orders


def check(products, orders) -> dict:
    """The invariants; returns how the orders ended."""
    import models

    ended: dict[str, int] = {}
    bought = {p.pk: 0 for p in products}
    for info in orders:
        order = models.Order.objects.get(id=info["id"])
        where = f"order #{order.number}"
        triggers = [e.trigger for e in order.history]
        assert order.status in ("paid", "cancelled"), (where, order.status, triggers)
        assert len(triggers) == 1 and order.version == 1, (where, triggers, order.version)
        assert not order.after_pending, (where, order.after_pending)
        ended[triggers[0]] = ended.get(triggers[0], 0) + 1
        paid = list(models.Payment.objects(order=order.pk))
        applied = [p for p in paid if p.state == "applied"]
        assert all(p.state in ("applied", "unmatched") for p in paid), \
            (where, [(p.pk, p.state) for p in paid])
        if order.status == "paid":
            assert triggers == ["pay"]
            assert [p.pk for p in applied] == [order.paid_charge], \
                (where, order.paid_charge, [(p.pk, p.state, p.reason) for p in paid])
            for item in order.items:
                bought[item.product] += item.quantity
        else:
            assert triggers[0] in ("expire", "cancel", "cancel_by_buyer"), (where, triggers)
            assert applied == [], (where, [p.pk for p in applied])
            for product in products:
                count = product.reload().returns.count(order.pk)
                held = any(item.product == product.pk for item in order.items)
                assert count == (1 if held else 0), (where, product.name, count)
        for payment in paid:
            surfaced = {n.pk for n in models.Notice.objects(payment=payment.pk)}
            if payment.state == "applied":
                assert not surfaced, (where, payment.pk, surfaced)
            else:
                assert payment.reason, (where, payment.pk)
                assert surfaced == {f"unmatched:{payment.pk}:staff",
                                    f"unmatched:{payment.pk}:buyer"}, (where, surfaced)
                if order.status == "cancelled":
                    reason = "expired" if triggers[0] == "expire" else "cancelled"
                    assert payment.reason in (reason, "paid"), (where, payment.reason)
        told = models.Notice.objects(kind="buyer", order=order.pk).count()
        expected = 0 if triggers == ["cancel_by_buyer"] else 1  # they did it: they see it
        assert told == expected, f"{where}: the buyer is told {told} times"
    assert models.Payment.objects(state="received").count() == 0
    for product in products:
        product.reload()
        assert product.holds == [], product.name
        assert product.stock == STOCK - bought[product.pk], \
            (product.name, product.stock, STOCK, bought[product.pk])
    return ended


def test_pay_expire_and_cancel_racing_leave_each_order_consistent(shop):
    from flows import order_lifecycle

    products, orders = _place_orders(ROUNDS)
    results = run_together(race, *[(shop, index, orders) for index in range(2)],
                           threads=THREADS, timeout=240)
    outcomes = [o for r in results for t in r for o in t]
    ended = check(products, orders)
    # the housekeeping after the fact finds nothing left to do
    assert order_lifecycle.resume() == 0
    from flows import payments

    assert payments.resume_received(older_than=timedelta(0)) == 0
    assert payments.expire_unpaid() == 0
    check(products, orders)
    # every kind of ending happened (else the rounds raced nothing)
    assert set(ended) >= {"pay", "expire", "cancel", "cancel_by_buyer"}, (ended, outcomes)
