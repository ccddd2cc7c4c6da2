"""Orders: an immutable snapshot of what was bought, made from a cart in one step."""

from __future__ import annotations

from mongoengine import (
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    MapField,
    ObjectIdField,
    StringField,
)

from constants import ORDER_STATUSES
from models.base import TimestampedDocument
from models.cart import Cart
from models.counter import Counter
from models.errors import EmptyCart, OutOfStock
from models.product import Product


class OrderItem(EmbeddedDocument):
    """One bought line, frozen at checkout: later catalog edits do not change it."""

    product = ObjectIdField()
    name = StringField(required=True)
    names = MapField(StringField())  # language -> name, as the catalog had them at purchase
    unit_price = IntField(required=True, min_value=0)
    quantity = IntField(required=True, min_value=1)
    line_total = IntField(required=True, min_value=0)

    def title(self, lang: str | None = None) -> str:
        """The name in ``lang`` as it was at purchase, else the default language's."""
        return (self.names or {}).get(lang) or self.name


class Order(TimestampedDocument):
    """A placed order; ``number`` is the human-friendly id shown to the shopper."""

    number = IntField(required=True, unique=True)
    user_id = IntField(required=True)
    items = EmbeddedDocumentListField(OrderItem)
    total = IntField(required=True, min_value=0)
    email = StringField(max_length=254)
    phone = StringField(max_length=20)
    address = StringField(max_length=512)
    status = StringField(choices=ORDER_STATUSES, default="new")

    meta = {"collection": "orders",
            "indexes": [("user_id", "-created"), "status", "-created"],
            "ordering": ["-created"]}

    def __str__(self) -> str:
        return f"#{self.number}"

    @classmethod
    def for_user(cls, user_id: int):
        return cls.objects(user_id=user_id).order_by("-created")

    @classmethod
    def from_cart(cls, cart: Cart, *, email: str | None = None, phone: str | None = None,
                  address: str | None = None) -> Order:
        """Place an order for everything in ``cart``, then take those lines out of the cart.

        Stock is taken with one conditional decrement per line, so two shoppers buying
        the last unit cannot both succeed; if any line is short, what was taken is put
        back and :class:`OutOfStock` lists every short line. An empty cart raises
        :class:`EmptyCart`.
        """
        lines = cart.lines()
        if not lines:
            raise EmptyCart("the cart is empty")
        short = [line for line in lines if line.quantity > line.product.stock]
        taken: list[tuple[Product, int]] = []
        if not short:
            for line in lines:
                if Product.objects(id=line.product.pk, stock__gte=line.quantity).update_one(
                        __raw__={"$inc": {"stock": -line.quantity}}):
                    taken.append((line.product, line.quantity))
                else:
                    short.append(line)
                    break
        if short:
            for product, quantity in taken:
                Product.objects(id=product.pk).update_one(inc__stock=quantity)
            items = []
            for line in short:
                line.product.reload()
                items.append({"name": line.product.name, "names": line.product.names(),
                              "stock": line.product.stock,
                              "product": str(line.product.pk), "wanted": line.quantity})
            first = items[0]
            raise OutOfStock(f"not enough stock for {', '.join(i['name'] for i in items)}",
                             items=items, name=first["name"], stock=first["stock"])
        items = [OrderItem(product=line.product.pk, name=line.product.name,
                           names=line.product.names(),
                           unit_price=line.unit_price, quantity=line.quantity,
                           line_total=line.total) for line in lines]
        order = cls(number=Counter.next("order"), user_id=cart.user_id, items=items,
                    total=sum(i.line_total for i in items), email=email, phone=phone,
                    address=address)
        order.save()
        cart.take([(line.product, line.quantity) for line in lines])
        return order
