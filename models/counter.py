"""Named counters for human-friendly sequential numbers (order numbers)."""

from __future__ import annotations

import contextlib

from mongoengine import IntField, NotUniqueError, StringField

from models.base import TimestampedDocument


class Counter(TimestampedDocument):
    name = StringField(primary_key=True)
    value = IntField(default=0)

    meta = {"collection": "counters"}

    @classmethod
    def next(cls, name: str, start: int = 1000) -> int:
        """Atomically take the next number of ``name`` (``start + 1`` first)."""
        doc = cls.objects(name=name).modify(new=True, inc__value=1)
        if doc is None:
            # first use: create it at its starting point, then take a number as usual. A
            # racing first use may create it first, which is as good. A plain insert, not
            # an upsert: with upserts racing, FerretDB v2 now and then reset a counter that
            # had just been created and used (the same numbers twice; docs/integration.md)
            with contextlib.suppress(NotUniqueError):
                cls(name=name, value=start).save(force_insert=True)
            doc = cls.objects(name=name).modify(new=True, inc__value=1)
        return doc.value
