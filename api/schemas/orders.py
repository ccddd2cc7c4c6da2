"""Orders (read-only): snapshots of what was bought."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.base import BaseSchema, PageQuery, Sort
from api.schemas.common import timestamp
from api.schemas.fields import INT64_MAX, DateBound, ObjectIdField
from constants import ORDER_STATUSES

__all__ = ["OrderQuery", "OrderSchema", "OrderTransitionSchema", "UserOrderQuery"]


class OrderItemSchema(BaseSchema):
    product = ObjectIdField(allow_none=True, metadata={"description": "Id of the product "
                                                                      "when bought."})
    name = fields.String(required=True)
    names = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True, metadata={
        "description": "The name in every language the catalog had at purchase."})
    unit_price = fields.Integer(required=True, metadata={
        "description": "Price paid per unit after discount, in kopecks."})
    quantity = fields.Integer(required=True)
    line_total = fields.Integer(required=True, metadata={"description": "In kopecks."})


class OrderEventSchema(BaseSchema):
    """One change of the order's status."""

    source = fields.String(data_key="from", metadata={"description": "The status before."})
    dest = fields.String(data_key="to", metadata={"description": "The status after."})
    trigger = fields.String(metadata={"description": "The change, as the lifecycle names it."})
    role = fields.String(metadata={"description": "staff, buyer or system."})
    by = fields.String(metadata={"description": "Who: a staff member, the buyer, the API."})
    at = fields.DateTime(metadata={"description": "When (UTC)."})
    note = fields.String(allow_none=True, metadata={"description": "A reason, if given."})


class OrderTransitionSchema(BaseSchema):
    """``POST /orders/{id}/transitions``: move the order to ``to``."""

    to = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES), metadata={
        "description": "The status to move to; it must be one the lifecycle allows now "
                       "(flows/order_lifecycle.yaml)."})
    note = fields.String(validate=validate.Length(max=500), metadata={
        "description": "A reason (required for cancelling and refunding)."})


class OrderSchema(BaseSchema):
    """An order; ``total`` is in kopecks."""

    id = ObjectIdField(dump_only=True)
    number = fields.Integer(dump_only=True, metadata={"description": "Shown to the shopper."})
    user_id = fields.Integer(dump_only=True, metadata={"description": "Telegram id."})
    items = fields.List(fields.Nested(OrderItemSchema), dump_only=True)
    total = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    phone = fields.String(dump_only=True, allow_none=True)
    address = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, metadata={"enum": list(ORDER_STATUSES)})
    version = fields.Integer(dump_only=True, metadata={"description": "Bumped by every "
                                                                      "status change."})
    history = fields.List(fields.Nested(OrderEventSchema), dump_only=True, metadata={
        "description": "Every status change, oldest first."})
    pay_method = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "card (a payment provider), stars (Telegram Stars), or null: paid "
                       "on delivery."})
    pay_currency = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The invoice's currency (RUB, XTR for Stars)."})
    pay_amount = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The invoice's total in the currency's minor units (Stars: whole)."})
    pay_until = fields.DateTime(dump_only=True, allow_none=True, metadata={
        "description": "Unpaid by then (UTC), the order is cancelled and its stock returned."})
    created = timestamp()
    modified = timestamp()


def _sort() -> Sort:
    return Sort({"created": "created", "number": "number", "total": "total"},
                default="-created")


class UserOrderQuery(PageQuery):
    """Filters and sorting of ``GET /users/{id}/orders``."""

    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    created_from = DateBound(metadata={"description": "Placed at or after."})
    created_to = DateBound(end=True, metadata={"description": "Placed at or before (a bare "
                                                              "date includes the day)."})
    sort = _sort()


class OrderQuery(UserOrderQuery):
    """Filters and sorting of ``GET /orders``."""

    user_id = fields.Integer(validate=validate.Range(min=0, max=INT64_MAX),
                             metadata={"description": "Orders of this Telegram user."})
    number = fields.Integer(validate=validate.Range(min=0, max=INT64_MAX))
    sort = _sort()
