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


def unmatched(charge: str, *, currency: str = "XTR", amount: int = 9, user_id: int = 7):
    Payment.record(id=charge, user_id=user_id, currency=currency, total_amount=amount,
                   payload="999:zz", order_number=999)
    Payment.mark(charge, {}, state="unmatched", reason="expired")
    return Payment.objects.get(id=charge)


def test_home_counts_paid_orders_and_payments_to_refund(admin_client, shop):
    paid_order()
    unmatched("lost-1")
    page = admin_client.get("/admin/", headers={"Accept-Language": "en"}).data.decode()
    # before: "0 new orders, 0 confirmed, to ship" while a paid order waited
    assert 'id="count-paid_orders">1<' in page
    assert 'id="count-unmatched_payments">1<' in page
    assert "/admin/payment/?flt0_0=unmatched" in page


def test_an_unmatched_stars_payment_is_refunded_from_the_payments_page(admin_client, shop,
                                                                        telegram):
    paid_order()
    unmatched("lost-1")
    listing = admin_client.get("/admin/payment/?flt0_0=unmatched",
                               headers={"Accept-Language": "en"}).data.decode()
    assert "lost-1" in listing and "charge-" not in listing  # the applied one filtered out
    path = "/admin/payment/details/?id=lost-1"
    page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
    assert 'id="refund"' in page and "⭐" in page and "the order had expired" in page
    for _ in range(2):  # pressed twice: refunded once
        answer = post(admin_client, "/admin/payment/refund/", {"id": "lost-1"}, page=path)
        assert answer.status_code == 302
    assert telegram.refunds == [(7, "lost-1")]
    payment = Payment.objects.get(id="lost-1")
    assert payment.refund == "done" and payment.refund_by == "admin:boss@example.com"
    assert 'id="refund"' not in admin_client.get(path).data.decode()
    refunded = admin_client.get("/admin/payment/?flt0_0=refunded").data.decode()
    assert "lost-1" in refunded


def test_an_unmatched_card_payment_is_recorded_refunded_with_the_provider(admin_client, shop,
                                                                           telegram):
    unmatched("lost-card", currency="RUB", amount=129900)
    path = "/admin/payment/details/?id=lost-card"
    post(admin_client, "/admin/payment/refund/", {"id": "lost-card"}, page=path)
    assert Payment.objects.get(id="lost-card").refund == "manual" and telegram.refunds == []


def test_an_order_page_shows_its_payment(admin_client, shop, telegram):
    order, _, _ = paid_order()
    path = f"/admin/order/details/?id={order.pk}"
    page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
    assert 'id="order-payment"' in page and order.paid_charge in page and "⭐ 9" in page
    post(admin_client, "/admin/order/transition/",
         {"id": str(order.pk), "version": str(order.version), "trigger": "refund",
          "note": "Wrong item"}, page=path)
    page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
    assert '<dd class="col-sm-8" id="order-refund">refunded' in page


def test_payments_without_a_staff_chat_are_warned_of_at_start(caplog):
    from flows.payments import PaymentConfig
    from flows.shop import warn_unwatched_payments
    from flows.staff import Feed

    assert warn_unwatched_payments(PaymentConfig(stars=True), Feed())
    assert "STAFF_CHAT_ID is not set" in caplog.text
    assert not warn_unwatched_payments(PaymentConfig(stars=True), Feed(chat_id=-100))
    assert not warn_unwatched_payments(PaymentConfig(), Feed())


def test_the_page_size_menu_is_in_the_page_language(admin_client, shop):
    russian = admin_client.get("/admin/order/", headers={"Accept-Language": "ru"}).data.decode()
    # before: "20 items", "50 items" (Flask-Admin formats the number into its message)
    assert "20 items" not in russian and "по 20" in russian and "20 на странице" in russian
    english = admin_client.get("/admin/product/", headers={"Accept-Language": "en"})
    assert "50 items" in english.data.decode()


class RefusingTelegram(StubTelegram):
    """Telegram refusing the first refund (CHARGE_NOT_FOUND), doing the next ones."""

    def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        from engine.sender import SendError

        if not hasattr(self, "refused"):
            self.refused = True
            raise SendError(400, "Bad Request: CHARGE_NOT_FOUND")
        super().refund_star_payment(user_id, charge_id)


def test_a_refused_refund_is_shown_and_can_be_asked_again(admin_client, shop):
    # before: the refusal settled the payment: no button, a second press said "Already
    # settled", Home no longer counted it while the buyer's Stars were still the shop's
    stub = RefusingTelegram()
    payments.configure_gateway(stub)
    try:
        unmatched("lost-1")
        path = "/admin/payment/details/?id=lost-1"
        page = post(admin_client, "/admin/payment/refund/", {"id": "lost-1"}, page=path,
                    follow_redirects=True, headers={"Accept-Language": "en"}).data.decode()
        assert "Telegram refused the refund" in page and "CHARGE_NOT_FOUND" in page
        assert 'id="refund"' in page  # may be asked again
        home = admin_client.get("/admin/", headers={"Accept-Language": "en"}).data.decode()
        assert 'id="count-unmatched_payments">1<' in home
        post(admin_client, "/admin/payment/refund/", {"id": "lost-1"}, page=path)
        payment = Payment.objects.get(id="lost-1")
        assert stub.refunds == [(7, "lost-1")] and payment.refund == "done"
        assert not payment.refund_error
    finally:
        payments.configure_gateway(None)


def test_the_unmatched_filter_and_home_count_the_payments_still_to_refund(admin_client, shop):
    # before: "unmatched (to refund)", where Home links, listed refunded ones too
    for charge in ("to-refund", "refunded-1", "recorded-1", "refused-1"):
        unmatched(charge)
    Payment.mark("refunded-1", {}, refund="done")
    Payment.mark("recorded-1", {}, refund="manual")
    Payment.mark("refused-1", {}, refund="failed", refund_error="CHARGE_NOT_FOUND")
    home = admin_client.get("/admin/").data.decode()
    assert 'id="count-unmatched_payments">2<' in home
    listing = admin_client.get("/admin/payment/?flt0_0=unmatched").data.decode()
    assert "to-refund" in listing and "refused-1" in listing
    assert "refunded-1" not in listing and "recorded-1" not in listing


def test_a_refund_that_cannot_reach_telegram_is_no_500_and_not_left_under_way(
        admin_client, shop, monkeypatch):
    # before: without BOT_TOKEN in the API's process the press was a 500, and the payment
    # stayed "refund requested": pressed again within a minute, "under way"
    def no_token():
        raise RuntimeError("BOT_TOKEN is not set: a Stars refund needs the bot's token")

    monkeypatch.setattr(payments, "gateway", no_token)
    unmatched("lost-1")
    path = "/admin/payment/details/?id=lost-1"
    answer = post(admin_client, "/admin/payment/refund/", {"id": "lost-1"}, page=path,
                  follow_redirects=True, headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    page = answer.data.decode()
    assert "nothing was refunded" in page and "BOT_TOKEN is not set" in page
    assert Payment.objects.get(id="lost-1").refund is None and 'id="refund"' in page


def test_an_order_page_says_how_its_refund_is_made(admin_client, shop, telegram):
    # before: the same "Refund" button for both: a card order's staff could believe the
    # admin returned the money, when it only records what they did with the provider
    card, _, _ = paid_order(method="card")
    page = admin_client.get(f"/admin/order/details/?id={card.pk}",
                            headers={"Accept-Language": "en"}).data.decode()
    assert 'id="refund-help"' in page and "provider" in page
    stars, _, _ = paid_order(8)
    page = admin_client.get(f"/admin/order/details/?id={stars.pk}",
                            headers={"Accept-Language": "en"}).data.decode()
    assert 'id="refund-help"' in page and "sends them back" in page


def test_a_refused_refund_of_a_paid_order_is_to_refund_and_asked_again_from_its_page(
        admin_client, shop):
    # before: the order was "refunded" (final), its payment "refund refused by Telegram",
    # and nothing could ask again: no button, not counted, not in "to refund"
    stub = RefusingTelegram()
    payments.configure_gateway(stub)
    try:
        order, _, _ = paid_order()
        path = f"/admin/order/details/?id={order.pk}"
        post(admin_client, "/admin/order/transition/",
             {"id": str(order.pk), "version": str(order.version), "trigger": "refund",
              "note": "Wrong item"}, page=path)
        payment = Payment.objects.get(id=order.paid_charge)
        assert payment.refund == "failed" and stub.refunds == []
        version = Order.objects.get(id=order.pk).version
        page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
        assert 'id="order-to-refund"' in page and 'id="refund-again"' in page
        assert "CHARGE_NOT_FOUND" in page
        home = admin_client.get("/admin/", headers={"Accept-Language": "en"}).data.decode()
        assert 'id="count-unmatched_payments">1<' in home
        listing = admin_client.get("/admin/payment/?flt0_0=unmatched").data.decode()
        assert order.paid_charge in listing
        answer = post(admin_client, "/admin/payment/refund/",
                      {"id": order.paid_charge, "back": "order"}, page=path)
        assert answer.status_code == 302 and answer.location.endswith(path)
        payment.reload()
        assert stub.refunds == [(7, order.paid_charge)] and payment.refund == "done"
        assert payment.refund_by == "admin:boss@example.com" and not payment.refund_error
        order.reload()
        refused, again = order.history[-2:]
        assert refused.trigger == "refund_refused" and "CHARGE_NOT_FOUND" in refused.note
        assert again.trigger == "refund_again" and again.by == "admin:boss@example.com"
        assert order.status == "refunded" and order.version == version  # no change
        # pressed again (an old page): settled, Telegram not asked twice
        post(admin_client, "/admin/payment/refund/", {"id": order.paid_charge}, page=path)
        assert len(stub.refunds) == 1
        home = admin_client.get("/admin/", headers={"Accept-Language": "en"}).data.decode()
        assert 'id="count-unmatched_payments">0<' in home
        page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
        assert 'id="refund-again"' not in page and 'id="order-to-refund"' not in page
    finally:
        payments.configure_gateway(None)


def test_a_refused_order_refund_is_asked_again_from_the_payments_page(admin_client, shop):
    stub = RefusingTelegram()
    payments.configure_gateway(stub)
    try:
        order, _, _ = paid_order()
        from flows import order_lifecycle

        order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded",
                               note="Wrong item")
        path = f"/admin/payment/details/?id={order.paid_charge}"
        page = admin_client.get(path, headers={"Accept-Language": "en"}).data.decode()
        assert 'id="refund"' in page and "Try the refund again" in page
        post(admin_client, "/admin/payment/refund/", {"id": order.paid_charge}, page=path)
        assert stub.refunds == [(7, order.paid_charge)]
        assert Payment.objects.get(id=order.paid_charge).refund == "done"
    finally:
        payments.configure_gateway(None)


def test_a_paid_order_not_refunded_cannot_be_refunded_from_the_payments_page(admin_client,
                                                                             shop, telegram):
    # the order's refund is its lifecycle's (a reason, the stock back): not this button
    order, _, _ = paid_order()
    path = f"/admin/payment/details/?id={order.paid_charge}"
    assert 'id="refund"' not in admin_client.get(path).data.decode()
    post(admin_client, "/admin/payment/refund/", {"id": order.paid_charge}, page=path)
    assert telegram.refunds == [] and Payment.objects.get(id=order.paid_charge).refund is None


@pytest.mark.parametrize("currency, amount, shown", [
    ("JPY", 1250, "1250 JPY"), ("EUR", 1250, "12.50 EUR"), ("KWD", 1500, "1.500 KWD")])
def test_amounts_use_their_currencys_minor_units(currency, amount, shown):
    # before: every currency had two decimals (1250 JPY showed as 12.50 JPY)
    assert payments.amount_text(currency, amount, "en") == shown
