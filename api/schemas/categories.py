"""Catalog categories."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.base import BaseSchema, PageQuery, Search, Sort
from api.schemas.common import CategoryTranslationSchema, timestamp, translations_field
from api.schemas.fields import ObjectIdField, Reference, Text

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
SLUG_ERROR = "Must be lowercase latin letters, digits and hyphens, e.g. smart-phones."
POSITION = validate.Range(min=-(10**9), max=10**9)

__all__ = ["SLUG_PATTERN", "CategoryForestSchema", "CategoryQuery", "CategorySchema",
           "CategoryTreeSchema", "ChildrenQuery"]


def _sort() -> Sort:
    return Sort({"position": "position", "name": "name", "created": "created",
                 "modified": "modified"}, default="position,name")


class CategorySchema(BaseSchema):
    """A category; ``parent`` is the id of the parent category, ``null`` at the root."""

    id = ObjectIdField(dump_only=True)
    slug = Text(allow_none=True, load_default=None,
                validate=[validate.Length(min=1, max=64),
                          validate.Regexp(SLUG_PATTERN, error=SLUG_ERROR)],
                metadata={"description": "Unique, URL-friendly name (optional).",
                          "pattern": SLUG_PATTERN})
    name = Text(required=True, validate=validate.Length(min=1, max=128))
    description = Text(load_default="", validate=validate.Length(max=2000))
    parent = Reference(allow_none=True, load_default=None)
    position = fields.Integer(strict=True, load_default=0, validate=POSITION,
                              metadata={"description": "Display order among siblings."})
    translations = translations_field(CategoryTranslationSchema, "CategoryTranslations")
    created = timestamp()
    modified = timestamp()


class CategoryTreeSchema(CategorySchema):
    """A category with its descendants nested in ``children``."""

    children = fields.List(fields.Nested(lambda: CategoryTreeSchema()), dump_only=True)


class CategoryForestSchema(BaseSchema):
    """The whole catalog: the top-level categories with their descendants nested."""

    items = fields.List(fields.Nested(CategoryTreeSchema), required=True)


class CategoryQuery(PageQuery):
    """Filters and sorting of ``GET /categories``."""

    parent = ObjectIdField(metadata={"description": "Only the children of this category."})
    root = fields.Boolean(metadata={"description": "true: only top-level categories; "
                                                   "false: only subcategories."})
    slug = Text(validate=validate.Length(min=1, max=64))
    q = Search(metadata={"description": "Text contained in the name (any language)."})
    sort = _sort()


class ChildrenQuery(PageQuery):
    """Sorting of ``GET /categories/{id}/children``."""

    sort = _sort()

