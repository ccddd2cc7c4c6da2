"""My bookings: the upcoming ones, one booking's card, and cancelling it."""

from __future__ import annotations

from engine import action, condition, data_source
from examples.cafe import models
from examples.cafe.flows.booking import date_label, today


def shown(ctx, booked: models.Booked) -> dict:
    return {"id": booked.id, "date": date_label(ctx, booked.day), "time": booked.time,
            "party": booked.party, "name": booked.name, "phone": booked.phone}


@data_source("cafe.my_bookings")
def my_bookings(ctx) -> list[dict]:
    return [shown(ctx, b) for b in models.bookings_of(ctx.user_id, today(ctx).isoformat())]


@data_source("cafe.booking")
def booking(ctx) -> dict:
    """The booking of the card; dashes when it is gone (cancelled from another chat)."""
    found = models.find(ctx.params.get("booking", ""), ctx.user_id)
    if found is None:
        return dict.fromkeys(("id", "date", "time", "party", "name", "phone"), "—")
    return shown(ctx, found)


@condition("cafe.has_bookings")
def has_bookings(ctx) -> bool:
    return bool(models.bookings_of(ctx.user_id, today(ctx).isoformat()))


@condition("cafe.is_my_booking")
def is_my_booking(ctx) -> bool:
    """The booking pressed (``args``) or shown (``params``) is still the user's."""
    booking_id = ctx.args.get("booking", ctx.params.get("booking"))
    return models.find(str(booking_id or ""), ctx.user_id) is not None


@action("cafe.cancel")
def cancel(ctx) -> None:
    """Free the table: exactly once, however often the button is pressed."""
    cancelled = models.cancel(ctx.params.get("booking", ""), ctx.user_id)
    if cancelled is None:
        ctx.notify("bookings.gone")
    else:
        ctx.notify("bookings.cancelled", date=date_label(ctx, cancelled.day),
                   time=cancelled.time)
