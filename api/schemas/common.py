"""Pieces shared by several nouns: timestamps, translations, characteristics."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.base import BaseSchema
from api.schemas.fields import Text, UtcDateTime
from constants import DEFAULT_LANGUAGE, LANGUAGES

OTHER_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)

__all__ = ["CharacteristicSchema", "OTHER_LANGUAGES", "timestamp", "translations_field"]


def timestamp() -> UtcDateTime:
    """``created`` or ``modified``: UTC, set by the server (declared last in each schema)."""
    return UtcDateTime(dump_only=True, allow_none=True)


class CharacteristicSchema(BaseSchema):
    """One ``name: value`` line of a product's specifications."""

    name = Text(required=True, validate=validate.Length(min=1, max=64))
    value = Text(required=True, validate=validate.Length(min=1, max=256))


class CategoryTranslationSchema(BaseSchema):
    """A category's texts in another language (empty fields fall back to the default)."""

    name = Text(allow_none=True, validate=validate.Length(max=128))
    description = Text(allow_none=True, validate=validate.Length(max=4000))


class ProductTranslationSchema(CategoryTranslationSchema):
    """A product's texts in another language."""

    characteristics = fields.List(fields.Nested(CharacteristicSchema),
                                  validate=validate.Length(max=50))


def translations_field(item: type[BaseSchema], name: str) -> fields.Nested:
    """``{"en": {...}}``: one optional entry per language other than the default one."""
    schema = BaseSchema.from_dict(
        {lang: fields.Nested(item) for lang in OTHER_LANGUAGES}, name=name)
    return fields.Nested(schema, load_default=dict, metadata={
        "description": f"Texts in other languages ({', '.join(OTHER_LANGUAGES)}); the main "
                       f"fields are in {DEFAULT_LANGUAGE!r}."})
