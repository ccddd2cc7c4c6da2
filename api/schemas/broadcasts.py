"""Broadcasts (read-only): what was sent to every user, and how far it got."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.base import BaseSchema, PageQuery, Sort
from api.schemas.common import timestamp
from api.schemas.fields import INT64_MAX, DateBound, ObjectIdField, UtcDateTime
from models.broadcast import ORIGINS, STATUSES

__all__ = ["BroadcastQuery", "BroadcastSchema"]


def _count(description: str) -> fields.Integer:
    return fields.Integer(dump_only=True, metadata={"description": description})


class BroadcastSchema(BaseSchema):
    """A broadcast: its message per language, its status and its counters.

    ``total`` counts the recipients split into batches so far (everyone who had not
    blocked the bot when the broadcast started); ``pending`` is what is still to be sent.
    ``unknown`` counts sends in doubt: a worker was killed while Telegram had the message,
    so it may or may not have arrived; it is not sent again (no one gets it twice).
    """

    id = ObjectIdField(dump_only=True)
    status = fields.String(dump_only=True, metadata={
        "enum": list(STATUSES), "description": "queued (waiting for a worker), running, done "
                                               "or cancelled (what was sent stays sent)."})
    origin = fields.String(dump_only=True, metadata={
        "enum": list(ORIGINS), "description": "What started it: a news item, an admin in the "
                                              "bot, or the command line."})
    news = ObjectIdField(dump_only=True, allow_none=True, metadata={
        "description": "The news item it announces."})
    author = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "Telegram id of the admin who composed it."})
    texts = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True,
                        metadata={"description": "The message per language, as sent (HTML); "
                                                 "empty while a news item's is being "
                                                 "rendered."})
    photo = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "A picture sent with the text as its caption."})
    note = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Why it stopped, when not by itself."})
    total = _count("Recipients so far.")
    sent = _count("Delivered.")
    blocked = _count("Refused: the user blocked the bot (skipped from now on).")
    failed = _count("Refused for another reason (e.g. the chat no longer exists), or gave up "
                    "after repeated server errors.")
    unknown = _count("In doubt after a worker crashed mid-send; not sent again.")
    pending = _count("Still to be sent.")
    started = UtcDateTime(dump_only=True, allow_none=True)
    finished = UtcDateTime(dump_only=True, allow_none=True)
    created = timestamp()
    modified = timestamp()


class BroadcastQuery(PageQuery):
    """Filters and sorting of ``GET /broadcasts``."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    origin = fields.String(validate=validate.OneOf(ORIGINS))
    news = ObjectIdField(metadata={"description": "The broadcast of this news item."})
    author = fields.Integer(validate=validate.Range(min=0, max=INT64_MAX),
                            metadata={"description": "Composed by this admin (Telegram id)."})
    created_from = DateBound(metadata={"description": "Created at or after."})
    created_to = DateBound(end=True, metadata={"description": "Created at or before (a bare "
                                                              "date includes the day)."})
    sort = Sort({"created": "created", "finished": "finished", "total": "total"},
                default="-created")
