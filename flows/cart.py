"""Cart actions and data sources: every change is one atomic update in ``models.Cart``."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId

from constants import text
from engine import Html, UserError, action, condition, data_source
from models import Cart, OutOfStock, Product, QuantityAtMinimum, format_money
from models.text import esc


def product_arg(ctx) -> Product:
    """The product a button names; a deleted or bogus one is explained, not a crash."""
    try:
        product = Product.objects(id=ObjectId(str(ctx.args.get("product")))).first()
    except InvalidId:
        product = None
    if product is None:
        raise UserError("cart.product_gone")
    return product


def _cart(ctx) -> Cart:
    return Cart.for_user(ctx.user_id)


@action("cart.add")
def add(ctx) -> None:
    product = product_arg(ctx)
    try:
        quantity = _cart(ctx).add(product, op=ctx.update_id)
    except OutOfStock as err:
        key = "cart.no_stock" if not product.in_stock else "cart.stock_limit"
        raise UserError(key, name=product.title(ctx.lang), stock=err.values["stock"]) from None
    ctx.notify("cart.added", name=product.title(ctx.lang), quantity=quantity)


@action("cart.increment")
def increment(ctx) -> None:
    product = product_arg(ctx)
    try:
        _cart(ctx).add(product, op=ctx.update_id)
    except OutOfStock as err:
        raise UserError("cart.stock_limit", name=product.title(ctx.lang),
                        stock=err.values["stock"]) from None


@action("cart.decrement")
def decrement(ctx) -> None:
    product = product_arg(ctx)
    try:
        _cart(ctx).decrement(product, op=ctx.update_id)
    except QuantityAtMinimum:
        raise UserError("cart.at_minimum", name=product.title(ctx.lang)) from None


@action("cart.remove")
def remove(ctx) -> None:
    product = product_arg(ctx)
    _cart(ctx).remove(product)
    ctx.notify("cart.removed", name=product.title(ctx.lang))


@action("cart.describe_line")
def describe_line(ctx) -> None:
    product = product_arg(ctx)
    ctx.notify("cart.line_toast", name=product.title(ctx.lang),
               price=format_money(product.final_price, ctx.lang), stock=product.stock)


@action("cart.clear")
def clear(ctx) -> None:
    _cart(ctx).clear()


@condition("cart.has_items")
def has_items(ctx) -> bool:
    return not _cart(ctx).is_empty


def _short(name: str, size: int = 14) -> str:
    return name if len(name) <= size else name[: size - 1] + "…"


@data_source("cart.lines")
def lines(ctx) -> list[dict]:
    return [{"id": str(line.product.pk), "number": n, "quantity": line.quantity,
             "short_name": _short(line.product.title(ctx.lang)),
             "can_decrement": line.quantity > 1}
            for n, line in enumerate(_cart(ctx).lines(), start=1)]


ROWS_BUDGET = 3000  # characters of numbered lines in one message; the rest is summed up


def fit_rows(rows: list[str], amounts: list[tuple[int, int]], lang: str,
             budget: int = ROWS_BUDGET) -> list[str]:
    """``rows`` while they fit ``budget`` characters; the rest counted in one line from their
    ``amounts`` (quantity, line total in kopecks), so what follows the rows is never cut."""
    shown = 0
    for n, row in enumerate(rows):
        if shown + len(row) > budget:
            rest = amounts[n:]
            return [*rows[:n], text("cart.more_lines", lang, lines=len(rest),
                                    items=sum(q for q, _ in rest),
                                    total=format_money(sum(t for _, t in rest), lang))]
        shown += len(row) + 1
    return rows


def lines_body(lines: list[tuple[str, int, int, int, int]], lang: str) -> str:
    """Numbered lines (name, list price, discount, unit price, quantity), the total and the
    saving, as the cart and the confirmation show them. Lines beyond what fits one message
    are counted in one line, so the total (and what follows it) is never cut off."""
    rows = []
    for n, (name, price, discount, unit_price, quantity) in enumerate(lines, start=1):
        unit = format_money(unit_price, lang)
        if discount:
            unit = f"<s>{format_money(price, lang)}</s> {unit}"
        rows.append(text("cart.line", lang, n=n, name=esc(name), quantity=quantity, unit=unit,
                         total=format_money(unit_price * quantity, lang)))
    rows = fit_rows(rows, [(q, u * q) for _, _, _, u, q in lines], lang)
    if not rows:
        return text("cart.empty", lang)
    total = sum(unit_price * quantity for _, _, _, unit_price, quantity in lines)
    full = sum(price * quantity for _, price, _, _, quantity in lines)
    body = "\n".join(rows) + "\n\n" + text("cart.total", lang, total=format_money(total, lang))
    if full > total:
        body += "\n" + text("cart.saved", lang, amount=format_money(full - total, lang))
    return body


@data_source("cart.summary")
def summary(ctx) -> dict:
    """The cart as text: a numbered line per item (quantity, unit and line price), the total."""
    lines = _cart(ctx).lines()
    body = lines_body([(line.product.title(ctx.lang), line.product.price,
                        line.product.discount or 0, line.unit_price, line.quantity)
                       for line in lines], ctx.lang)
    return {"count": sum(line.quantity for line in lines), "body": Html(body),
            "total": format_money(sum(line.total for line in lines), ctx.lang),
            "empty": not lines}
