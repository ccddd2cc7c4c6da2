"""Booking a table: the dates, the free times, the guest's name and phone, and the booking.

``ctx.services`` is the cafe's (``examples/cafe/flows/cafe.py``): ``now()`` and ``tables``
per slot; the dates' weekday and month names are texts (``ctx.text``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import phonenumbers

from engine import Invalid, UserError, action, condition, data_source, validator
from examples.cafe import models

NAME_MAX = 40


def today(ctx) -> date:
    return ctx.services.now().date()


def date_label(ctx, day: str) -> str:
    """``2030-05-27`` as ``Mon, 27 May`` in the user's language (texts ``calendar.*``)."""
    when = date.fromisoformat(day)
    weekday = ctx.text("calendar.weekdays").split()[when.weekday()]
    month = ctx.text("calendar.months").split()[when.month - 1]
    return ctx.text("calendar.date", weekday=weekday, day=when.day, month=month)


def bookable_days(ctx) -> list[str]:
    first = today(ctx)
    return [(first + timedelta(days=n)).isoformat() for n in range(models.DAYS_AHEAD)]


def free_times(ctx, day: str | None) -> list[str]:
    """The times of ``day`` with a table free, later than now; none for a day not bookable
    (an old or forged button)."""
    if day not in bookable_days(ctx):
        return []
    now = ctx.services.now()
    full = models.full_times(day, ctx.services.tables)
    return [time for time in models.TIMES if time not in full
            and datetime.fromisoformat(f"{day}T{time}") > now]


@data_source("cafe.dates", key_length=10)
def dates(ctx) -> list[dict]:
    return [{"day": day, "label": date_label(ctx, day)} for day in bookable_days(ctx)]


@data_source("cafe.free_times", key_length=5)
def free_times_of_day(ctx) -> list[dict]:
    return [{"time": time} for time in free_times(ctx, ctx.params.get("day"))]


@data_source("cafe.party_sizes", key_length=1)
def party_sizes(ctx) -> list[dict]:
    return [{"size": size} for size in models.PARTY_SIZES]


@data_source("cafe.draft")
def draft(ctx) -> dict:
    """The booking being made: what the guest chose so far."""
    day = ctx.params.get("day")
    return {"date": date_label(ctx, day) if day else "", "time": ctx.params.get("time", ""),
            "party": ctx.params.get("party", ""), "name": ctx.data.get("name", ""),
            "phone": ctx.data.get("phone", "")}


@condition("cafe.has_free_time")
def has_free_time(ctx) -> bool:
    return bool(free_times(ctx, ctx.args.get("day")))


@condition("cafe.is_time_free")
def is_time_free(ctx) -> bool:
    """The time pressed (``args``) or chosen (``params``) still has a table free."""
    return ctx.args.get("time", ctx.params.get("time")) in free_times(ctx, ctx.params.get("day"))


@condition("cafe.is_party_size")
def is_party_size(ctx) -> bool:
    return str(ctx.args.get("party")) in {str(size) for size in models.PARTY_SIZES}


@validator("cafe.name")
def name(ctx, value: str) -> str:
    """A name to call the guest by: letters, spaces, hyphens, apostrophes and dots."""
    value = " ".join(value.split())
    if not 2 <= len(value) <= NAME_MAX or not any(ch.isalpha() for ch in value) or \
            any(not (ch.isalpha() or ch in " -'.") for ch in value):
        raise Invalid("booking.bad_name", max=NAME_MAX)
    return value


@validator("cafe.phone")
def phone(ctx, value: str) -> str:
    """A phone number in E.164 (``+79161234567``); national numbers are read as Russian."""
    raw = value.strip()
    if raw[:1].isdigit() and len(raw) > 10 and not raw.startswith("8"):
        raw = "+" + raw  # a contact shared from Telegram comes without the plus
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        raise Invalid() from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@action("cafe.book")
def book(ctx) -> None:
    """Take a table in one atomic update; refuse when another guest took the last one
    between the check of this update and its write."""
    params = ctx.params  # checked on the way here: a bookable day, a time, a party size
    try:
        models.book(params["day"], params["time"], user=ctx.user_id, party=int(params["party"]),
                    name=ctx.data["name"], phone=ctx.data["phone"], tables=ctx.services.tables)
    except models.SlotTaken:
        raise UserError("booking.time_taken") from None
