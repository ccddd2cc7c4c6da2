"""Payments attacked (issue 16): outbox entries never upserted, a late payment for an expired
order, unmatched payments refunded from the staff chat, charges that share a provider id,
an order cancelled while its payment lands."""

from __future__ import annotations

from datetime import timedelta

import mongomock
import pytest

import models
from flows import order_lifecycle, payments, staff
from tests.flows import test_payments as base

shop = base.shop  # the fixture
BUYER, drain, place = base.BUYER, base.drain, base.place

STAFF_CHAT, MEMBER = -1001, 901


@pytest.fixture
def no_outbox_upserts(monkeypatch):
    """Fail any upsert into the outbox: on FerretDB v2 racing upserts can reset a freshly
    inserted document (models/counter.py), so entries are inserted, a duplicate key meaning
    they exist."""
    seen = []
    for name in ("update_one", "update_many", "find_one_and_update", "replace_one"):
        original = getattr(mongomock.Collection, name)

        def checked(self, *args, _original=original, _name=name, **kwargs):
            if self.name == "outbox" and kwargs.get("upsert"):
                seen.append((_name, args[0] if args else kwargs.get("filter")))
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(mongomock.Collection, name, checked)
    return seen


def test_outbox_entries_are_inserted_never_upserted(shop, no_outbox_upserts):
    engine, bot = shop
    staff.configure(staff.Feed(STAFF_CHAT, None, frozenset({MEMBER})))
    order, client = place(engine, bot)  # the card, the invoice
    client.pay()  # the card redrawn, the buyer told
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="shipped")
    drain(engine)
    assert no_outbox_upserts == []
    kinds = sorted(n.kind for n in models.Notice.objects)
    assert kinds == ["buyer", "buyer", "card", "invoice"]
    card = models.Notice.objects.get(id=f"card:{order.pk}")
    assert card.want == 3 and card.shown == 3 and not card.pending
    # writing the same buyer's entry again (actions resumed) adds nothing, sent stays sent
    models.Notice.tell_buyer(order.pk, 1, BUYER, "en")
    assert models.Notice.objects.get(id=f"buyer:{order.pk}:1").state == "sent"


@pytest.fixture
def desk(shop):
    """The shop with a staff chat whose presses reach the staff desk."""
    from engine.side import SenderReplier
    from engine.testing import GroupClient, dispatcher

    engine, _ = shop
    feed = staff.Feed(STAFF_CHAT, None, frozenset({MEMBER, MEMBER + 1}))
    staff.configure(feed)
    bot = dispatcher(engine, [staff.StaffDesk(SenderReplier(engine.sender), feed)],
                     pays=payments.PaymentDesk())

    def member(user_id):
        return GroupClient(engine, bot, STAFF_CHAT, {"id": user_id, "first_name": "M",
                                                     "username": f"m{user_id}"})
    return engine, bot, member


def _second_charge(engine, bot, *, digital: bool):
    """A paid order, then a second charge for it (surfaced: unmatched, "paid")."""
    order, client = place(engine, bot, digital=digital)
    client.pay()
    client.pay(skip_pre_checkout=True)
    drain(engine)
    [extra] = models.Payment.objects(state="unmatched")
    return order, client, extra


def _unmatched_message(engine, charge):
    return next(m for m in engine.sender.chat(STAFF_CHAT) if charge in m.text)


def test_an_unmatched_stars_payment_is_refunded_once_from_the_staff_chat(desk):
    engine, bot, member = desk
    _, _, extra = _second_charge(engine, bot, digital=True)
    message = _unmatched_message(engine, extra.pk)
    [button] = [b for row in message.markup.rows for b in row]
    assert button.label == "↩️ Вернуть звёзды" and len(button.data.encode()) <= 64
    first, second = member(MEMBER), member(MEMBER + 1)
    first.press(message, button.data)
    second.press(message, button.data)  # a colleague on the same message: nothing again
    assert engine.sender.refunds == {extra.pk: BUYER}
    extra.reload()
    assert extra.refund == "done" and extra.refund_by == "M (@m901)"
    message = _unmatched_message(engine, extra.pk)
    assert "возвращено" in message.text and not getattr(message.markup, "rows", None)
    # the card's order (paid by the first charge) is untouched
    assert models.Payment.objects(state="applied", refund=None).count() == 1


def test_two_staff_refunding_an_unmatched_payment_at_once_refund_it_once(desk):
    import threading

    engine, bot, member = desk
    _, _, extra = _second_charge(engine, bot, digital=True)
    calls = []
    barrier = threading.Barrier(2)

    class Slow:
        def refund_star_payment(self, user_id, charge_id):
            calls.append(charge_id)
            engine.sender.refund_star_payment(user_id, charge_id)

    payments.configure_gateway(Slow())
    outcomes = []

    def press():
        barrier.wait()
        outcomes.append(payments.refund_payment(extra.ref, "someone")[0])
    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and sorted(outcomes) in (["already", "done"], ["busy", "done"])
    payments.configure_gateway(engine.sender)


def test_an_unmatched_card_payment_is_recorded_refunded_by_its_button(desk):
    engine, bot, member = desk
    _, _, extra = _second_charge(engine, bot, digital=False)
    message = _unmatched_message(engine, extra.pk)
    [button] = [b for row in message.markup.rows for b in row]
    member(MEMBER).press(message, button.data)
    member(MEMBER).press(message, button.data)
    extra.reload()
    assert extra.refund == "manual" and engine.sender.refunds == {}
    assert "провайдера" in _unmatched_message(engine, extra.pk).text


def GroupClientFor(engine, bot):  # noqa: N802
    from engine.testing import GroupClient

    return GroupClient(engine, bot, STAFF_CHAT, {"id": 4242, "first_name": "Stranger"})


def test_an_unmatched_refund_button_is_for_staff_only(desk):
    engine, bot, member = desk
    _, _, extra = _second_charge(engine, bot, digital=True)
    message = _unmatched_message(engine, extra.pk)
    data = message.markup.rows[0][0].data
    GroupClientFor(engine, bot).press(message, data)
    assert engine.sender.refunds == {}
    assert models.Payment.objects.get(id=extra.pk).refund is None


def test_a_payment_for_an_order_the_buyer_cancelled_is_surfaced_as_cancelled(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    invoice_message = client.invoices()[0]
    order_lifecycle.change(order.pk, role="buyer", actor="buyer", trigger="cancel_by_buyer")
    client.pay(invoice_message, skip_pre_checkout=True)  # accepted before the cancel
    payment = models.Payment.objects.get()
    assert (payment.state, payment.reason) == ("unmatched", "cancelled")
    order.reload()
    assert order.status == "cancelled" and order.paid_charge is None


def test_a_charge_repeating_another_charges_provider_id_is_kept_and_surfaced(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    invoice = engine.sender.invoices[client.invoices()[0].message_id]
    common = {"user_id": BUYER, "currency": "RUB", "total_amount": invoice.total,
              "payload": invoice.payload, "provider_charge_id": "prov-1"}
    first, new = models.Payment.record(id="tg-a", **common)
    assert new
    second, new = models.Payment.record(id="tg-b", **common)
    assert new and second.pk == "tg-b" and second.provider_charge_again == "prov-1"
    assert models.Payment.objects.count() == 2
    payments.apply(first)
    payments.apply(second)
    states = sorted((p.pk, p.state, p.reason) for p in models.Payment.objects)
    assert states == [("tg-a", "applied", None), ("tg-b", "unmatched", "paid")]


def _pre_checkout_only(engine, bot, client, order):
    """The buyer presses Pay: the bot says yes (the payment itself comes later)."""
    from telebot import types

    invoice = engine.sender.invoices[client.invoices()[0].message_id]
    bot.process_new_updates([types.Update.de_json({
        "update_id": 9001, "pre_checkout_query": {
            "id": "q-late", "from": client.user, "currency": invoice.currency,
            "total_amount": invoice.total, "invoice_payload": invoice.payload}})])
    assert engine.sender.pre_checkouts["q-late"] == (True, None)


def _past(order, **ago):
    """Move the order's deadline and its last yes back in time."""
    models.Order.objects(id=order.pk).update_one(**{
        f"set__{field}": models.utcnow() - delta for field, delta in ago.items()})


def test_a_payment_agreed_before_the_deadline_and_landing_late_pays_the_order(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    product = models.Product.objects.get(id=order.items[0].product)
    _pre_checkout_only(engine, bot, client, order)
    # the deadline passed long ago, the yes 5 minutes ago: the payment may still land
    _past(order, pay_until=payments.GRACE + timedelta(minutes=5),
          pay_checked=timedelta(minutes=5))
    assert payments.expire_unpaid() == 0
    client.pay(skip_pre_checkout=True)
    order.reload()
    assert order.status == "paid" and models.Payment.objects.get().state == "applied"
    assert models.Product.objects.get(id=product.pk).stock == product.stock  # still taken


def test_a_payment_landing_after_the_landing_window_is_surfaced(shop):
    engine, bot = shop
    order, client = place(engine, bot)
    product = models.Product.objects.get(id=order.items[0].product)
    _pre_checkout_only(engine, bot, client, order)
    _past(order, pay_until=payments.GRACE + payments.LANDING + timedelta(minutes=1),
          pay_checked=payments.LANDING + timedelta(seconds=1))
    assert payments.expire_unpaid() == 1
    order_lifecycle.resume()
    client.pay(skip_pre_checkout=True)
    payment = models.Payment.objects.get()
    assert (payment.state, payment.reason) == ("unmatched", "expired")
    order.reload()
    assert order.status == "cancelled" and order.paid_charge is None
    assert models.Product.objects.get(id=product.pk).stock == product.stock + 1  # once


class _Refusing:
    """Telegram refusing the first refund for good, doing the next ones (the fake's)."""

    def __init__(self, engine) -> None:
        self.engine, self.calls = engine, []

    def refund_star_payment(self, user_id, charge_id):
        from engine.sender import SendError

        self.calls.append(charge_id)
        if len(self.calls) == 1:
            raise SendError(400, "Bad Request: CHARGE_NOT_FOUND")
        self.engine.sender.refund_star_payment(user_id, charge_id)


def _refused_order(engine, bot):
    """A paid Stars order refunded by staff, Telegram refusing the refund."""
    order, client = place(engine, bot, digital=True)
    client.pay()
    refusing = _Refusing(engine)
    payments.configure_gateway(refusing)
    order_lifecycle.change(order.pk, role="staff", actor="api", dest="refunded", note="Sorry")
    drain(engine)
    payment = models.Payment.objects.get(order=order.pk)
    assert payment.refund == "failed" and engine.sender.refunds == {}
    return order, payment, refusing


def _card(engine, order):
    return next(m for m in reversed(engine.sender.chat(STAFF_CHAT))
                if f"#{order.number}" in m.text or f"№{order.number}" in m.text)


def test_a_refused_refund_of_an_order_is_asked_again_from_its_staff_card(desk):
    # before: the order was final and its card had no button: the Stars stayed the shop's
    engine, bot, member = desk
    order, payment, refusing = _refused_order(engine, bot)
    card = _card(engine, order)
    [button] = [b for row in card.markup.rows for b in row]
    assert button.label == "🔁 Повторить возврат" and len(button.data.encode()) <= 64
    assert "отказал" in card.text and "CHARGE_NOT_FOUND" in card.text
    member(MEMBER).press(card, button.data)
    member(MEMBER + 1).press(card, button.data)  # a colleague on the old card: nothing
    assert refusing.calls == [payment.pk, payment.pk]
    assert engine.sender.refunds == {payment.pk: BUYER}
    payment.reload()
    assert payment.refund == "done" and payment.refund_by == "M (@m901)"
    order.reload()
    assert [e.trigger for e in order.history[-3:]] == ["refund", "refund_refused",
                                                      "refund_again"]
    assert order.history[-1].by == "M (@m901)"
    # the buyer's "My orders" shows the changes of status, not the shop's refund events
    from types import SimpleNamespace

    from flows.orders import one

    shown = str(one(SimpleNamespace(params={"order": order.number}, user_id=order.user_id,
                                    lang="ru"))["body"])
    assert "CHARGE_NOT_FOUND" not in shown and "отказал" not in shown
    drain(engine)
    card = _card(engine, order)
    assert not getattr(card.markup, "rows", None) and "отказал" not in card.text.split(
        "Оплачено")[-1].split("\n")[0]


def test_two_retries_of_a_refused_order_refund_at_once_refund_it_once(desk):
    import threading

    engine, bot, _ = desk
    order, payment, refusing = _refused_order(engine, bot)
    barrier = threading.Barrier(2)
    outcomes = []

    def press():
        barrier.wait()
        outcomes.append(payments.refund_payment(payment.ref, "someone")[0])
    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refusing.calls) == 2 and engine.sender.refunds == {payment.pk: BUYER}
    assert sorted(outcomes) in (["already", "done"], ["busy", "done"])
    payments.configure_gateway(engine.sender)


def test_a_refused_unmatched_refund_keeps_a_button_to_try_again(desk):
    # before: the staff message dropped its button once Telegram refused
    engine, bot, member = desk
    _, _, extra = _second_charge(engine, bot, digital=True)
    refusing = _Refusing(engine)
    payments.configure_gateway(refusing)
    message = _unmatched_message(engine, extra.pk)
    member(MEMBER).press(message, message.markup.rows[0][0].data)
    message = _unmatched_message(engine, extra.pk)
    [button] = [b for row in message.markup.rows for b in row]
    assert button.label == "🔁 Повторить возврат"
    member(MEMBER).press(message, button.data)
    assert engine.sender.refunds == {extra.pk: BUYER}
    assert models.Payment.objects.get(id=extra.pk).refund == "done"
    payments.configure_gateway(engine.sender)
