"""Per-language copies of catalog texts (Russian in the main fields, others beside them)."""

from __future__ import annotations

from mongoengine import EmbeddedDocument, EmbeddedDocumentListField, StringField


class Characteristic(EmbeddedDocument):
    """One ``name: value`` line of a product's specifications, in the order given."""

    name = StringField(required=True, max_length=64)
    value = StringField(required=True, max_length=256)


class Translation(EmbeddedDocument):
    """A catalog item's texts in one more language; empty fields fall back to Russian."""

    name = StringField(max_length=128)
    description = StringField(max_length=4000)
    characteristics = EmbeddedDocumentListField(Characteristic)


def localized(document, field: str, lang: str | None):
    """``document.<field>`` in ``lang`` when translated, else the default language's."""
    translation = (document.translations or {}).get(lang) if lang else None
    value = getattr(translation, field, None) if translation else None
    return value if value else getattr(document, field)
