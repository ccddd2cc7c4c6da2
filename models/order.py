"""Orders: an immutable snapshot of what was bought, made from a cart in one step."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    MapField,
    ObjectIdField,
    StringField,
)

from constants import ORDER_STATUSES
from models.base import TimestampedDocument
from models.cart import Cart


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


class OrderEvent(EmbeddedDocument):
    """One change of an order's status: from, to, by whom (role and name), when, a note."""

    source = StringField(db_field="from")
    dest = StringField(db_field="to")
    trigger = StringField()
    role = StringField()
    by = StringField()
    at = DateTimeField()
    note = StringField()


class Order(TimestampedDocument):
    """An order; ``number`` is the human-friendly id shown to the shopper.

    An order is written ``pending`` (no number yet) while its stock is being taken, and
    becomes ``new`` with a number once it is placed (``models.placing``); ``checkout_key``
    names the quote it was placed for, so a quote is placed once.
    """

    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"

    number = IntField(unique=True, sparse=True)
    user_id = IntField(required=True)
    items = EmbeddedDocumentListField(OrderItem)
    total = IntField(required=True, min_value=0)
    email = StringField(max_length=254)
    phone = StringField(max_length=20)
    address = StringField(max_length=512)
    status = StringField(choices=ORDER_STATUSES, default="new")
    checkout_key = StringField(max_length=64, unique=True, sparse=True)
    lease = StringField(max_length=64)  # who is placing it right now (pending only)
    lease_until = DateTimeField()
    settled = BooleanField(default=False)  # holds dropped and the cart emptied of its lines
    version = IntField(default=0)  # bumped by every status change (flows/order_lifecycle.yaml)
    history = EmbeddedDocumentListField(OrderEvent)
    after_pending = ListField(StringField())  # actions of the last change not yet done
    buyer_blocked = BooleanField(default=False)  # a notification found the bot blocked
    # paid in Telegram (flows/payments.py): "card" (a provider) or "stars"; None: on delivery
    pay_method = StringField(choices=("card", "stars"))
    pay_currency = StringField(max_length=3)  # the invoice's: RUB, XTR
    pay_amount = IntField(min_value=0)  # in the currency's minor units (XTR: whole stars)
    pay_until = DateTimeField()  # unpaid by then: cancelled, its stock returned
    pay_nonce = StringField(max_length=32)  # the invoice payload's secret half
    paid_charge = StringField(max_length=256)  # the charge that paid it (models.payment)
    # the last "Pay" Telegram asked about and the bot said yes to: its payment may be landing
    pay_checked = DateTimeField()

    meta = {"collection": "orders",
            "indexes": [("user_id", "-created"), "status", "-created"],
            "ordering": ["-created"]}

    def __str__(self) -> str:
        return f"#{self.number}"

    @classmethod
    def for_user(cls, user_id: int):
        """The user's placed orders, newest first (not those still being placed)."""
        return cls.objects(user_id=user_id, status__ne=cls.PENDING).order_by("-created")

    @classmethod
    def place(cls, user_id: int, quote, *, payment: dict | None = None,
              **contact: str | None) -> Order:
        """Place ``quote`` (``models.quote.Quote``) once: see ``models.placing``; with
        ``payment`` (the ``pay_*`` fields) it is placed awaiting that payment."""
        from models.placing import place

        return place(user_id, quote, payment=payment, **contact)

    @classmethod
    def from_cart(cls, cart: Cart, *, email: str | None = None, phone: str | None = None,
                  address: str | None = None) -> Order:
        """Place an order for everything in ``cart`` as it is now, then take those lines out
        of the cart (``models.placing``).

        Stock is taken with one conditional update per line, so two shoppers buying the
        last unit cannot both succeed; if any line is short, what was taken is put back and
        :class:`OutOfStock` lists every short line. An empty cart raises :class:`EmptyCart`.
        """
        from models.placing import place
        from models.quote import Quote, line_of, new_key

        quote = Quote(new_key(),
                      tuple(line_of(line.product, line.quantity) for line in cart.lines()))
        return place(cart.user_id, quote, email=email, phone=phone, address=address)
