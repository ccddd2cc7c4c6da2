"""Products of the catalog, with the exact discounted price and the caption (lesson 14)."""

from __future__ import annotations

from mongoengine import (
    DENY,
    BooleanField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    MapField,
    ObjectIdField,
    ReferenceField,
    StringField,
    ValidationError,
)

from constants import CAPTION_LIMIT, DEFAULT_LANGUAGE, text
from models.base import TimestampedDocument
from models.category import Category
from models.i18n import Characteristic, Translation, localized
from models.money import discounted, format_money
from models.text import esc, truncate_escaped


class StockHold(EmbeddedDocument):
    """Units taken from ``stock`` by an order being placed (``models.placing``): the record
    that makes taking them, and putting them back, happen once per order."""

    order = ObjectIdField(required=True)
    quantity = IntField(required=True, min_value=1)
    at = DateTimeField()


class Product(TimestampedDocument):
    """A product; ``price`` in kopecks, ``stock`` in units (available when ``stock > 0``).

    ``image`` is a path inside the repository, an http(s) URL or a Telegram ``file_id``;
    ``image_file_id`` caches the id Telegram gave for an uploaded file so it is sent once.
    """

    sku = StringField(max_length=64, unique=True, sparse=True)
    name = StringField(required=True, max_length=128)
    description = StringField(max_length=4000, default="")
    category = ReferenceField(Category, required=True, reverse_delete_rule=DENY)
    price = IntField(required=True, min_value=0)
    stock = IntField(default=0, min_value=0)
    discount = IntField(default=0, min_value=0, max_value=100)
    image = StringField(max_length=512)
    image_file_id = StringField(max_length=256)
    characteristics = EmbeddedDocumentListField(Characteristic)
    position = IntField(default=0)
    # delivered in Telegram (a code, a file, a service): payable in Telegram Stars
    digital = BooleanField(default=False)
    translations = MapField(EmbeddedDocumentField(Translation))
    holds = EmbeddedDocumentListField(StockHold)  # orders being placed right now
    returns = ListField(ObjectIdField())  # cancelled orders whose units came back

    @classmethod
    def all_digital(cls, product_ids) -> bool:
        """Whether every one of these products exists and is digital (an order of them
        needs no address and is delivered in Telegram)."""
        from models.db import serialised

        ids = set(product_ids)
        if not ids:
            return False
        with serialised():
            return cls.objects(id__in=list(ids), digital=True).count() == len(ids)

    meta = {"collection": "products",
            "indexes": [("category", "position", "name"), "price", "stock"],
            "ordering": ["position", "name"]}

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """Save; a product put into a category is written under the category tree's lock,
        after checking the category still exists (it may be deleted at the same moment)."""
        if self.category is not None and (self.pk is None or "category" in self._changed_fields):
            from models.category import TREE_LOCK
            from models.lock import locked

            with locked(TREE_LOCK):
                if not Category.objects(id=self.category.pk).only("id").first():
                    raise ValidationError("the category no longer exists", errors={
                        "category": ValidationError("Must be an existing category.",
                                                    field_name="category")})
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def out_of_stock(self) -> bool:
        return self.stock <= 0

    @property
    def final_price(self) -> int:
        """The price after the discount, in kopecks."""
        return discounted(self.price, self.discount or 0)

    def title(self, lang: str | None = None) -> str:
        return localized(self, "name", lang)

    def names(self) -> dict[str, str]:
        """The name in every language it has: the default language's and each translation's."""
        return {DEFAULT_LANGUAGE: self.name,
                **{lang: t.name for lang, t in (self.translations or {}).items() if t.name}}

    def price_line(self, lang: str | None = None) -> str:
        if self.discount:
            return text("product.price_discounted", lang, old=format_money(self.price, lang),
                        new=format_money(self.final_price, lang), discount=self.discount)
        return text("product.price", lang, price=f"<b>{format_money(self.price, lang)}</b>")

    def caption(self, lang: str | None = None, limit: int = CAPTION_LIMIT) -> str:
        """Name, price (old/new when discounted), stock, description and characteristics.

        HTML for Telegram, never longer than ``limit``: when too long the characteristics
        are shortened first down to half the room left, then the description is cut at a
        word, always outside tags and entities.
        """
        stock = (text("product.in_stock", lang, stock=self.stock) if self.in_stock
                 else text("product.out_of_stock", lang))
        head = f"<b>{esc(self.title(lang))}</b>\n{self.price_line(lang)}\n{stock}"
        description = localized(self, "description", lang) or ""
        specs = localized(self, "characteristics", lang) or []
        spec_lines = [f"• {esc(c.name)}: {esc(c.value)}" for c in specs]
        spec_head = f"<b>{esc(text('product.characteristics', lang))}</b>"

        def assemble(desc_html: str, lines: list[str]) -> str:
            parts = [head]
            if desc_html:
                parts.append(desc_html)
            if lines:
                parts.append("\n".join([spec_head, *lines]))
            return "\n\n".join(parts)

        full = assemble(esc(description), spec_lines)
        if len(full) <= limit:
            return full
        base = len(assemble("", []))
        room = limit - base
        desc_size = len(esc(description)) + 2 if description else 0
        specs_room = max(room // 2, room - desc_size)
        lines = list(spec_lines)
        if len(assemble("", lines)) - base > specs_room:
            while lines and len(assemble("", [*lines, "…"])) - base > specs_room:
                lines.pop()
            lines = [*lines, "…"] if lines else []
        desc_room = limit - len(assemble("", lines)) - (2 if description else 0)
        return assemble(truncate_escaped(description, max(desc_room, 0)), lines)
