"""Checkout: validators for the contact data, the saved values, and placing the order."""

from __future__ import annotations

import html

from constants import text
from engine import Html, Invalid, UserError, action, condition, data_source, validator
from flows.cart import lines_body
from flows.common import current_user
from models import (
    Cart,
    CheckoutBusy,
    EmptyCart,
    InvalidValue,
    Order,
    OutOfStock,
    Product,
    Quote,
    QuoteChanged,
    compare,
    differences,
    format_money,
    normalise_email,
    normalise_phone,
    placing,
    quote_cart,
)


@validator("email")
def email(ctx, value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidValue:
        raise Invalid() from None


@validator("phone")
def phone(ctx, value: str) -> str:
    try:
        return normalise_phone(value)
    except InvalidValue:
        raise Invalid() from None


ADDRESS_MIN, ADDRESS_MAX = 10, 300


@validator("address")
def address(ctx, value: str) -> str:
    """An address: 10-300 characters with a house number; each refusal says what is wrong."""
    value = " ".join(value.split())
    if len(value) < ADDRESS_MIN:
        raise Invalid("checkout.address_too_short", min=ADDRESS_MIN)
    if len(value) > ADDRESS_MAX:
        raise Invalid("checkout.address_too_long", max=ADDRESS_MAX, length=len(value))
    if not any(ch.isdigit() for ch in value):
        raise Invalid("checkout.address_no_number")
    return value


@validator("name")
def name(ctx, value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 60 or any(ch in value for ch in "<>/@#"):
        raise Invalid()
    return value


@data_source("profile.saved")
def saved(ctx) -> dict:
    user = current_user(ctx)
    return {"name": user.display_name,
            "first_name": user.first_name or ctx.user.get("first_name") or user.display_name,
            "email": user.email or "", "phone": user.phone or "",
            "address": user.address or "", "language": user.language}


@action("checkout.start")
def start(ctx) -> None:
    ctx.data.pop("editing", None)


@action("checkout.edit")
def edit(ctx) -> None:
    ctx.data["editing"] = True


@action("checkout.forget_editing")
def forget_editing(ctx) -> None:
    ctx.data.pop("editing", None)


@condition("checkout.is_editing")
def is_editing(ctx) -> bool:
    return bool(ctx.data.get("editing"))


@action("checkout.use_saved_email")
def use_saved_email(ctx) -> None:
    ctx.data["email"] = current_user(ctx).email


@action("checkout.use_saved_address")
def use_saved_address(ctx) -> None:
    ctx.data["address"] = current_user(ctx).address


def _notify_changes(ctx, changes: list) -> bool:
    lines = []
    for change in changes:
        if change.kind == "price" and change.before == change.after:
            continue  # another price and discount, the same final price: nothing to say
        money = change.kind == "price"
        lines.append(text(f"checkout.change.{change.kind}", ctx.lang,
                          name=change.line.title(ctx.lang),
                          before=format_money(change.before, ctx.lang) if money else change.before,
                          after=format_money(change.after, ctx.lang) if money else change.after))
    if lines:
        ctx.notify("checkout.changed", changes="\n".join(lines))
    return bool(lines)


@action("checkout.quote")
def make_quote(ctx) -> None:
    """Quote the cart as it can be bought now: the confirm screen shows exactly this.

    Lines cut to the stock left are said at once (when "Place order" led here, the
    explanation of everything that changed follows instead).
    """
    ctx.data["quote_before"] = ctx.data.get("quote")
    quote, cut = quote_cart(Cart.for_user(ctx.user_id))
    ctx.data["quote"] = quote.to_dict()
    if ctx.trigger != "place_order":
        _notify_changes(ctx, cut)


@data_source("checkout.quote", key_length=16)
def quote_summary(ctx) -> dict:
    """The quote as the confirm screen shows it: numbered lines, the total, the saving, and
    where it goes (the address; digital goods: this chat)."""
    quote = Quote.from_dict(ctx.data.get("quote")) or Quote("", ())
    body = lines_body([(line.title(ctx.lang), line.price, line.discount, line.unit_price,
                        line.quantity) for line in quote.lines], ctx.lang)
    digital = Product.all_digital(line.product for line in quote.lines)
    delivery = text("checkout.deliver_digital", ctx.lang) if digital else \
        text("checkout.deliver_to", ctx.lang, address=html.escape(ctx.data.get("address") or ""))
    return {"body": Html(body), "lines": bool(quote.lines), "key": quote.key,
            "total": format_money(quote.total, ctx.lang), "physical": not digital,
            "delivery": Html(delivery)}


@condition("checkout.is_digital")
def is_digital(ctx) -> bool:
    """The cart holds only digital products: no address is asked (delivered in Telegram)."""
    lines = Cart.for_user(ctx.user_id).lines()
    return bool(lines) and all(line.product.digital for line in lines)


@condition("checkout.quote_holds")
def quote_holds(ctx) -> bool:
    """The pressed button is the current confirmation's, and its quote can still be bought
    as shown (prices, stock, lines)."""
    quote = Quote.from_dict(ctx.data.get("quote"))
    return quote is not None and ctx.args.get("quote") == quote.key and \
        not differences(quote, Cart.for_user(ctx.user_id))


@action("checkout.explain_changes")
def explain_changes(ctx) -> None:
    """Tell the shopper what differs between the quote they saw and the one now shown; a
    press on an older confirmation is said to be one."""
    old = Quote.from_dict(ctx.data.pop("quote_before", None))
    new = Quote.from_dict(ctx.data.get("quote"))
    if old is None or ctx.args.get("quote") != old.key:
        ctx.notify("checkout.outdated_confirm")
        return
    _notify_changes(ctx, compare(old, new) if new else [])


@action("checkout.place")
def place(ctx) -> None:
    """Place the order for the quote the shopper confirmed, exactly once."""
    quote = Quote.from_dict(ctx.data.get("quote"))
    if quote is None:
        raise UserError("checkout.changed_retry")
    placing.recover_stale()  # checkouts abandoned by a crash give their stock back
    from flows import payments

    try:
        # paid in Telegram (flows/payments.py): placed awaiting payment, an invoice follows
        order = Order.place(ctx.user_id, quote, email=ctx.data.get("email"),
                            phone=ctx.data.get("phone"), address=ctx.data.get("address"),
                            payment=payments.terms_for(quote))
    except EmptyCart:
        raise UserError("checkout.cart_empty") from None
    except (QuoteChanged, OutOfStock):  # changed between the check and the taking
        raise UserError("checkout.changed_retry") from None
    except CheckoutBusy:
        raise UserError("checkout.busy") from None
    from flows import order_lifecycle

    # the staff chat's card, and the invoice of an order to pay (once; resumed after a crash)
    order_lifecycle.created(order.pk)
    user = current_user(ctx)
    # remember the contact data for next time, as the profile shows it
    user.email = user.email or ctx.data.get("email")
    user.phone = user.phone or ctx.data.get("phone")
    user.address = user.address or ctx.data.get("address")
    user.save()
    ctx.data["order_number"] = order.number
    for key in ("editing", "quote", "quote_before"):
        ctx.data.pop(key, None)
