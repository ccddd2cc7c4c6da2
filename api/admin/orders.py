"""Orders: the list with filters and totals, and an order's page whose buttons change its
status through the order lifecycle, as the staff chat and the API do
(``flows.order_lifecycle.change``: the same machine, the same notifications to the buyer
through the outbox)."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_login import current_user

from api.admin.i18n import current_language, lazy, t
from api.admin.views import ShopModelView, money_column
from constants import ORDER_STATUSES, text
from models import Order, Payment, User, format_money

__all__ = ["OrderView", "status_label"]


def status_label(status: str, lang: str | None = None) -> str:
    """A status in the page's language (the bot's words for it; else its name)."""
    try:
        return text(f"order.status.{status}", lang or current_language())
    except KeyError:
        return status


def trigger_label(trigger: str) -> str:
    """A lifecycle change's button (its trigger's name when the admin has no words for it:
    a change added to order_lifecycle.yaml still gets its button)."""
    try:
        return t(f"order.trigger.{trigger}")
    except KeyError:
        return trigger.replace("_", " ")


class StatusFilter(BaseMongoEngineFilter):
    def __init__(self) -> None:
        super().__init__("status", lazy("field.status"), options=lambda: [
            (status, status_label(status)) for status in ORDER_STATUSES
            if status != Order.PENDING])

    def apply(self, query, value):
        return query.filter(status=value)

    def operation(self):
        return lazy("filter.is")


def _status(view, context, model, name):
    return status_label(model.status)


def _buyer(view, context, model, name):
    user = User.objects(telegram_id=model.user_id).only("first_name", "last_name",
                                                        "username").first()
    return f"{user.display_name} ({model.user_id})" if user else str(model.user_id)


def _lines(view, context, model, name):
    return sum(item.quantity for item in model.items)


def _payment(order: Order, lang: str) -> dict | None:
    """The order's payment for its page: the charge, the amount, what became of a refund
    (None: paid on delivery)."""
    from api.admin.payments import amount_label, refund_label

    if not order.pay_method:
        return None
    payment = Payment.of_order(order.pk) if order.paid_charge else None
    if payment is None:
        until = order.pay_until.strftime("%Y-%m-%d %H:%M") if order.pay_until else "—"
        due = t("order.unpaid_due", until=until,
                amount=amount_label(order.pay_currency, order.pay_amount or 0))
        return {"due": due if order.status == Order.AWAITING_PAYMENT else None}
    # owed: refunded with the order, refused by Telegram: still to refund, asked again here
    # (through the Payments page's refund, the staff chat's path)
    return {"charge": payment.pk, "provider_charge": payment.provider_charge_id,
            "amount": amount_label(payment.currency, payment.total_amount),
            "refund": refund_label(payment), "refund_error": payment.refund_error,
            "owed": payment.owed}


class OrderView(ShopModelView):
    """Placed orders (never those still being placed); read-only but for their status."""

    can_create = can_edit = can_delete = False
    can_view_details = True
    details_template = "shop_admin/order.html"
    list_template = "shop_admin/orders.html"
    column_list = ("number", "created", "status", "user_id", "items", "total")
    column_labels = {"number": lazy("field.number"), "created": lazy("field.created"),
                     "status": lazy("field.status"), "user_id": lazy("field.buyer"),
                     "items": lazy("field.units"), "total": lazy("field.total")}
    column_formatters = {"status": _status, "user_id": _buyer, "items": _lines,
                         "total": money_column("total")}
    column_sortable_list = ("number", "created", "status", "total")
    column_default_sort = ("created", True)
    column_filters = (StatusFilter(), "created", "user_id")
    column_searchable_list = ("email", "phone", "address")

    def get_query(self):
        return Order.objects(status__ne=Order.PENDING)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The page asked for; the count and sum of every order the filters match are
        kept for the totals line under the list."""
        if execute:
            _, matched = super().get_list(None, None, False, search, filters, execute=False,
                                          page_size=0)
            g.order_totals = {"count": matched.count(),
                              "sum": format_money(matched.sum("total") or 0,
                                                  current_language())}
        return super().get_list(page, sort_column, sort_desc, search, filters,
                                execute=execute, page_size=page_size)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self._order_page(kwargs["model"]))
        return super().render(template, **kwargs)

    def _order_page(self, order: Order) -> dict:
        from flows.order_lifecycle import lifecycle

        lang = current_language()
        buyer = User.objects(telegram_id=order.user_id).first()
        changes = lifecycle().allowed(order.status, role="staff")
        return {
            "order": order, "buyer": buyer, "lang": lang, "money": format_money,
            "status": status_label,
            "lines": [(item.title(lang), format_money(item.unit_price, lang), item.quantity,
                       format_money(item.line_total, lang)) for item in order.items],
            "total": format_money(order.total, lang),
            "payment": _payment(order, lang),
            "changes": [{"trigger": c.trigger, "dest": c.dest, "note": c.note,
                         "label": trigger_label(c.trigger)} for c in changes],
            # Stars go back through Telegram; a card's money is returned with the provider,
            # the button only records it
            "refund_help": t(f"order.refund_help.{order.pay_method}")
            if order.pay_method in ("stars", "card") and
            any(c.trigger == "refund" for c in changes) else None,
        }

    @expose("/transition/", methods=("POST",))
    def transition(self):
        """Fire one change of the lifecycle as staff; the version the page showed must
        still be the order's (someone else's change meanwhile is reported, not undone)."""
        from flows.order_lifecycle import TransitionRefused, change

        order = self.get_one(request.form.get("id", ""))
        back = url_for(".details_view", id=request.form.get("id", ""))
        if order is None:
            flash(t("order.missing"), "error")
            return redirect(url_for(".index_view"))
        try:
            version = int(request.form.get("version", ""))
        except ValueError:
            version = None
        trigger = request.form.get("trigger", "")
        try:
            changed = change(order.pk, role="staff", actor=f"admin:{current_user.email}",
                             trigger=trigger, note=request.form.get("note") or None,
                             expect_version=version)
        except TransitionRefused as err:
            if err.conflict:
                order.reload()
                flash(t("order.changed_meanwhile", number=order.number,
                        status=status_label(order.status)), "error")
            elif any(trig == trigger for trig, _ in err.allowed):
                flash(t("order.note_required"), "error")
            else:
                flash(t("order.not_allowed", number=order.number,
                        status=status_label(order.status)), "error")
            return redirect(back)
        flash(t("order.changed", number=changed.number, status=status_label(changed.status)),
              "success")
        return redirect(back)
