"""A quote: exactly what the confirm screen showed, so an order buys that and nothing else.

A quote is made from the cart when the shopper reaches the confirmation; it names each line's
product, list price, discount, unit price and quantity, and carries a random ``key`` that
makes placing it idempotent (``Order.place``). It travels in the conversation's data as a
plain mapping (:meth:`Quote.to_dict`), so it survives restarts and other processes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from models.cart import Cart
from models.product import Product


@dataclass(frozen=True)
class QuoteLine:
    product: str
    name: str
    names: dict[str, str]
    price: int
    discount: int
    unit_price: int
    quantity: int

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity

    def title(self, lang: str | None = None) -> str:
        return self.names.get(lang) or self.name


@dataclass(frozen=True)
class Change:
    """One difference between a quote and the catalog (or cart) now.

    ``kind`` is ``price`` (the unit price moved: ``before``/``after`` in kopecks), ``stock``
    (fewer left than quoted: ``before`` quoted, ``after`` available), ``gone`` (the product
    left the catalog), ``quantity`` (the cart's quantity changed) or ``added`` (a line not
    in the quote).
    """

    kind: str
    line: QuoteLine
    before: int = 0
    after: int = 0


@dataclass(frozen=True)
class Quote:
    key: str
    lines: tuple[QuoteLine, ...]

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def full(self) -> int:
        """The total before discounts."""
        return sum(line.price * line.quantity for line in self.lines)

    def to_dict(self) -> dict:
        return {"key": self.key, "lines": [dict(vars(line)) for line in self.lines]}

    @classmethod
    def from_dict(cls, raw: dict | None) -> Quote | None:
        """The quote stored by :meth:`to_dict`; ``None`` for anything else."""
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            return None
        try:
            lines = tuple(QuoteLine(**line) for line in raw.get("lines") or [])
        except TypeError:
            return None
        return cls(raw["key"], lines)


def new_key() -> str:
    """A quote's key: 16 hex digits (64 random bits), short enough for a button's data."""
    return uuid.uuid4().hex[:16]


def line_of(product: Product, quantity: int) -> QuoteLine:
    return QuoteLine(product=str(product.pk), name=product.name, names=product.names(),
                     price=product.price, discount=product.discount or 0,
                     unit_price=product.final_price, quantity=quantity)


def quote_cart(cart: Cart) -> tuple[Quote, list[Change]]:
    """A new quote of ``cart`` as it can be bought now, and what that changed in the cart.

    A line asking for more than is in stock is cut to the stock (``stock`` change), one
    with no stock left is dropped; the cart is changed to match, so the cart and the quote
    agree. Lines whose product is gone are dropped by ``Cart.lines`` already.
    """
    lines, changes = [], []
    for line in cart.lines():
        quantity = line.quantity
        if quantity > line.product.stock:
            quantity = max(line.product.stock, 0)
            changes.append(Change("stock", line_of(line.product, line.quantity),
                                  line.quantity, quantity))
            cart.set_quantity(line.product, quantity)
        if quantity:
            lines.append(line_of(line.product, quantity))
    return Quote(new_key(), tuple(lines)), changes


def differences(quote: Quote, cart: Cart) -> list[Change]:
    """What differs between ``quote`` and buying ``cart`` now: empty when it still holds.

    A quote whose order exists (placed, or being placed: its stock is taken already) holds:
    placing it again resumes or returns that order.
    """
    from models.order import Order

    if Order.objects(checkout_key=quote.key).only("id").first() is not None:
        return []
    current = {str(line.product.pk): line for line in cart.lines()}
    quoted = {line.product for line in quote.lines}
    changes = []
    for line in quote.lines:
        now = current.get(line.product)
        if now is None:
            product = Product.objects(id=line.product).first()
            changes.append(Change("gone" if product is None else "quantity", line,
                                  line.quantity, 0))
            continue
        if (now.product.final_price, now.product.price, now.product.discount or 0) != \
                (line.unit_price, line.price, line.discount):
            # the same final price from another price and discount still needs a new quote:
            # placing checks both (a line's "price" change then shows no difference)
            changes.append(Change("price", line, line.unit_price, now.product.final_price))
        if now.quantity != line.quantity:
            changes.append(Change("quantity", line, line.quantity, now.quantity))
        elif now.product.stock < line.quantity:
            changes.append(Change("stock", line, line.quantity, max(now.product.stock, 0)))
    for pid, now in current.items():
        if pid not in quoted:
            changes.append(Change("added", line_of(now.product, now.quantity), 0, now.quantity))
    return changes


def compare(old: Quote, new: Quote) -> list[Change]:
    """How ``new`` (quoted just now) differs from ``old`` (what the shopper saw)."""
    now = {line.product: line for line in new.lines}
    before = {line.product for line in old.lines}
    stock = {str(p.pk): p.stock for p in Product.objects(id__in=list(before)).only("stock")}
    changes = []
    for line in old.lines:
        fresh = now.get(line.product)
        if line.product not in stock:
            changes.append(Change("gone", line, line.quantity, 0))
            continue
        quantity = fresh.quantity if fresh else 0
        if fresh and fresh.unit_price != line.unit_price:  # (price and discount alone: silent)
            changes.append(Change("price", line, line.unit_price, fresh.unit_price))
        if quantity != line.quantity:
            kind = "stock" if quantity < line.quantity and quantity >= stock[line.product] \
                else "quantity"
            changes.append(Change(kind, line, line.quantity, quantity))
    changes.extend(Change("added", line, 0, line.quantity) for line in new.lines
                   if line.product not in before)
    return changes
