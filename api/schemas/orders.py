"""Orders (read-only): snapshots of what was bought."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.base import BaseSchema, PageQuery, Sort
from api.schemas.common import timestamp
from api.schemas.fields import INT64_MAX, DateBound, ObjectIdField
from constants import ORDER_STATUSES

__all__ = ["OrderQuery", "OrderSchema", "UserOrderQuery"]


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
