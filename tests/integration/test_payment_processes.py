"""The same successful_payment reaching two bot processes at once (Telegram redelivering
it, or a duplicate under another update id): each process is the real webhook stack
(``run_bot:app``: telebot dispatch, the payment desk, the lifecycle) on the real server.
One payment is recorded per charge, each order is paid once, its buyer told once."""

from __future__ import annotations

import time

import pytest

from tests.integration.processes import START_TIMEOUT, run_together
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

ORDERS = 6
SECRET = "s3cret"
TOKEN = "284685063:TEST:shop"


def _settings(uri: str, url: str, token: str):
    import settings

    return settings.load({"BOT_TOKEN": token, "TELEGRAM_API_URL": url, "MONGO_URI": uri,
                          "WEBHOOK_SECRET": SECRET, "PAYMENT_PROVIDER_TOKEN": TOKEN},
                         dotenv=False)


def deliver(barrier, uri: str, url: str, token: str, updates: list[dict]) -> dict:
    """Post ``updates`` (successful payments) to this process's webhook when every process
    is ready."""
    from engine.run import create_app
    from engine.run.webhook import webhook_path
    from flows.shop import shop

    web = create_app(shop, _settings(uri, url, token)).test_client()
    barrier.wait(timeout=START_TIMEOUT)
    codes = [web.post(webhook_path(token), json=update,
                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code
             for update in updates]
    return {"codes": codes}


@pytest.fixture
def fake():
    from faketelegram import FakeTelegram

    with FakeTelegram() as server:
        yield server


def _paid(update_id: int, order, buyer: int, charge: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 500 + update_id, "date": int(time.time()),
        "chat": {"id": buyer, "type": "private", "first_name": "Buyer"},
        "from": {"id": buyer, "is_bot": False, "first_name": "Buyer"},
        "successful_payment": {
            "currency": order.pay_currency, "total_amount": order.pay_amount,
            "invoice_payload": f"{order.number}:{order.pay_nonce}",
            "telegram_payment_charge_id": charge,
            "provider_payment_charge_id": f"provider-{charge}"}}}


def test_one_payment_delivered_to_two_processes_is_recorded_once(real_db_uri, fake):
    import models
    from flows import order_lifecycle, payments

    payments.configure(payments.PaymentConfig(provider_token=TOKEN))
    try:
        category = models.Category(name="Paid")
        category.save()
        tea = models.Product(name="Tea", category=category, price=1000, stock=100)
        tea.save()
        orders, updates = [], []
        for n in range(ORDERS):
            buyer = 9300 + n
            models.User(telegram_id=buyer, first_name=f"Buyer{n}", language="en").save()
            cart = models.Cart.for_user(buyer)
            cart.add(tea)
            quote, _ = models.quote_cart(cart)
            order = models.Order.place(buyer, quote, payment=payments.terms_for(quote))
            order_lifecycle.created(order.pk)
            assert order.status == "awaiting_payment"
            orders.append(order)
            charge = f"charge-{n}"
            # the same update, and a duplicate of it under another update id
            updates += [_paid(1000 + n, order, buyer, charge),
                        _paid(2000 + n, order, buyer, charge)]
        results = run_together(deliver, *[(real_db_uri, fake.url, fake.token, updates)] * 2)
        assert all(code == 200 for r in results for code in r["codes"])
        assert models.Payment.objects.count() == ORDERS
        for n, order in enumerate(orders):
            order.reload()
            assert order.status == "paid" and order.version == 1, order.to_mongo()
            assert [e.trigger for e in order.history] == ["pay"]
            assert order.paid_charge == f"charge-{n}"
            payment = models.Payment.objects.get(id=f"charge-{n}")
            assert payment.state == "applied" and payment.order == order.pk
            told = models.Notice.objects(kind="buyer", order=order.pk).count()
            assert told == 1, f"order #{order.number}: the buyer is told {told} times"
            assert models.Notice.objects(kind="invoice", order=order.pk).count() == 1
        assert models.Product.objects.get(id=tea.pk).stock == 100 - ORDERS
    finally:
        payments.configure(None)
