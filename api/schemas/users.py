"""Shoppers (keyed by their Telegram id) and their carts."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from api.schemas.base import BaseSchema, PageQuery, Search, Sort
from api.schemas.common import timestamp
from api.schemas.fields import ObjectIdField, Text, UtcDateTime
from constants import DEFAULT_LANGUAGE, LANGUAGES
from models import InvalidValue, normalise_email, normalise_phone

__all__ = ["CartSchema", "UserQuery", "UserSchema"]


def _checked(normalise, message: str):
    """A validator from a model's normaliser: the schema reports it with the other fields
    (the model would only after the schema passed: one problem per request)."""
    def check(value: str | None) -> None:
        if value:
            try:
                normalise(value)
            except InvalidValue:
                raise ValidationError(message) from None
    return check


class UserSchema(BaseSchema):
    """A shopper. Names come from Telegram; contact data and language are editable.

    ``email`` is normalised, ``phone`` stored in E.164 (``+79991234567``).
    """

    id = fields.Integer(attribute="telegram_id", dump_only=True,
                        metadata={"description": "The Telegram user id."})
    username = fields.String(dump_only=True, allow_none=True)
    first_name = fields.String(dump_only=True, allow_none=True)
    last_name = fields.String(dump_only=True, allow_none=True)
    phone = Text(allow_none=True, load_default=None, validate=[
        validate.Length(max=32),
        _checked(normalise_phone, "Must be a phone number, e.g. +79991234567.")])
    email = Text(allow_none=True, load_default=None, validate=[
        validate.Length(max=254),
        _checked(normalise_email, "Must be an email address, e.g. anna@example.com.")])
    address = Text(allow_none=True, load_default=None, validate=validate.Length(max=512))
    language = fields.String(load_default=DEFAULT_LANGUAGE, validate=validate.OneOf(LANGUAGES))
    blocked = fields.Boolean(dump_only=True, metadata={
        "description": "True while the user has blocked the bot."})
    created = timestamp()
    modified = timestamp()


class UserQuery(PageQuery):
    """Filters and sorting of ``GET /users``."""

    blocked = fields.Boolean()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    q = Search(metadata={"description": "Text contained in the username or the names."})
    sort = Sort({"id": "telegram_id", "username": "username", "created": "created",
                 "modified": "modified"}, default="id")


class CartLineSchema(BaseSchema):
    product = ObjectIdField(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Integer(required=True, metadata={
        "description": "Current price after discount, in kopecks."})
    line_total = fields.Integer(required=True, metadata={"description": "In kopecks."})
    stock = fields.Integer(required=True, metadata={"description": "Units available now."})


class CartSchema(BaseSchema):
    """A user's cart at today's prices (lines of deleted products are left out)."""

    user_id = fields.Integer(required=True)
    items = fields.List(fields.Nested(CartLineSchema), required=True)
    count = fields.Integer(required=True, metadata={"description": "Units in the cart."})
    total = fields.Integer(required=True, metadata={"description": "In kopecks."})
    modified = UtcDateTime(allow_none=True)
