"""Payments in the admin: a paid Stars order refunded from its page (through Telegram, once,
its stock back once), the error pages in the language chosen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows import payments
from models import Cart, Order, Payment, Product, User, quote_cart
from models.base import utcnow
from tests.admin.test_pages import post


class StubTelegram:
    """The refunds the admin asks Telegram for."""

    def __init__(self) -> None:
        self.refunds: list[tuple[int, str]] = []

    def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        self.refunds.append((user_id, charge_id))


@pytest.fixture
def telegram():
    stub = StubTelegram()
    payments.configure_gateway(stub)
    yield stub
    payments.configure_gateway(None)


def paid_order(user_id: int = 7, *, method: str = "stars", quantity: int = 2):
    """An order paid (its payment applied), its product and the stock left after it."""
    User.objects(telegram_id=user_id).first() or \
        User(telegram_id=user_id, first_name="Anna", language="en").save()
    product = Product.objects(stock__gt=quantity).order_by("sku").first()
    cart = Cart.for_user(user_id)
    cart.add(product, quantity)
    quote, _ = quote_cart(cart)
    currency, amount = ("XTR", 9) if method == "stars" else ("RUB", quote.total)
    order = Order.place(user_id, quote, payment={
        "pay_method": method, "pay_currency": currency, "pay_amount": amount,
        "pay_until": utcnow() + timedelta(minutes=15), "pay_nonce": "n1"})
    charge = f"charge-{order.number}"
    Payment.record(id=charge, user_id=user_id, currency=currency, total_amount=amount,
                   payload=f"{order.number}:n1", order=order.pk, order_number=order.number)
    Payment.mark(charge, {}, state="applied")
    Order.objects(id=order.pk).update_one(set__paid_charge=charge, set__status="paid")
    order.reload()
    return order, product, Product.objects.get(id=product.pk).stock


def test_a_paid_stars_order_is_refunded_from_its_page(admin_client, shop, telegram):
    order, product, stock = paid_order()
    path = f"/admin/order/details/?id={order.pk}"
    page = admin_client.get(path)
    assert page.status_code == 200 and 'id="to-refund"' in page.data.decode()
    answer = post(admin_client, "/admin/order/transition/",
                  {"id": str(order.pk), "version": str(order.version), "trigger": "refund",
                   "note": "Wrong item"}, page=path)
    assert answer.status_code == 302
    order.reload()
    assert order.status == "refunded" and order.history[-1].note == "Wrong item"
    assert order.history[-1].by == "admin:boss@example.com" and not order.after_pending
    assert telegram.refunds == [(7, order.paid_charge)]
    assert Payment.objects.get(id=order.paid_charge).refund == "done"
    assert Product.objects.get(id=product.pk).stock == stock + 2
    # pressed again (a stale page): refused, nothing refunded or returned twice
    post(admin_client, "/admin/order/transition/",
         {"id": str(order.pk), "version": str(order.version - 1), "trigger": "refund",
          "note": "again"}, page=path)
    assert telegram.refunds == [(7, order.paid_charge)]
    assert Product.objects.get(id=product.pk).stock == stock + 2


def test_the_api_refunds_a_paid_stars_order(client, auth, shop, telegram):
    order, product, stock = paid_order()
    answer = client.post(f"/api/v1/orders/{order.pk}/transitions",
                         json={"to": "refunded", "note": "Wrong item"}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["history"][-1]["note"] == "Wrong item"
    assert telegram.refunds == [(7, order.paid_charge)]
    assert Product.objects.get(id=product.pk).stock == stock + 2
    again = client.post(f"/api/v1/orders/{order.pk}/transitions",
                        json={"to": "refunded", "note": "Again"}, headers=auth)
    assert again.status_code == 409 and len(telegram.refunds) == 1
    assert Product.objects.get(id=product.pk).stock == stock + 2


def test_an_error_page_is_in_the_language_chosen(admin_client, shop, monkeypatch):
    import api.admin.orders

    post(admin_client, "/admin/language/en", {"next": "/admin/"},
         headers={"Accept-Language": "ru"})

    def broken(self, order):
        raise RuntimeError("a page that fails")

    monkeypatch.setattr(api.admin.orders.OrderView, "_order_page", broken)
    page = admin_client.get(f"/admin/order/details/?id={shop['orders'][0].pk}",
                            headers={"Accept-Language": "ru"})
    assert page.status_code == 500
    assert 'lang="en"' in page.data.decode() and "Back to the admin" in page.data.decode()
