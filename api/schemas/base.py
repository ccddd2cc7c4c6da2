"""The base schema, the pagination and sorting query parameters, pages and errors."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from api.schemas.fields import Text
from api.schemas.voice import UNKNOWN, speak

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_SEARCH = 100

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "NO_QUERY",
    "BaseSchema",
    "ErrorSchema",
    "PageQuery",
    "Search",
    "Sort",
    "page_schema",
]


class BaseSchema(Schema):
    """Every schema rejects unknown fields: a typo is an error, not a silent no-op; and
    every field's messages speak the API's voice (:mod:`api.schemas.voice`)."""

    error_messages = {"unknown": UNKNOWN, "type": "Must be an object."}

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        speak(field_obj)


class NoQuery(BaseSchema):
    """For endpoints without query parameters: any parameter is an error."""


NO_QUERY = NoQuery()


class Sort(fields.String):
    """``sort=-price,name``: comma-separated keys from an allowlist, ``-`` for descending.

    Deserialises into mongoengine ``order_by`` arguments (API names mapped to fields).
    """

    def __init__(self, allowed: dict[str, str], default: str, **kwargs: Any) -> None:
        keys = "|".join(re.escape(k) for k in allowed)
        # the one enumeration style of the API's messages: "Must be one of: a, b."
        self.message = (f"Must be one of: {', '.join(allowed)}; several comma-separated, "
                        "'-' before one for descending.")
        metadata = {
            "description": f"Sort keys, comma-separated, `-` for descending; one of: "
                           f"{', '.join(allowed)}. Default `{default}`.",
            "pattern": f"^-?({keys})(,-?({keys}))*$",
            "example": default,
            "default": default,
            **kwargs.pop("metadata", {}),
        }
        self.allowed = allowed
        super().__init__(load_default=self.parse(default), metadata=metadata, **kwargs)

    def parse(self, text: str) -> list[str]:
        """``"-price,name"`` -> ``["-price", "name"]`` (field names); repeated keys count once."""
        order, seen = [], set()
        for raw in text.split(","):
            key = raw.strip()
            name = key.removeprefix("-")
            if name not in self.allowed:
                raise ValidationError(self.message)
            if name not in seen:
                seen.add(name)
                order.append(("-" if key.startswith("-") else "") + self.allowed[name])
        return order

    def _deserialize(self, value, attr, data, **kwargs):
        return self.parse(super()._deserialize(value, attr, data, **kwargs))


class Search(Text):
    """A free-text search term (matched literally, case-insensitively)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=MAX_SEARCH), **kwargs)


class PageQuery(BaseSchema):
    """``page`` (from 1) and ``page_size`` (1 to 100)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    page_size = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Items per page (at most {MAX_PAGE_SIZE})."})


class LinksSchema(BaseSchema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    next = fields.String(required=True, allow_none=True)
    prev = fields.String(required=True, allow_none=True)


_pages: dict[type[Schema], type[Schema]] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    """The page envelope of ``item`` (one class per item schema, named ``<Item>Page``)."""
    if item not in _pages:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _pages[item] = type(name, (BaseSchema,), {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "links": fields.Nested(LinksSchema, required=True),
        })
    return _pages[item]


class ErrorSchema(BaseSchema):
    """The body of every error response."""

    code = fields.Integer(required=True, metadata={"example": 422})
    status = fields.String(required=True, metadata={"example": "Unprocessable Entity"})
    message = fields.String(required=True)
    location = fields.String(metadata={"enum": ["json", "query", "form", "header", "path"]})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per field."})
