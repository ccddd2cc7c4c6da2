"""Checkout: validators for the contact data, the saved values, and placing the order."""

from __future__ import annotations

from engine import Invalid, UserError, action, condition, data_source, validator
from flows.common import current_user
from models import (
    Cart,
    EmptyCart,
    InvalidValue,
    Order,
    OutOfStock,
    normalise_email,
    normalise_phone,
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


@action("checkout.place")
def place(ctx) -> None:
    """Create the order from the cart; explain stock that ran out since the cart was filled."""
    cart = Cart.for_user(ctx.user_id)
    try:
        order = Order.from_cart(cart, email=ctx.data.get("email"), phone=ctx.data.get("phone"),
                                address=ctx.data.get("address"))
    except EmptyCart:
        raise UserError("checkout.cart_empty") from None
    except OutOfStock as err:
        names = ", ".join(f"{item['names'].get(ctx.lang, item['name'])} ({item['stock']})"
                          for item in err.items)
        raise UserError("checkout.out_of_stock", items=names) from None
    user = current_user(ctx)
    # remember the contact data for next time, as the profile shows it
    user.email = user.email or ctx.data.get("email")
    user.phone = user.phone or ctx.data.get("phone")
    user.address = user.address or ctx.data.get("address")
    user.save()
    ctx.data["order_number"] = order.number
    ctx.data.pop("editing", None)
