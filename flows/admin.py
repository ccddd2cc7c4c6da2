"""Admin commands: ``/broadcast`` (compose, preview, confirm, progress, stop).

Admins are the Telegram ids in ``ADMIN_IDS``, which reach actions as
``ctx.services.admin_ids`` (:class:`flows.shop.Services`). Every step that changes
something checks again: a button kept from when someone was an admin does nothing now.
"""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId

from constants import text
from engine import Invalid, UserError, action, data_source, validator
from models import Broadcast, User
from models.db import serialised
from models.text import esc

TEXT_LIMIT = 3500  # characters: the preview adds a header and stays within Telegram's 4096


def is_admin(ctx) -> bool:
    """Whether the user is one of ``ADMIN_IDS``."""
    return ctx.user_id in (getattr(ctx.services, "admin_ids", None) or ())


@action("admin.require")
def require(ctx) -> None:
    """Refuse anyone but an admin, with the answer any unknown command gets."""
    if not is_admin(ctx):
        raise UserError("common.unexpected")


@validator("broadcast.text")
def broadcast_text(ctx, value: str) -> str:
    message = value.strip()
    if not message:
        raise Invalid()
    if len(message) > TEXT_LIMIT:
        raise Invalid("broadcast.too_long", length=len(message))
    return message


@action("broadcast.draft")
def draft(ctx) -> None:
    """Name the broadcast before it exists: a confirmation processed twice queues it once."""
    ctx.data["broadcast"] = str(ObjectId())


@data_source("broadcast.audience")
def audience(ctx) -> dict:
    """How many users would get a broadcast now (everyone who has not blocked the bot)."""
    with serialised():
        return {"count": User.objects(blocked__ne=True).count()}


@action("broadcast.queue")
def queue(ctx) -> None:
    """Confirmed: queue the composed text (as typed: HTML-escaped) to everyone."""
    require(ctx)
    message = ctx.data.pop("broadcast_text", None)
    if not message or not ctx.data.get("broadcast"):
        raise UserError("broadcast.bad_text")
    Broadcast.compose(esc(message), author=ctx.user_id, origin="admin",
                      broadcast_id=ctx.data["broadcast"])


def _current(ctx) -> Broadcast | None:
    try:
        broadcast_id = ObjectId(ctx.data.get("broadcast"))
    except (InvalidId, TypeError):
        return None
    with serialised():
        return Broadcast.objects(id=broadcast_id).first()


@action("broadcast.stop")
def stop(ctx) -> None:
    """Cancel the broadcast on screen; what was sent stays sent."""
    require(ctx)
    broadcast = _current(ctx)
    if broadcast is None or not broadcast.cancel():
        raise UserError("broadcast.over")


@data_source("broadcast.report")
def report(ctx) -> dict:
    """The counters of the broadcast on screen, and its status in the user's language."""
    broadcast = _current(ctx) or Broadcast(status="cancelled")
    return {**broadcast.counts(), "running": broadcast.is_active,
            "status": text(f"broadcast.status.{broadcast.status}", ctx.lang)}
