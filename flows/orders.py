"""My orders: the list and one order's items."""

from __future__ import annotations

from constants import text
from engine import Html, data_source
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


def _items(order: Order, lang: str) -> str:
    return "\n".join(text("orders.item", lang, name=esc(i.title(lang)), quantity=i.quantity,
                          unit=format_money(i.unit_price, lang),
                          total=format_money(i.line_total, lang)) for i in order.items)


@data_source("orders.placed")
def placed(ctx) -> dict:
    """The order just placed (``data.order_number``): its number, lines and total."""
    order = Order.objects(number=ctx.data.get("order_number"), user_id=ctx.user_id).first()
    if order is None:
        return {"number": ctx.data.get("order_number") or "", "items": "", "total": ""}
    return {"number": order.number, "items": Html(_items(order, ctx.lang)),
            "total": format_money(order.total, ctx.lang)}


@data_source("orders.one")
def one(ctx) -> dict:
    """The order named by the ``order`` parameter, only if it is the shopper's own."""
    try:
        number = int(ctx.params.get("order") or 0)
    except ValueError:
        number = 0
    order = Order.objects(number=number, user_id=ctx.user_id).first()
    if order is None:
        return {"number": number, "body": Html(text("orders.not_found", ctx.lang))}
    items = _items(order, ctx.lang)
    row = _row(order, ctx.lang)
    body = text("orders.body", ctx.lang, items=items, total=row["total"], status=row["status"],
                date=row["date"], email=esc(order.email or "—"), phone=esc(order.phone or "—"),
                address=esc(order.address or "—"))
    return {"number": order.number, "body": Html(body)}
