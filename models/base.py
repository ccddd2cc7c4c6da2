"""The abstract timestamped document every collection inherits (seed, lesson 12)."""

from __future__ import annotations

from datetime import UTC, datetime

from mongoengine import DateTimeField, Document, QuerySet


def utcnow() -> datetime:
    """Now in UTC, naive (as MongoDB returns it), truncated to the millisecond it stores."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _stamp(update: dict, upsert: bool) -> dict:
    """Add ``modified`` (and ``created`` on insert) to an update, raw or keyword style."""
    now = utcnow()
    raw = update.get("__raw__")
    if isinstance(raw, dict):
        raw = dict(raw)
        raw["$set"] = {**raw.get("$set", {}), "modified": now}
        if upsert:
            raw["$setOnInsert"] = {**raw.get("$setOnInsert", {}), "created": now}
        return {**update, "__raw__": raw}
    if isinstance(raw, list):  # an aggregation pipeline: add one more stage
        return {**update, "__raw__": [*raw, {"$set": {"modified": now}}]}
    stamped = {**update, "set__modified": now}
    if upsert:
        stamped["set_on_insert__created"] = now
    return stamped


class TimestampedQuerySet(QuerySet):
    """A queryset whose atomic ``update``/``modify`` keep ``modified`` true.

    ``Document.update()``/``modify()`` and ``upsert_one`` go through these too, so no
    write path of the project can leave a stale ``modified`` behind.
    """

    def update(self, upsert=False, multi=True, write_concern=None, read_concern=None,
               full_result=False, array_filters=None, **update):
        return super().update(upsert=upsert, multi=multi, write_concern=write_concern,
                              read_concern=read_concern, full_result=full_result,
                              array_filters=array_filters, **_stamp(update, upsert))

    def modify(self, upsert=False, full_response=False, remove=False, new=False,
               array_filters=None, **update):
        if not remove:
            update = _stamp(update, upsert)
        return super().modify(upsert=upsert, full_response=full_response, remove=remove,
                              new=new, array_filters=array_filters, **update)


class TimestampedDocument(Document):
    """Abstract base: ``created`` is set once on the first save, ``modified`` on every save."""

    created = DateTimeField()
    modified = DateTimeField()

    meta = {"abstract": True, "queryset_class": TimestampedQuerySet}

    def save(self, *args, **kwargs):
        now = utcnow()
        if self.created is None:
            self.created = now
        self.modified = now
        return super().save(*args, **kwargs)
