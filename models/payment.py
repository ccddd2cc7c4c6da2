"""Payments received in Telegram: one document per charge, recorded before anything else.

A ``successful_payment`` is recorded by inserting a :class:`Payment` under Telegram's charge
id (the ``_id``: unique by construction) with a unique sparse index on the provider's charge
id too, so Telegram delivering the update again, a duplicate of it, or two processes
receiving it at once record it once: the second insert fails with a duplicate key and finds
the first. Only then is it applied to its order (``flows/payments.py``), and ``state`` says
how far that got:

- ``received``: recorded, not applied yet (a crash in between: housekeeping applies it);
- ``applied``: its order was marked paid;
- ``unmatched``: no order awaited it (unknown, expired, cancelled, another amount): the
  money is in, staff are told to refund it, the buyer is told they will.

A refund of a Stars payment records its intent first (``refund: requested``), then calls
Telegram, then records the outcome (``done`` or ``failed`` with Telegram's words); a card
payment's refund is done outside Telegram (``refund: manual``). A payment is *to refund*
(:attr:`Payment.owed`, :meth:`Payment.to_refund`) while the buyer's money is still the
shop's: unmatched and not refunded, or refunded with its order and refused by Telegram (or
left under way by a crash): staff may ask again. Money is in the currency's minor units
(kopecks), or whole stars for ``XTR``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from mongoengine import (
    DateTimeField,
    IntField,
    NotUniqueError,
    ObjectIdField,
    StringField,
)
from mongoengine.queryset.visitor import Q

from models.base import TimestampedDocument, utcnow
from models.db import serialised

__all__ = ["SETTLED", "UNDER_WAY", "Payment", "short_ref"]

STATES = ("received", "applied", "unmatched")
REFUNDS = ("requested", "done", "failed", "manual")
SETTLED = ("done", "manual")  # the money went back (a card: with the provider, recorded)
# a refund asked longer ago than this with no outcome was cut short (a crash): ask again
UNDER_WAY = timedelta(minutes=1)


class Payment(TimestampedDocument):
    """One charge Telegram reported (see the module's docstring)."""

    id = StringField(primary_key=True)  # telegram_payment_charge_id
    provider_charge_id = StringField(max_length=256)
    user_id = IntField(required=True)
    currency = StringField(required=True, max_length=3)
    total_amount = IntField(required=True, min_value=0)
    payload = StringField(max_length=128)
    order = ObjectIdField()  # the order the payload named, when there is one
    order_number = IntField()
    state = StringField(choices=STATES, default="received")
    reason = StringField(max_length=64)  # unmatched: why (unknown, expired, amount, ...)
    update_id = IntField()
    refund = StringField(choices=REFUNDS)
    refund_error = StringField(max_length=512)
    refunded_at = DateTimeField()
    refund_by = StringField(max_length=200)  # who asked the refund (last)
    # a provider's charge id another charge holds already (kept, not indexed: see record)
    provider_charge_again = StringField(max_length=256)
    ref = StringField(max_length=16)  # a short key of the charge id (a button's data)

    meta = {"collection": "payments",
            "indexes": [{"fields": ["provider_charge_id"], "unique": True, "sparse": True},
                        "order", ("state", "created"), {"fields": ["ref"], "sparse": True}]}

    @property
    def stars(self) -> bool:
        return self.currency == "XTR"

    @property
    def owed(self) -> bool:
        """Still to refund (see the module's docstring): Home counts it, staff may ask."""
        if self.state == "unmatched":
            return self.refund not in SETTLED
        return self.state == "applied" and (self.refund == "failed" or (
            self.refund == "requested" and self.modified is not None and
            self.modified < utcnow() - UNDER_WAY))

    @staticmethod
    def owed_filter() -> Q:
        """The condition of :attr:`owed`, for a query (an admin filter adds it to its own)."""
        return (Q(state="unmatched", refund__nin=list(SETTLED)) |
                Q(state="applied", refund="failed") |
                Q(state="applied", refund="requested", modified__lt=utcnow() - UNDER_WAY))

    @classmethod
    def to_refund(cls):
        """The payments :attr:`owed`."""
        return cls.objects(cls.owed_filter())

    @classmethod
    def record(cls, **fields) -> tuple[Payment, bool]:
        """Insert the payment; ``(payment, True)`` when this call recorded it, ``(the one
        recorded before, False)`` when it was already (a repeated or duplicated update)."""
        payment = cls(**fields, ref=short_ref(fields["id"]))
        try:
            with serialised():
                payment.save(force_insert=True)
            return payment, True
        except NotUniqueError:
            with serialised():
                first = cls.objects(id=fields["id"]).first()
            if first is not None:
                return first, False
            if fields.get("provider_charge_id"):
                # another charge of Telegram's with the same provider's id (a provider that
                # repeats ids, in test mode say): money came twice, so it is recorded too,
                # its provider id kept aside, and never taken for the first one
                fields = {**fields, "provider_charge_again": fields["provider_charge_id"],
                          "provider_charge_id": None}
            return cls.record(**fields)

    @classmethod
    def mark(cls, charge_id: str, expect: dict, **change) -> bool:
        """One conditional change of a payment (its state, its refund)."""
        with serialised():
            return cls._get_collection().update_one(
                {"_id": charge_id, **expect},
                {"$set": {**change, "modified": utcnow()}}).matched_count == 1

    @classmethod
    def by_ref(cls, ref: str) -> Payment | None:
        with serialised():
            return cls.objects(ref=ref).first()

    @classmethod
    def of_order(cls, order_id) -> Payment | None:
        """The payment applied to ``order_id`` (an order is paid once)."""
        with serialised():
            return cls.objects(order=order_id, state="applied").first()


def short_ref(charge_id: str) -> str:
    """16 hex characters naming a charge where its id does not fit (a button's 64 bytes)."""
    return hashlib.sha256(charge_id.encode()).hexdigest()[:16]
