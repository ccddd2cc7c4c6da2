"""Named counters for human-friendly sequential numbers (order numbers)."""

from __future__ import annotations

from mongoengine import IntField, StringField

from models.base import TimestampedDocument


class Counter(TimestampedDocument):
    name = StringField(primary_key=True)
    value = IntField(default=0)

    meta = {"collection": "counters"}

    @classmethod
    def next(cls, name: str, start: int = 1000) -> int:
        """Atomically take the next number of ``name`` (``start + 1`` first)."""
        doc = cls.objects(name=name).modify(upsert=True, new=True, inc__value=1)
        if doc.value == 1 and start:
            # first use: move the counter to its starting point (only the first caller wins)
            cls.objects(name=name, value__lt=start).update_one(inc__value=start)
            doc.reload()
            if doc.value == start + 1:
                return doc.value
            return cls.next(name, start)
        return doc.value
