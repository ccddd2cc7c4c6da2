"""A broadcast's recipients in batches, each with a durable delivery state per recipient.

Splitting: recipients (users not blocked) are taken in order of their Telegram ids from the
broadcast's ``cursor``, ``size`` at a time, by one worker at a time (a lease on the
broadcast). A batch covers the ids in ``(start, end]`` and is keyed by
``<broadcast>:<start>``, so batches never overlap and a split interrupted by a crash
resumes without repeating or skipping anyone.

Two documents per batch, because claims scan the small one: :class:`BroadcastBatch` (who
holds it until when) and :class:`BatchRecipients` (the recipients, their states, and the
owner again, on which every state change is conditional).

A recipient's state: none (pending) -> ``sending`` -> ``sent`` | ``blocked`` | ``failed``;
back to none when Telegram did not take the message (429, 5xx, timeout). A ``sending``
found by a worker taking over a dead worker's batch becomes ``unknown``: that worker may
have been killed after Telegram accepted the message and before it could record so, and
sending again could deliver it twice; it is not sent again (docs/broadcasts.md).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

from bson import ObjectId
from mongoengine import (
    DateTimeField,
    DictField,
    IntField,
    ListField,
    MapField,
    NotUniqueError,
    ObjectIdField,
    StringField,
)
from pymongo import ReturnDocument

from constants import DEFAULT_LANGUAGE
from models.base import TimestampedDocument, utcnow
from models.broadcast import ACTIVE, OUTCOMES, Broadcast
from models.db import is_embedded, serialised
from models.user import User

logger = logging.getLogger(__name__)

__all__ = ["BatchRecipients", "BroadcastBatch", "Claim", "claim", "expand", "finish", "recount"]

SENDING, UNKNOWN = "sending", "unknown"
TALLY_EVERY = 1.0  # seconds between additions to a broadcast's live counters, per claim


class BroadcastBatch(TimestampedDocument):
    """A batch as workers claim it: small, so that finding a free one is cheap."""

    id = StringField(primary_key=True)  # "<broadcast id>:<start>"
    broadcast = ObjectIdField(required=True)
    start = IntField(required=True)  # recipients' ids are in (start, end]
    end = IntField(required=True)
    size = IntField(required=True)
    status = StringField(choices=("pending", "claimed", "done"), default="pending")
    owner = StringField()  # the worker holding it (kept when done: who did it)
    lease_until = DateTimeField()

    meta = {"collection": "broadcast_batches", "indexes": [("broadcast", "status", "start")]}


class BatchRecipients(TimestampedDocument):
    """A batch's recipients and their delivery states (keys: Telegram ids as strings)."""

    id = StringField(primary_key=True)  # the batch's id
    broadcast = ObjectIdField(required=True)
    end = IntField(required=True)
    recipients = ListField(DictField())  # [{"id": telegram id, "lang": language}], in order
    states = MapField(StringField())
    errors = MapField(StringField(max_length=512))  # Telegram's reason, for failed ones
    owner = StringField()

    meta = {"collection": "broadcast_recipients", "indexes": ["broadcast"]}


# -- splitting ---------------------------------------------------------------------------
def expand(broadcast_id: ObjectId, worker: str, *, size: int, lease: float,
           stopping: Callable[[], bool]) -> bool:
    """Split the recipients of a running broadcast into batches, from its cursor on.

    Returns whether this worker did any splitting (False: someone else holds the lease,
    or there is nothing to split). Streams users, never holding more than one batch.
    """
    now = utcnow()
    with serialised():
        broadcast = Broadcast.objects(__raw__={
            "_id": broadcast_id, "status": {"$in": list(ACTIVE)}, "ready": True,
            "expanded": {"$ne": True},
            "$or": [{"expander": None}, {"expander": worker},
                    {"expander_until": {"$lt": now}}]}).modify(
            new=True, set__expander=worker, set__status="running",
            set__expander_until=now + timedelta(seconds=lease))
        if broadcast is None:
            return False
        if broadcast.started is None:
            Broadcast.objects(id=broadcast_id, started=None).update_one(set__started=now)
    cursor = broadcast.cursor
    while cursor is not None:
        page: list[dict] = []
        restarted = False
        for user in _recipients_after(cursor):
            if stopping():
                return True
            page.append(user)
            if len(page) == size:
                cursor, restarted = _add_batch(broadcast_id, worker, cursor, page, lease)
                page = []
                if cursor is None or restarted:
                    break
        if cursor is None:
            return True  # the lease was lost: another worker carries on
        if restarted:
            continue
        if page:
            cursor, restarted = _add_batch(broadcast_id, worker, cursor, page, lease)
            if cursor is None or restarted:
                continue
        with serialised():
            Broadcast.objects(id=broadcast_id, expander=worker, cursor=cursor).update_one(
                set__expanded=True)
        logger.info("broadcast %s: recipients split into batches", broadcast_id)
        return True
    return True


def _recipients_after(cursor: int, page: int = 500) -> Iterator[dict]:
    """Users not blocked with ids above ``cursor``, in order, as ``{"id", "lang"}``.

    A real server streams them from one query; the embedded store (not thread-safe,
    holding its lock) is read a page at a time.
    """
    query = {"_id": {"$gt": cursor}, "blocked": {"$ne": True}}
    collection = User._get_collection()
    if not is_embedded():
        with collection.find(query, {"language": 1}).sort("_id", 1).batch_size(page) as found:
            for doc in found:
                yield {"id": doc["_id"], "lang": doc.get("language") or DEFAULT_LANGUAGE}
        return
    while True:
        with serialised():
            docs = list(collection.find({**query, "_id": {"$gt": cursor}}, {"language": 1})
                        .sort("_id", 1).limit(page))
        for doc in docs:
            yield {"id": doc["_id"], "lang": doc.get("language") or DEFAULT_LANGUAGE}
        if len(docs) < page:
            return
        cursor = docs[-1]["_id"]


def _add_batch(broadcast_id: ObjectId, worker: str, start: int, page: list[dict],
               lease: float) -> tuple[int | None, bool]:
    """Write one batch and move the cursor past it.

    Returns (the new cursor, whether the batch was already there: a split interrupted
    after writing it; the caller then reads on from its end). The cursor is None when
    the broadcast is no longer ours to split (lease lost, or cancelled).
    """
    key = f"{broadcast_id}:{start}"
    end, restarted = page[-1]["id"], False
    with serialised():
        try:
            BatchRecipients(id=key, broadcast=broadcast_id, end=end,
                            recipients=page).save(force_insert=True)
        except NotUniqueError:
            existing = BatchRecipients.objects(id=key).only("end", "recipients").first()
            end, page, restarted = existing.end, existing.recipients, True
        try:
            BroadcastBatch(id=key, broadcast=broadcast_id, start=start, end=end,
                           size=len(page)).save(force_insert=True)
        except NotUniqueError:
            pass  # written before an interruption
        moved = Broadcast.objects(__raw__={
            "_id": broadcast_id, "expander": worker, "cursor": start,
            "status": {"$in": list(ACTIVE)}}).update_one(
            set__cursor=end, inc__total=len(page),
            set__expander_until=utcnow() + timedelta(seconds=lease))
    return (end if moved else None), restarted


# -- claiming and sending ----------------------------------------------------------------
class Claim:
    """A batch held by ``worker``: its pending recipients and the calls that record states.

    Every change is conditional on ``owner == worker`` in the recipients' document, so a
    worker that lost the batch to another (its lease ran out) cannot change anything.
    Outcomes are added to the broadcast's live counters about once a second (a hot
    document spared a write per message); the final counters are recounted exactly.
    """

    def __init__(self, header: BroadcastBatch, body: dict, worker: str, lease: float) -> None:
        self.key = header.id
        self.broadcast_id = header.broadcast
        self.worker = worker
        self.lease = lease
        self._tally: Counter[str] = Counter()
        self._tallied = time.monotonic()
        states = body.get("states") or {}
        self.languages = {r["id"]: r.get("lang") for r in body.get("recipients") or []}
        self.pending = [r["id"] for r in body.get("recipients") or []
                        if str(r["id"]) not in states]

    def _body(self, chat_id: int, state: object):
        query = {"_id": self.key, "owner": self.worker}
        query[f"states.{chat_id}"] = state
        return BatchRecipients.objects(__raw__=query)

    def begin(self, chat_id: int) -> bool:
        """The send to ``chat_id`` starts: pending -> ``sending``."""
        with serialised():
            return bool(self._body(chat_id, {"$exists": False}).update_one(
                __raw__={"$set": {f"states.{chat_id}": SENDING}}))

    def finish(self, chat_id: int, outcome: str, description: str = "") -> bool:
        """``sending`` -> ``outcome`` (sent, blocked, failed); a 403 also marks the user."""
        update = {f"states.{chat_id}": outcome}
        if description and outcome != "sent":
            update[f"errors.{chat_id}"] = description[:512]
        with serialised():
            done = self._body(chat_id, SENDING).update_one(__raw__={"$set": update})
            if done and outcome == "blocked":
                User.objects(telegram_id=chat_id).update_one(set__blocked=True)
        if done:
            self._tally[outcome] += 1
            if time.monotonic() - self._tallied >= TALLY_EVERY:
                self.tally()
        return bool(done)

    def tally(self) -> None:
        """Add the outcomes recorded since the last time to the broadcast's live counters."""
        if self._tally:
            with serialised():
                Broadcast.objects(id=self.broadcast_id).update_one(
                    **{f"inc__{outcome}": n for outcome, n in self._tally.items()})
            self._tally.clear()
        self._tallied = time.monotonic()

    def retry(self, chat_id: int) -> bool:
        """Telegram did not take it: ``sending`` -> pending."""
        with serialised():
            return bool(self._body(chat_id, SENDING).update_one(
                __raw__={"$unset": {f"states.{chat_id}": ""}}))

    def keep_alive(self) -> bool:
        """Extend the lease; False when the batch is no longer ours."""
        self.tally()
        with serialised():
            return bool(BroadcastBatch.objects(id=self.key, owner=self.worker,
                                               status="claimed").update_one(
                set__lease_until=utcnow() + timedelta(seconds=self.lease)))

    def close(self, complete: bool) -> None:
        """Done (every recipient has an outcome), or handed back for another claim."""
        self.tally()
        with serialised():
            batch = BroadcastBatch.objects(id=self.key, owner=self.worker, status="claimed")
            if complete:
                batch.update_one(set__status="done", unset__lease_until=True)
            else:
                batch.update_one(set__status="pending", unset__owner=True,
                                 unset__lease_until=True)


def claim(broadcast_id: ObjectId, worker: str, lease: float) -> Claim | None:
    """Claim the first batch of a broadcast that is free, or whose holder's lease ran out.

    Taking over from a dead holder turns its ``sending`` recipients into ``unknown``.
    """
    now = utcnow()
    with serialised():
        header = BroadcastBatch.objects(__raw__={
            "broadcast": broadcast_id,
            "$or": [{"status": "pending"},
                    {"status": "claimed", "lease_until": {"$lt": now}}]}).order_by(
            "start").modify(new=True, set__status="claimed", set__owner=worker,
                            set__lease_until=now + timedelta(seconds=lease))
        if header is None:
            return None
        body = BatchRecipients._get_collection().find_one_and_update(
            {"_id": header.id}, {"$set": {"owner": worker, "modified": now}},
            return_document=ReturnDocument.AFTER) or {}
        doubtful = [chat for chat, state in (body.get("states") or {}).items()
                    if state == SENDING]
        if doubtful:
            BatchRecipients.objects(__raw__={"_id": header.id, "owner": worker}).update_one(
                __raw__={"$set": {f"states.{chat}": UNKNOWN for chat in doubtful}})
            Broadcast.objects(id=broadcast_id).update_one(inc__unknown=len(doubtful))
            for chat in doubtful:
                body["states"][chat] = UNKNOWN
            logger.warning("batch %s: taken over; %d in doubt (not resent): %s", header.id,
                           len(doubtful), ", ".join(doubtful))
    return Claim(header, body, worker, lease)


# -- finishing ---------------------------------------------------------------------------
def recount(broadcast_id: ObjectId) -> dict[str, int]:
    """Count the recipients' outcomes from their states (a ``sending`` left over: unknown)."""
    counts: Counter[str] = Counter()
    for body in _bodies(broadcast_id):
        for state in (body.get("states") or {}).values():
            counts[UNKNOWN if state == SENDING else state] += 1
    return {outcome: counts[outcome] for outcome in OUTCOMES}


def _bodies(broadcast_id: ObjectId) -> Iterator[dict]:
    """The states of every batch of a broadcast, streamed (the embedded store: read at once)."""
    collection = BatchRecipients._get_collection()
    query, fields = {"broadcast": broadcast_id}, {"states": 1}
    if is_embedded():
        with serialised():
            bodies = list(collection.find(query, fields))
        yield from bodies
        return
    with collection.find(query, fields, batch_size=100) as found:
        yield from found


def finish(broadcast: Broadcast) -> bool:
    """End a broadcast whose work is over, with exact counters; False if it is not over.

    Running: every recipient in a batch and every batch done. Cancelled: no batch still
    held under a live lease (a worker may be finishing one send).
    """
    with serialised():
        if broadcast.status == "running":
            if not broadcast.expanded or BroadcastBatch.objects(
                    broadcast=broadcast.pk, status__ne="done").only("id").first():
                return False
        elif broadcast.status == "cancelled":
            if BroadcastBatch.objects(broadcast=broadcast.pk, status="claimed",
                                      lease_until__gt=utcnow()).only("id").first():
                return False
        else:
            return False
    counts = recount(broadcast.pk)
    status = "done" if broadcast.status == "running" else "cancelled"
    with serialised():
        ended = Broadcast.objects(id=broadcast.pk, status=broadcast.status,
                                  finished=None).update_one(
            set__status=status, set__finished=utcnow(),
            **{f"set__{outcome}": value for outcome, value in counts.items()})
    if ended:
        logger.info("broadcast %s %s: %s of %d", broadcast.pk, status,
                    ", ".join(f"{k} {v}" for k, v in counts.items()), broadcast.total)
    return bool(ended)
