"""My orders: the list and one order's items."""

from __future__ import annotations

from constants import text
from engine import Html, UserError, action, data_source
from flows import order_lifecycle
from models import Order, format_money
from models.text import esc


def _row(order: Order, lang: str) -> dict:
    return {"number": order.number, "date": order.created.strftime("%d.%m.%Y"),
            "total": format_money(order.total, lang),
            "status": text(f"order.status.{order.status}", lang)}


@data_source("orders.mine", key_length=10)
def mine(ctx) -> list[dict]:
    return [_row(order, ctx.lang) for order in Order.for_user(ctx.user_id)]


@data_source("orders.summary")
def summary(ctx) -> dict:
    count = Order.for_user(ctx.user_id).count()
    return {"count": count, "empty": Html(text("orders.none", ctx.lang) if not count else "")}


def _items(order: Order, lang: str, budget: int | None = None) -> str:
    """The order's lines, one each; those beyond one message's room (``budget``
    characters, default the cart's ``ROWS_BUDGET``) are counted in a line."""
    from flows.cart import ROWS_BUDGET, fit_rows

    rows = [text("orders.item", lang, name=esc(i.title(lang)), quantity=i.quantity,
                 unit=format_money(i.unit_price, lang), total=format_money(i.line_total, lang))
            for i in order.items]
    rows = fit_rows(rows, [(i.quantity, i.line_total) for i in order.items], lang,
                    ROWS_BUDGET if budget is None else budget)
    return "\n".join(rows)


@data_source("orders.placed")
def placed(ctx) -> dict:
    """The order just placed (``data.order_number``): its number, lines and total."""
    order = Order.objects(number=ctx.data.get("order_number"), user_id=ctx.user_id).first()
    if order is None:
        return {"number": ctx.data.get("order_number") or "", "items": "", "total": "",
                "pay": "", "minutes": ""}
    placed = {"number": order.number, "items": Html(_items(order, ctx.lang)),
              "total": format_money(order.total, ctx.lang)}
    if order.pay_method:  # paid in Telegram: how much, and by when
        from flows.payments import amount_text

        placed.update(pay=amount_text(order.pay_currency, order.pay_amount or 0, ctx.lang),
                      minutes=max(1, round((order.pay_until - order.created).total_seconds()
                                           / 60)) if order.pay_until and order.created else "")
    return placed


def _own_order(ctx) -> tuple[int, Order | None]:
    """The number the ``order`` parameter names, and that order if it is the shopper's own."""
    try:
        number = int(ctx.params.get("order") or 0)
    except ValueError:
        number = 0
    return number, Order.objects(number=number, user_id=ctx.user_id).first()


@data_source("orders.one")
def one(ctx) -> dict:
    """The order named by the ``order`` parameter, only if it is the shopper's own."""
    number, order = _own_order(ctx)
    if order is None:
        return {"number": number, "body": Html(text("orders.not_found", ctx.lang))}
    items = _items(order, ctx.lang)
    row = _row(order, ctx.lang)
    body = text("orders.body", ctx.lang, items=items, total=row["total"], status=row["status"],
                date=row["date"], email=esc(order.email or "—"), phone=esc(order.phone or "—"),
                address=esc(order.address or "—"))
    # the buyer sees the changes of status; events staff recorded beside them (a refund
    # Telegram refused, asked again) are the shop's business, with Telegram's error codes
    changes = [e for e in order.history if e.source != e.dest]
    if changes:
        body += "\n\n" + text("orders.history", ctx.lang) + "\n" + "\n".join(
            text("orders.event", ctx.lang, date=e.at.strftime("%d.%m.%Y %H:%M"),
                 status=text(f"order.status.{e.dest}", ctx.lang),
                 note=f" — {esc(e.note)}" if e.note else "") for e in changes)
    can_cancel = any(c.trigger == "cancel_by_buyer"
                     for c in order_lifecycle.lifecycle().allowed(order.status, "buyer"))
    return {"number": order.number, "body": Html(body), "can_cancel": can_cancel}


@action("orders.cancel_by_buyer")
def cancel_by_buyer(ctx) -> None:
    """The buyer cancels their own order while the lifecycle lets them (while it is new)."""
    number, order = _own_order(ctx)
    if order is None:
        raise UserError("orders.not_found")
    try:
        order_lifecycle.change(order.pk, role="buyer", actor=str(ctx.user_id),
                               trigger="cancel_by_buyer")
    except order_lifecycle.TransitionRefused:
        raise UserError("orders.cannot_cancel") from None
    ctx.notify("orders.cancelled", number=order.number)
