"""Payments in-process: invoices, pre-checkout refusals, payments recorded once, a second
charge for a paid order, refunds (Stars through Telegram, cards recorded), expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

import models
from engine import updates
from engine.broadcast import SenderTransport, Worker
from engine.payments import Invoice
from engine.sender import SendError
from engine.testing import ChatClient, dispatcher
from flows import order_lifecycle, payments, staff
from flows.notify import OutboxQueue
from flows.replay import make_engine

BUYER, OTHER = 104, 105


@pytest.fixture
def shop():
    engine = make_engine()
    staff.configure(staff.Feed())  # no staff chat: payments still work
    payments.configure(payments.PaymentConfig(provider_token="1:TEST:x", stars=True,
                                              stars_rate=1000))
    from models import demo

    demo.load()
    bot = dispatcher(engine, pays=payments.PaymentDesk())
    for user_id in (BUYER, OTHER):
        models.User(telegram_id=user_id, first_name="Anna", language="en").save()
    yield engine, bot
    payments.configure(None)
    staff.configure(None)


def place(engine, bot, *, digital: bool = False, user_id: int = BUYER, count: int = 1):
    products = list(models.Product.objects(stock__gt=2).order_by("sku")[:count])
    if digital:
        for product in products:
            product.update(set__digital=True)
    cart = models.Cart.for_user(user_id)
    for product in products:
        cart.add(product)
    quote, _ = models.quote_cart(cart)
    order = models.Order.place(user_id, quote, payment=payments.terms_for(quote))
    order_lifecycle.created(order.pk)
    Worker(OutboxQueue(), SenderTransport(engine.sender), rate=1000, threads=1,
           per_chat_interval=0).drain()
    client = ChatClient(engine, user_id, bot=bot)
    return order, client


def drain(engine) -> None:
    Worker(OutboxQueue(), SenderTransport(engine.sender), rate=1000, threads=1,
           per_chat_interval=0).drain()


def test_a_card_order_gets_one_invoice_with_a_price_per_line(shop):
    engine, bot = shop
    order, client = place(engine, bot, count=2)
    [message] = client.invoices()
    invoice = engine.sender.invoices[message.message_id]
    assert order.status == "awaiting_payment" and order.pay_method == "card"
    assert invoice.currency == "RUB" and invoice.provider_token == "1:TEST:x"
    assert len(invoice.prices) == 2 and invoice.total == order.total == order.pay_amount
    assert invoice.payload == f"{order.number}:{order.pay_nonce}" and len(order.pay_nonce) == 16
    assert invoice.title == f"Order #{order.number}"


def test_a_digital_order_is_priced_in_stars_with_one_price(shop):
    engine, bot = shop
    order, client = place(engine, bot, digital=True)
    invoice = engine.sender.invoices[client.invoices()[0].message_id]
    assert order.pay_method == "stars" and invoice.currency == "XTR"
    assert invoice.provider_token == "" and len(invoice.prices) == 1
    assert invoice.total == -(-order.total // 1000)  # rounded up: the shop never gets less


def test_invoice_bounds_are_telegrams():
    good = Invoice("T", "D", "p", "XTR", (("x", 1),))
    assert good.problems() == []
    assert Invoice("T" * 33, "D", "p", "XTR", (("x", 1),)).problems()
    assert Invoice("T", "D" * 256, "p", "XTR", (("x", 1),)).problems()
    assert Invoice("T", "D", "p" * 129, "XTR", (("x", 1),)).problems()
    assert Invoice("T", "D", "p", "XTR", (("x", 1), ("y", 1))).problems()
    assert Invoice("T", "D", "p", "XTR", (("x", 1),), provider_token="t").problems()
    assert Invoice("T", "D", "p", "RUB", (("x", 1),)).problems()  # no provider


@pytest.mark.parametrize("change, refusal", [
    ({"pay_nonce": "0" * 16}, "not one of your current orders"),  # a forged payload
    ({"pay_amount": 1}, "does not match"),
    ({"pay_until": "past"}, "time to pay ran out"),
])
def test_pre_checkout_refuses_what_does_not_match(shop, change, refusal):
    engine, bot = shop
    order, client = place(engine, bot)
    invoice = engine.sender.invoices[client.invoices()[0].message_id]
    if change.get("pay_until") == "past":
        change = {"pay_until": models.utcnow() - timedelta(seconds=1)}
    models.Order.objects(id=order.pk).update_one(**{f"set__{k}": v for k, v in change.items()})
    if "pay_nonce" in change:  # the buyer's client still sends the invoice's old payload
        engine.sender.invoices[client.invoices()[0].message_id] = invoice
    client.pay()
    [(ok, error)] = engine.sender.pre_checkouts.values()
    assert not ok and refusal in error
    assert models.Payment.objects.count() == 0


def test_pre_checkout_refuses_someone_elses_invoice(shop):
    engine, bot = shop
    order, _ = place(engine, bot)
    invoice = engine.sender.invoices[next(iter(engine.sender.invoices))]
    other = ChatClient(engine, OTHER, bot=bot)
    update = {"update_id": 777, "pre_checkout_query": {
        "id": "q-other", "from": other.user, "currency": invoice.currency,
        "total_amount": invoice.total, "invoice_payload": invoice.payload}}
    from telebot import types

    bot.process_new_updates([types.Update.de_json(update)])
    assert engine.sender.pre_checkouts["q-other"][0] is False


def test_a_second_charge_for_a_paid_order_is_kept_and_surfaced(shop):
    engine, bot = shop
    staff.configure(staff.Feed(-1001, 7, frozenset({901})))
    order, client = place(engine, bot)
    client.pay(twice=True)  # the second time, pre-checkout says no: the order is paid
    assert [a for a in engine.sender.pre_checkouts.values()][-1] == (
        False, f"Order #{order.number} is paid already: nothing to pay.")
    assert models.Payment.objects.count() == 1
    client.pay(skip_pre_checkout=True)  # ... a second charge arrives anyway (late)
    drain(engine)
    order.reload()
    assert order.status == "paid" and [e.trigger for e in order.history] == ["pay"]
    states = sorted((p.state, p.reason) for p in models.Payment.objects)
    assert states == [("applied", None), ("unmatched", "paid")]
    staff_chat = [m.text for m in engine.sender.chat(-1001)]
    assert any("<code>tg-charge-" in t for t in staff_chat)  # in the chat's language (ru)
    assert any("We will refund it" in m.text for m in client.messages)


def test_a_payment_is_recorded_once_whatever_repeats(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    client.pay()
    client.redeliver()
    client.redeliver(duplicate=True)
    assert models.Payment.objects.count() == 1
    order.reload()
    assert order.status == "paid" and order.version == 1


def test_a_payment_a_crash_left_unapplied_is_applied_by_the_housekeeping(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    invoice = engine.sender.invoices[client.invoices()[0].message_id]
    models.Payment.record(id="c1", user_id=BUYER, currency="RUB",
                          total_amount=invoice.total, payload=invoice.payload)
    models.Payment.objects(id="c1").update_one(set__created=models.utcnow() - timedelta(minutes=5))
    assert payments.resume_received() == 1
    order.reload()
    assert order.status == "paid" and models.Payment.objects.get(id="c1").state == "applied"


def test_expiry_returns_the_stock_once_and_only_past_the_grace(shop):
    engine, bot = shop
    order, _ = place(engine, bot)
    product = models.Product.objects.get(id=order.items[0].product)
    before = product.stock
    models.Order.objects(id=order.pk).update_one(
        set__pay_until=models.utcnow() - timedelta(seconds=30))
    assert payments.expire_unpaid() == 0  # within the grace: a payment may be landing
    models.Order.objects(id=order.pk).update_one(
        set__pay_until=models.utcnow() - payments.GRACE - timedelta(seconds=1))
    assert payments.expire_unpaid() == 1
    assert payments.expire_unpaid() == 0
    order_lifecycle.resume()
    product.reload()
    assert product.stock == before + 1
    order.reload()
    assert order.status == "cancelled" and order.history[-1].trigger == "expire"


def _paid_stars(shop):
    engine, bot = shop
    order, client = place(engine, bot, digital=True)
    client.pay()
    order.reload()
    assert order.status == "paid"
    return engine, order


def test_a_stars_refund_goes_to_telegram_once(shop):
    engine, order = _paid_stars(shop)
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded", note="Sorry")
    payment = models.Payment.objects.get(order=order.pk)
    assert payment.refund == "done" and engine.sender.refunds == {payment.pk: BUYER}
    payments.refund({"_id": order.pk, "number": order.number})  # resumed again: nothing
    assert len(engine.sender.refunds) == 1


def test_charge_already_refunded_counts_as_done_and_a_transient_error_is_resumed(shop):
    engine, order = _paid_stars(shop)
    payment = models.Payment.objects.get(order=order.pk)
    engine.sender.refunds[payment.pk] = BUYER  # refunded already (by hand, say)
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded", note="x")
    assert models.Payment.objects.get(id=payment.pk).refund == "done"

    engine2, order2 = _paid_stars(shop)
    calls = []

    class Flaky:
        def refund_star_payment(self, user_id, charge_id):
            calls.append(charge_id)
            if len(calls) == 1:
                raise SendError(502, "Bad Gateway")
            engine2.sender.refund_star_payment(user_id, charge_id)

    payments.configure_gateway(Flaky())
    with pytest.raises(SendError):
        order_lifecycle.change(order2.pk, role="staff", actor="api", dest="refunded",
                               note="x")
    assert models.Payment.objects.get(order=order2.pk).refund == "requested"
    assert order_lifecycle.resume() == 1  # the housekeeping tries again
    assert models.Payment.objects.get(order=order2.pk).refund == "done"


def test_a_card_refund_is_recorded_as_done_outside_telegram(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    client.pay()
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded", note="x")
    assert models.Payment.objects.get(order=order.pk).refund == "manual"
    assert engine.sender.refunds == {}


def test_payment_updates_are_checked_before_telebot_reads_them():
    good = {"update_id": 5, "pre_checkout_query": {
        "id": "q", "from": {"id": 1, "is_bot": False, "first_name": "A"},
        "currency": "XTR", "total_amount": 5, "invoice_payload": "1:ab"}}
    assert updates.parse(good).pre_checkout_query.total_amount == 5
    bad = {**good, "pre_checkout_query": {**good["pre_checkout_query"], "total_amount": "5"}}
    assert updates.parse(bad).pre_checkout_query is None
    paid = {"update_id": 6, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "A"},
        "successful_payment": {"currency": "XTR", "total_amount": 5,
                               "invoice_payload": "1:ab", "telegram_payment_charge_id": ""}}}
    assert updates.parse(paid).message is None  # no charge id: malformed, acknowledged


def test_the_api_refunds_a_stars_order_through_telegram(shop):
    from api import create_app

    engine, order = _paid_stars(shop)
    client = create_app({"TESTING": True, "API_TOKENS": ["t"]}).test_client()
    response = client.post(f"/api/v1/orders/{order.pk}/transitions",
                           json={"to": "refunded", "note": "Wrong item"},
                           headers={"Authorization": "Bearer t"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "refunded" and body["history"][-1]["note"] == "Wrong item"
    assert body["pay_method"] == "stars" and body["pay_currency"] == "XTR"
    payment = models.Payment.objects.get(order=order.pk)
    assert payment.refund == "done" and payment.pk in engine.sender.refunds


def test_a_digital_order_is_told_it_comes_in_this_chat(shop):
    from flows.notify import buyer_message

    engine, bot = shop
    order, client = place(engine, bot, digital=True)
    client.pay()
    order.reload()
    assert "we will send it to you in this chat" in buyer_message(order, order.version, "en")
    order = order_lifecycle.change(order.pk, role="staff", actor="api", trigger="ship")
    assert "sent to you in this chat" in buyer_message(order, order.version, "en")
    models.Product.objects.update(set__digital=False)
    physical, client = place(engine, bot, user_id=OTHER)
    client.pay()
    physical.reload()
    assert "when it ships" in buyer_message(physical, physical.version, "en")


def test_a_refusal_in_the_history_does_not_hide_the_change_from_the_housekeeping(shop):
    # the refusal is noted in the order's history while the refund's actions run: a crash
    # then must still let the housekeeping find the change ("refund") and finish it
    engine, order = _paid_stars(shop)

    class Refusing:
        def refund_star_payment(self, user_id, charge_id):
            raise SendError(400, "Bad Request: CHARGE_NOT_FOUND")

    payments.configure_gateway(Refusing())
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded", note="x")
    order.reload()
    assert [e.trigger for e in order.history[-2:]] == ["refund", "refund_refused"]
    assert order.history[-1].by == "Telegram Stars" and order.version == 2
    models.Order.objects(id=order.pk).update_one(
        set__after_pending=["payments.refund", "orders.return_stock", "orders.notify"])
    assert order_lifecycle.resume() == 1
    assert not models.Order.objects.get(id=order.pk).after_pending
    with pytest.raises(ValueError):  # an event may not pass for a change
        order_lifecycle.record(order.pk, role="staff", actor="x", trigger="refund")
    payments.configure_gateway(engine.sender)
