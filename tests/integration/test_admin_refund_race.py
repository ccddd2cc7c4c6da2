"""Two staff pressing "Refund the Stars" on the same unmatched payment at the same moment,
on the real server (mongomock is not thread-safe): Telegram is asked once, whoever wins;
the other is told it is under way or settled, never a 500 (a refund Telegram refused
before, asked again by both, too)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.admin.conftest import ADMIN, STAFF, accounts, log_in  # noqa: E402,F401,I001
from tests.api.conftest import catalog, demo, media_dir, shop  # noqa: E402,F401,I001
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

ROUNDS = 8


@pytest.fixture
def db(real_db):
    return real_db


class SlowTelegram:
    """refundStarPayment taking a while, so that both presses are inside it together."""

    def __init__(self) -> None:
        self.refunds: list[str] = []
        self.lock = threading.Lock()

    def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        time.sleep(0.05)
        with self.lock:
            self.refunds.append(charge_id)


def test_two_staff_refund_the_same_unmatched_payment_once(accounts, media_dir):  # noqa: F811
    from api import create_app
    from flows import payments
    from models import Payment

    stub = SlowTelegram()
    payments.configure_gateway(stub)
    app = create_app({"TESTING": True, "API_TOKENS": ["t"], "MEDIA_DIR": str(media_dir)})
    clients = []
    for email in (ADMIN, STAFF):
        client = app.test_client()
        assert log_in(client, email).status_code == 302
        clients.append(client)
    try:
        for round_ in range(ROUNDS):
            charge = f"lost-{round_}"
            Payment.record(id=charge, user_id=7, currency="XTR", total_amount=9,
                           payload="999:zz", order_number=999)
            Payment.mark(charge, {}, state="unmatched", reason="expired")
            if round_ % 2:  # a refund Telegram refused before, asked again by both
                Payment.mark(charge, {}, refund="failed", refund_error="CHARGE_NOT_FOUND")
            path = f"/admin/payment/details/?id={charge}"
            barrier = threading.Barrier(len(clients))
            answers = []

            def press(client, path=path, charge=charge, barrier=barrier, answers=answers):
                from tests.admin.conftest import csrf_of

                token = csrf_of(client.get(path).data)
                barrier.wait()
                answers.append(client.post("/admin/payment/refund/",
                                           data={"csrf_token": token, "id": charge}))

            threads = [threading.Thread(target=press, args=(c,)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert [a.status_code for a in answers] == [302, 302]
            assert stub.refunds.count(charge) == 1, round_
            assert Payment.objects.get(id=charge).refund == "done"
    finally:
        payments.configure_gateway(None)


def test_two_staff_ask_a_refused_order_refund_again_once(accounts, media_dir):  # noqa: F811
    """An order refunded, Telegram refusing; two staff press "Try the refund again" on its
    page at once: Telegram is asked once more, the order's history has one retry."""
    from api import create_app
    from flows import payments
    from models import Order, Payment

    stub = SlowTelegram()
    payments.configure_gateway(stub)
    app = create_app({"TESTING": True, "API_TOKENS": ["t"], "MEDIA_DIR": str(media_dir)})
    clients = []
    for email in (ADMIN, STAFF):
        client = app.test_client()
        assert log_in(client, email).status_code == 302
        clients.append(client)
    try:
        for round_ in range(ROUNDS):
            order = Order(user_id=7, total=900, status="refunded", version=2,
                          pay_method="stars", pay_currency="XTR", pay_amount=9)
            order.save()
            charge = f"refused-{round_}"
            Payment.record(id=charge, user_id=7, currency="XTR", total_amount=9,
                           payload="1:zz", order=order.pk, order_number=1)
            Payment.mark(charge, {}, state="applied", refund="failed",
                         refund_error="CHARGE_NOT_FOUND")
            Order.objects(id=order.pk).update_one(set__paid_charge=charge)
            path = f"/admin/order/details/?id={order.pk}"
            barrier = threading.Barrier(len(clients))
            answers = []

            def press(client, path=path, charge=charge, barrier=barrier, answers=answers):
                from tests.admin.conftest import csrf_of

                token = csrf_of(client.get(path).data)
                barrier.wait()
                answers.append(client.post("/admin/payment/refund/", data={
                    "csrf_token": token, "id": charge, "back": "order"}))

            threads = [threading.Thread(target=press, args=(c,)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert [a.status_code for a in answers] == [302, 302]
            assert stub.refunds.count(charge) == 1, round_
            assert Payment.objects.get(id=charge).refund == "done"
            history = Order.objects.get(id=order.pk).history
            assert [e.trigger for e in history] == ["refund_again"], round_
    finally:
        payments.configure_gateway(None)
