"""Carts: one per user, each line changed by one atomic, conditional update.

Lines are kept in a map keyed by the product id (not a list), so every change is a
plain ``$inc``/``$set``/``$unset`` on a known path: no positional operator, which some
MongoDB-compatible servers lack, and double clicks from two processes add up exactly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    MapField,
    NotUniqueError,
    StringField,
)

from models.base import TimestampedDocument, utcnow
from models.errors import OutOfStock, QuantityAtMinimum
from models.product import Product

_RETRIES = 8
OPS_KEPT = 32  # keys of the latest changes: a redelivery comes within seconds


class CartItem(EmbeddedDocument):
    quantity = IntField(required=True, min_value=1)
    added = DateTimeField()


@dataclass(frozen=True)
class CartLine:
    """A cart line resolved against the catalog."""

    product: Product
    quantity: int

    @property
    def unit_price(self) -> int:
        return self.product.final_price

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


class Cart(TimestampedDocument):
    """The cart of the user whose Telegram id is ``user_id``.

    ``ops`` keeps the keys of the last changes made with one (a Telegram update's id): a
    change repeated under the same key (the update delivered again after a crash) is not
    applied twice, because the key is checked and recorded in the change's own update.
    """

    user_id = IntField(primary_key=True)
    items = MapField(EmbeddedDocumentField(CartItem))
    ops = ListField(StringField())

    meta = {"collection": "carts"}

    @classmethod
    def for_user(cls, user_id: int) -> Cart:
        """The user's cart, created empty (atomically) when it does not exist yet."""
        cart = cls.objects(user_id=user_id).first()
        if cart is None:
            # two first clicks may both insert; the loser's duplicate key means the cart
            # exists. Not an upsert: racing upserts could reset a document on FerretDB v2
            # (see models/counter.py), and for a cart that would empty it
            with contextlib.suppress(NotUniqueError):
                cls(user_id=user_id, items={}).save(force_insert=True)
            cart = cls.objects.get(user_id=user_id)
        return cart

    def _update(self, query: dict, update: dict, op: str | None = None) -> bool:
        if op is not None:  # applied once per key: checked and recorded in the same update
            query = {**query, "ops": {"$ne": op}}
            update = {**update, "$push": {"ops": {"$each": [op], "$slice": -OPS_KEPT}}}
        done = Cart.objects(__raw__={"_id": self.user_id, **query}).update_one(__raw__=update)
        return bool(done)

    def _applied(self, op: str | None) -> bool:
        """Whether the change keyed ``op`` is in the cart already (then it is not redone)."""
        if op is None:
            return False
        return Cart.objects(__raw__={"_id": self.user_id, "ops": op}).only("user_id").first() \
            is not None

    def quantity(self, product: Product) -> int:
        item = (self.items or {}).get(str(product.pk))
        return item.quantity if item else 0

    def add(self, product: Product, quantity: int = 1, *, op: object = None) -> int:
        """Add ``quantity`` units; never beyond the product's stock. Returns the new quantity.

        With ``op`` (a Telegram update's id), the addition is made once per ``op``.
        """
        if quantity < 1:
            raise ValueError(f"quantity must be at least 1, got {quantity}")
        op = None if op is None else str(op)
        key = f"items.{product.pk}"
        limit = product.stock - quantity
        for _ in range(_RETRIES):
            if self._applied(op):
                return self._reload_quantity(product)
            if limit < 0:
                break
            # an existing line grows only while it stays within stock ...
            if self._update({f"{key}.quantity": {"$lte": limit}},
                            {"$inc": {f"{key}.quantity": quantity}}, op):
                return self._reload_quantity(product)
            # ... and a new line is created only when there is none
            if self._update({key: {"$exists": False}},
                            {"$set": {key: {"quantity": quantity, "added": utcnow()}}}, op):
                return self._reload_quantity(product)
            current = Cart.objects(user_id=self.user_id).first()
            if current is None:
                Cart.for_user(self.user_id)  # the cart itself was missing
                continue
            if current.quantity(product) > limit:
                break
            # a racing click created (or removed) the line between our two updates: again
        self.reload()
        raise OutOfStock(f"only {product.stock} of {product.name!r} in stock",
                         name=product.name, stock=product.stock, product=str(product.pk))

    increment = add

    def decrement(self, product: Product, *, op: object = None) -> int:
        """Take one unit off; at quantity 1 raise :class:`QuantityAtMinimum` (remove instead).

        With ``op`` (a Telegram update's id), it is taken off once per ``op``.
        """
        op = None if op is None else str(op)
        key = f"items.{product.pk}.quantity"
        if self._update({key: {"$gte": 2}}, {"$inc": {key: -1}}, op) or self._applied(op):
            return self._reload_quantity(product)
        self.reload()
        if self.quantity(product) == 1:
            raise QuantityAtMinimum(f"{product.name!r} is at quantity 1", name=product.name)
        return 0

    def remove(self, product: Product) -> None:
        self._update({}, {"$unset": {f"items.{product.pk}": ""}})
        self.reload()

    def set_quantity(self, product: Product, quantity: int) -> int:
        """Set a line to ``quantity`` (1..stock); 0 removes it."""
        if quantity <= 0:
            self.remove(product)
            return 0
        if quantity > product.stock:
            raise OutOfStock(f"only {product.stock} of {product.name!r} in stock",
                             name=product.name, stock=product.stock, product=str(product.pk))
        key = f"items.{product.pk}"
        self._update({key: {"$exists": True}}, {"$set": {f"{key}.quantity": quantity}})
        self._update({key: {"$exists": False}},
                     {"$set": {key: {"quantity": quantity, "added": utcnow()}}})
        return self._reload_quantity(product)

    def take(self, lines: list[tuple[Product, int]]) -> None:
        """Remove exactly these quantities (what an order bought): a click that added to the
        cart while the order was being placed is kept, not silently dropped."""
        for product, quantity in lines:
            key = f"items.{product.pk}"
            if not self._update({f"{key}.quantity": quantity}, {"$unset": {key: ""}}):
                self._update({f"{key}.quantity": {"$gt": quantity}},
                             {"$inc": {f"{key}.quantity": -quantity}})
        self.reload()

    def clear(self) -> None:
        self._update({}, {"$set": {"items": {}}})
        self.reload()

    def _reload_quantity(self, product: Product) -> int:
        self.reload()
        return self.quantity(product)

    @property
    def is_empty(self) -> bool:
        return not self.items

    def lines(self) -> list[CartLine]:
        """The lines in the order they were added, resolved in one query.

        Lines whose product was deleted from the catalog are left out.
        """
        items = self.items or {}
        products = {str(p.pk): p for p in Product.objects(id__in=list(items))}
        # by time added; lines added in the same millisecond keep the map's (insertion) order
        ordered = sorted(items.items(), key=lambda kv: kv[1].added or utcnow())
        return [CartLine(products[pid], item.quantity) for pid, item in ordered if pid in products]

    def total(self) -> int:
        """The sum of the lines at their discounted prices, in kopecks."""
        return sum(line.total for line in self.lines())

    def count(self) -> int:
        return sum(item.quantity for item in (self.items or {}).values())
