"""A named lock held as a lease in one document: for the few writes whose check and write
must happen together across processes (the category tree's shape)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

from mongoengine import DateTimeField, Document, NotUniqueError, StringField

from models.base import utcnow
from models.errors import Busy


class Lock(Document):
    name = StringField(primary_key=True)
    token = StringField()
    until = DateTimeField()

    meta = {"collection": "locks"}


@contextlib.contextmanager
def locked(name: str, *, lease: float = 10.0, wait: float = 5.0) -> Iterator[None]:
    """Hold lock ``name`` for the block; wait up to ``wait`` seconds for it, else :class:`Busy`.

    A holder that dies keeps it at most ``lease`` seconds (keep the block far shorter).
    """
    token, deadline, delay = uuid.uuid4().hex, time.monotonic() + wait, 0.005
    while True:
        now = utcnow()
        taken = Lock.objects(__raw__={"_id": name, "$or": [
            {"token": None}, {"until": {"$lt": now}}]}).update_one(
            set__token=token, set__until=now + timedelta(seconds=lease))
        if not taken:
            with contextlib.suppress(NotUniqueError):
                Lock(name=name, token=token, until=now + timedelta(seconds=lease)).save(
                    force_insert=True)
                taken = True
        if taken:
            break
        if time.monotonic() > deadline:
            raise Busy(f"{name} is being changed by someone else; try again")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    try:
        yield
    finally:
        Lock.objects(name=name, token=token).update_one(set__token=None, set__until=None)
