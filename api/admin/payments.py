"""Payments: every payment Telegram reported (``models.Payment``), filtered by what became
of it, and the refund of a payment still to refund (one no order awaited, or one whose
order's refund Telegram refused: asked again), through the same idempotent path as the
staff chat's button (``flows.payments.refund_payment``): without a staff chat
(STAFF_CHAT_ID) this page is where such a payment is seen and settled. An order's page
asks again through here too."""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_login import current_user
from markupsafe import Markup

from api.admin.i18n import current_language, lazy, t
from api.admin.views import ShopModelView
from models import Order, Payment

logger = logging.getLogger(__name__)

__all__ = ["PaymentView", "amount_label", "refund_label", "to_refund"]

# the filter's choices: a payment's state, or what became of its refund ("unmatched": the
# payments still to refund, as Home counts them; the value kept for the links to it)
SHOWN = ("unmatched", "applied", "received", "refunded", "refund_failed")


def to_refund():
    """The payments still to refund (``Payment.owed``: unmatched and not refunded, or an
    order's refund Telegram refused); Home counts them, the "to refund" filter lists them."""
    return Payment.to_refund()


def amount_label(currency: str, amount: int) -> str:
    """An amount in the page's language: ``1 299 ₽``, ``⭐ 10``, ``12.50 EUR``."""
    from flows.payments import amount_text

    return amount_text(currency, amount or 0, current_language())


def refund_label(payment: Payment) -> str:
    """What became of the payment's refund: done, recorded (manual), refused, asked, none."""
    return t(f"payment.refund.{payment.refund or 'none'}")


class StateFilter(BaseMongoEngineFilter):
    def __init__(self) -> None:
        super().__init__("state", lazy("field.state"), options=lambda: [
            (value, t(f"payment.filter.{value}")) for value in SHOWN])

    def apply(self, query, value):
        if value == "refunded":
            return query.filter(refund__in=["done", "manual"])
        if value == "refund_failed":
            return query.filter(refund="failed")
        if value == "unmatched":
            return query.filter(Payment.owed_filter())
        return query.filter(state=value)

    def operation(self):
        return lazy("filter.is")


def _amount(view, context, model, name):
    return amount_label(model.currency, model.total_amount)


def _state(view, context, model, name):
    state = t(f"payment.state.{model.state}")
    if model.state == "unmatched" and model.reason:
        state += f" ({t('payment.reason.' + model.reason)})"
    return state


def _refund(view, context, model, name):
    return refund_label(model)


def _order(view, context, model, name):
    if model.order is None:
        return f"#{model.order_number}" if model.order_number else "—"
    return Markup('<a href="{}">#{}</a>').format(
        url_for("order.details_view", id=str(model.order)), model.order_number or "?")


class PaymentView(ShopModelView):
    """Payments, newest first; read-only but for the refund of an unmatched one."""

    can_create = can_edit = can_delete = False
    can_view_details = True
    details_template = "shop_admin/payment.html"
    column_list = ("created", "id", "provider_charge_id", "user_id", "total_amount", "state",
                   "refund", "order_number")
    column_labels = {"created": lazy("field.created"), "id": lazy("field.charge"),
                     "provider_charge_id": lazy("field.provider_charge"),
                     "user_id": lazy("field.buyer"), "total_amount": lazy("field.amount"),
                     "state": lazy("field.state"), "refund": lazy("field.refund"),
                     "order_number": lazy("field.number")}
    column_formatters = {"total_amount": _amount, "state": _state, "refund": _refund,
                         "order_number": _order}
    column_sortable_list = ("created", "total_amount", "state")
    column_default_sort = ("created", True)
    column_filters = (StateFilter(), "created", "user_id")
    column_searchable_list = ("id", "provider_charge_id")

    def render(self, template, **kwargs):
        payment = kwargs.get("model")
        if template == self.details_template and payment is not None:
            kwargs.update(
                payment=payment, amount=amount_label(payment.currency, payment.total_amount),
                state=_state(self, None, payment, "state"), refund=refund_label(payment),
                order=Order.objects(id=payment.order).first() if payment.order else None,
                refundable=payment.owed, stars=payment.stars,
                again=payment.refund == "failed" or payment.state == "applied")
        return super().render(template, **kwargs)

    @expose("/refund/", methods=("POST",))
    def refund(self):
        """Refund a payment still to refund: Stars through Telegram (once, whoever presses,
        here, on its order's page or in the staff chat; asked again once refused), a card
        recorded as refunded with the provider. ``back=order``: back to its order's page."""
        from flows.payments import refund_payment
        from models.payment import short_ref

        payment = Payment.objects(id=request.form.get("id", "")).first()
        if payment is None:
            flash(t("payment.missing"), "error")
            return redirect(url_for(".index_view"))
        back = url_for("order.details_view", id=str(payment.order)) \
            if request.form.get("back") == "order" and payment.order is not None \
            else url_for(".details_view", id=payment.pk)
        try:
            outcome, _ = refund_payment(payment.ref or short_ref(payment.pk),
                                        by=f"admin:{current_user.email}")
        except Exception as err:  # Telegram out of reach: no BOT_TOKEN here, say
            logger.exception("refund of payment %s from the admin", payment.pk)
            flash(t("payment.refunded.error", reason=str(err)[:300]), "error")
            return redirect(back)
        flash(t(f"payment.refunded.{outcome}"),
              "success" if outcome in ("done", "manual") else "error")
        return redirect(back)
