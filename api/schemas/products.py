"""Products. Money is integer kopecks (minor units): ``129900`` is 1 299.00 RUB."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.base import BaseSchema, PageQuery, Search, Sort
from api.schemas.common import (
    CharacteristicSchema,
    ProductTranslationSchema,
    timestamp,
    translations_field,
)
from api.schemas.fields import ObjectIdField, Picture, Reference, Text

MAX_PRICE = 10**12  # kopecks: ten billion roubles, far below MongoDB's 64-bit integers
MAX_STOCK = 10**9
POSITION = validate.Range(min=-(10**9), max=10**9)

__all__ = ["MAX_PRICE", "MAX_STOCK", "ProductQuery", "ProductSchema"]


class ProductSchema(BaseSchema):
    """A product; ``price`` and ``final_price`` are integer kopecks."""

    id = ObjectIdField(dump_only=True)
    sku = Text(allow_none=True, load_default=None, validate=validate.Length(min=1, max=64),
               metadata={"description": "Unique stock-keeping unit (optional)."})
    name = Text(required=True, validate=validate.Length(min=1, max=128))
    description = Text(load_default="", validate=validate.Length(max=4000))
    category = Reference(required=True, metadata={"description": "Id of the category."})
    price = fields.Integer(strict=True, required=True,
                           validate=validate.Range(min=0, max=MAX_PRICE),
                           metadata={"description": "Price before discount, in kopecks."})
    discount = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 100),
                              metadata={"description": "Discount in percent."})
    final_price = fields.Integer(dump_only=True, metadata={
        "description": "Price after the discount, in kopecks (rounded half up)."})
    stock = fields.Integer(strict=True, load_default=0,
                           validate=validate.Range(min=0, max=MAX_STOCK),
                           metadata={"description": "Units available."})
    in_stock = fields.Boolean(dump_only=True)
    digital = fields.Boolean(load_default=False, metadata={
        "description": "Delivered in Telegram (a code, a file, a service): with STARS on, "
                       "an order of only digital products is paid in Telegram Stars."})
    image = Picture(allow_none=True, load_default=None)
    characteristics = fields.List(fields.Nested(CharacteristicSchema), load_default=list,
                                  validate=validate.Length(max=50))
    position = fields.Integer(strict=True, load_default=0, validate=POSITION,
                              metadata={"description": "Display order in the category."})
    translations = translations_field(ProductTranslationSchema, "ProductTranslations")
    created = timestamp()
    modified = timestamp()


class ProductQuery(PageQuery):
    """Filters and sorting of ``GET /products``."""

    category = ObjectIdField(metadata={
        "description": "Products of this category and of all its subcategories."})
    in_stock = fields.Boolean(metadata={"description": "true: stock > 0; false: stock = 0."})
    discounted = fields.Boolean(metadata={"description": "true: with a discount; false: "
                                                         "without."})
    min_price = fields.Integer(validate=validate.Range(min=0, max=MAX_PRICE), metadata={
        "description": "Lowest price before discount, in kopecks (inclusive)."})
    max_price = fields.Integer(validate=validate.Range(min=0, max=MAX_PRICE), metadata={
        "description": "Highest price before discount, in kopecks (inclusive)."})
    sku = Text(validate=validate.Length(min=1, max=64))
    q = Search(metadata={"description": "Text contained in the name (any language)."})
    sort = Sort({"position": "position", "name": "name", "price": "price", "stock": "stock",
                 "discount": "discount", "created": "created", "modified": "modified"},
                default="position,name")

    @validates_schema
    def _price_range(self, data: dict, **kwargs) -> None:
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be below min_price.", field_name="max_price")
