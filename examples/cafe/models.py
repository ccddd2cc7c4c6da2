"""The cafe's data: one document per time slot holding its bookings (the database is opened
by ``engine.run.database``: ``flows/cafe.py``'s ``open_database``).

A slot (``2030-05-27T19:00``) has ``tables`` tables; a booking takes one whatever the party
size. Taking a table and recording who took it is one conditional update of the slot's
document (``taken < tables``: increment and push), inserted by the same update when nobody has
booked the slot yet, so two guests can never both take the last table, and nothing is ever
half-done. Cancelling pulls the booking and gives the table back in one update that matches
only while the booking is there: a table is freed exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import mongoengine
from mongoengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    StringField,
)
from pymongo.errors import DuplicateKeyError

TABLES = 3  # tables per slot
TIMES = tuple(f"{hour:02d}:00" for hour in range(12, 22))  # the slots of every day
DAYS_AHEAD = 14  # bookable days, today included
PARTY_SIZES = range(1, 9)


class Booking(EmbeddedDocument):
    id = StringField(required=True)  # 24 hex digits: fits a button's callback data
    user = IntField(required=True)  # the guest's Telegram id
    party = IntField(required=True, min_value=1, max_value=8)
    name = StringField(required=True, max_length=60)
    phone = StringField(required=True, max_length=20)
    created = DateTimeField(default=lambda: datetime.now(UTC).replace(tzinfo=None))


class Slot(Document):
    id = StringField(primary_key=True)  # "2030-05-27T19:00"
    day = StringField(required=True)  # "2030-05-27"
    time = StringField(required=True)  # "19:00"
    taken = IntField(default=0)
    bookings = EmbeddedDocumentListField(Booking)
    meta = {"collection": "slots",
            "indexes": [("day", "taken"), "bookings.user", "bookings.id"]}


@dataclass(frozen=True)
class Booked:
    """One guest's booking, as the flows show it."""

    id: str
    day: str
    time: str
    party: int
    name: str
    phone: str


class SlotTaken(Exception):
    """Every table of the slot is taken."""


DOCUMENTS = (Slot,)  # whose indexes opening the database creates


def key(day: str, time: str) -> str:
    return f"{day}T{time}"


def book(day: str, time: str, *, user: int, party: int, name: str, phone: str,
         tables: int = TABLES) -> Booked:
    """Take a table of ``day`` ``time`` for ``user`` in one conditional update; raises
    :class:`SlotTaken` when every table is taken.

    A slot nobody has booked yet is first inserted empty (a duplicate key means another
    guest inserted it first, which is as good), then booked by the same conditional update.
    Not an upsert: racing upserts of one new document can reset it on FerretDB v2
    (docs/integration.md), which would hand out more tables than the slot has.
    """
    booking = Booking(id=uuid.uuid4().hex[:24], user=user, party=party, name=name, phone=phone)
    slot_id = key(day, time)
    for _ in range(3):
        if Slot.objects(id=slot_id, taken__lt=tables).update_one(inc__taken=1,
                                                                 push__bookings=booking):
            return Booked(booking.id, day, time, party, name, phone)
        if Slot.objects(id=slot_id).only("id").first() is not None:
            break  # it exists and every table is taken
        try:
            Slot(id=slot_id, day=day, time=time, taken=0, bookings=[]).save(force_insert=True)
        except (mongoengine.NotUniqueError, DuplicateKeyError):
            pass  # another guest inserted it first
    raise SlotTaken(slot_id)


def cancel(booking_id: str, user: int) -> Booked | None:
    """Cancel ``user``'s booking and free its table; ``None`` when it is not (or no longer)
    there, so a second cancel frees nothing."""
    slot = Slot.objects(bookings__id=booking_id).only("id").first()
    if slot is None:
        return None
    found = find(booking_id, user)
    updated = Slot.objects(id=slot.id, bookings__match={"id": booking_id, "user": user}) \
        .update_one(pull__bookings__id=booking_id, dec__taken=1)
    return found if updated else None


def find(booking_id: str, user: int) -> Booked | None:
    """``user``'s booking ``booking_id``, or ``None``."""
    slot = Slot.objects(bookings__id=booking_id).first()
    for booking in slot.bookings if slot else ():
        if booking.id == booking_id and booking.user == user:
            return _booked(slot, booking)
    return None


def bookings_of(user: int, since: str) -> list[Booked]:
    """``user``'s bookings from day ``since`` on, soonest first."""
    slots = Slot.objects(bookings__user=user, day__gte=since).order_by("id")
    return [_booked(slot, b) for slot in slots for b in slot.bookings if b.user == user]


def full_times(day: str, tables: int = TABLES) -> set[str]:
    """The times of ``day`` with every table taken."""
    return {slot.time for slot in Slot.objects(day=day, taken__gte=tables).only("time")}


def is_full(day: str, time: str, tables: int = TABLES) -> bool:
    return Slot.objects(id=key(day, time), taken__gte=tables).count() > 0


def _booked(slot: Slot, booking: Booking) -> Booked:
    return Booked(booking.id, slot.day, slot.time, booking.party, booking.name, booking.phone)
