"""The one exception hierarchy of the data layer.

Each error carries a text key and values so that the bot can explain it to the shopper
in their language and the API can turn it into a 4xx with a field message.
"""

from __future__ import annotations

from mongoengine.errors import ValidationError

__all__ = [
    "Busy",
    "CategoryNotEmpty",
    "CheckoutBusy",
    "EmptyCart",
    "ModelError",
    "OutOfStock",
    "QuantityAtMinimum",
    "QuoteChanged",
    "TreeConflict",
    "ValidationError",
]


class ModelError(Exception):
    """A business rule refused the operation; ``text_key``/``values`` explain it.

    ``field``/``detail``, when set, name the input that caused it and what it must be (the
    API answers them as a field error).
    """

    text_key = "error.generic"
    field: str | None = None
    detail: str | None = None

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.values = values


class CategoryNotEmpty(ModelError):
    """A category that still holds products or subcategories cannot be deleted."""

    text_key = "error.category_not_empty"


class OutOfStock(ModelError):
    """A product does not have the quantity asked for (``name``, ``stock`` say what is left)."""

    text_key = "error.out_of_stock"

    def __init__(self, message: str, *, items: list[dict] | None = None, **values: object) -> None:
        super().__init__(message, **values)
        self.items = items or [values]


class EmptyCart(ModelError):
    """An order cannot be made from an empty cart."""

    text_key = "error.cart_empty"


class QuantityAtMinimum(ModelError):
    """A cart line is at quantity 1: decrementing it further means removing it."""

    text_key = "error.quantity_minimum"


class QuoteChanged(ModelError):
    """What the shopper confirmed is not what can be bought now; ``changes`` say how
    (``models.quote.Change``). Nothing was taken."""

    text_key = "error.quote_changed"

    def __init__(self, message: str, *, changes: list) -> None:
        super().__init__(message)
        self.changes = changes


class CheckoutBusy(ModelError):
    """The same checkout is being placed by another process right now."""

    text_key = "error.checkout_busy"


class Busy(ModelError):
    """Someone else is changing the same thing right now; trying again shortly will do."""

    text_key = "error.busy"


class TreeConflict(ModelError):
    """A category's new parent would make a loop or too deep a tree, given the tree now."""

    text_key = "error.tree_conflict"
    field = "parent"

    def __init__(self, message: str, *, detail: str) -> None:
        super().__init__(message)
        self.detail = detail
