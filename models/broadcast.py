"""Broadcasts (seed, lesson 16): one message to every user who has not blocked the bot.

A :class:`Broadcast` records what to send (the text per language, exactly as sent, and an
optional photo), its status and its counters. Its recipients are split into batches with a
durable state per recipient (:mod:`models.broadcast_batches`), which workers claim
atomically, so a crash or a restart resumes where it stopped and several workers never
send the same message twice. Creating a :class:`~models.news.News` item queues its
broadcast once (:meth:`Broadcast.for_news`).

Statuses: ``queued`` (waiting for a worker; a news item's text is rendered then),
``running`` (recipients being split and sent to), ``done``, ``cancelled``. Counters are
kept live while sending, and recounted exactly from the recipients' states at the end.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bson import ObjectId
from mongoengine import (
    BooleanField,
    DateTimeField,
    IntField,
    MapField,
    NotUniqueError,
    ObjectIdField,
    StringField,
)

from constants import DEFAULT_LANGUAGE
from models.base import TimestampedDocument, utcnow
from models.db import serialised

logger = logging.getLogger(__name__)

__all__ = ["ACTIVE", "OUTCOMES", "STATUSES", "Broadcast", "BroadcastWorker"]

STATUSES = ("queued", "running", "done", "cancelled")
ACTIVE = ("queued", "running")
OUTCOMES = ("sent", "blocked", "failed", "unknown")  # unknown: in doubt after a crash
ORIGINS = ("news", "admin", "cli")


class Broadcast(TimestampedDocument):
    """A message to every user who has not blocked the bot, and how far it got."""

    texts = MapField(StringField(max_length=4096))  # language -> text as sent (HTML)
    photo = StringField(max_length=512)  # the text is then its caption
    parse_mode = StringField(default="HTML")
    ready = BooleanField(default=False)  # texts in place (a news item's are rendered later)
    news = ObjectIdField(unique=True, sparse=True)  # the news item it announces: once each
    origin = StringField(choices=ORIGINS, default="admin")
    author = IntField()  # the admin who composed it
    status = StringField(choices=STATUSES, default="queued")
    note = StringField(max_length=512)  # why it stopped, when not by itself
    # recipients are split into batches in order of their ids: those above `cursor` are not
    # in a batch yet; one worker at a time does it, under a lease
    cursor = IntField(default=0)
    expanded = BooleanField(default=False)
    expander = StringField()
    expander_until = DateTimeField()
    total = IntField(default=0)
    sent = IntField(default=0)
    blocked = IntField(default=0)
    failed = IntField(default=0)
    unknown = IntField(default=0)
    started = DateTimeField()
    finished = DateTimeField()

    meta = {"collection": "broadcasts", "indexes": [("status", "created")],
            "ordering": ["-created"]}

    def __str__(self) -> str:
        return f"broadcast {self.pk} ({self.status})"

    # -- queueing ------------------------------------------------------------------------
    @classmethod
    def compose(cls, text: str, *, photo: str | None = None, author: int | None = None,
                origin: str = "admin", broadcast_id: ObjectId | str | None = None) -> Broadcast:
        """Queue ``text`` (HTML, as sent) to everyone; the same ``broadcast_id`` queues once."""
        broadcast = cls(id=ObjectId(broadcast_id) if broadcast_id else ObjectId(),
                        texts={DEFAULT_LANGUAGE: text}, photo=photo, author=author,
                        origin=origin, ready=True)
        with serialised():
            try:
                broadcast.save(force_insert=True)
            except NotUniqueError:
                return cls.objects.get(id=broadcast.pk)
        return broadcast

    @classmethod
    def for_news(cls, news_id: ObjectId) -> Broadcast | None:
        """Queue the broadcast of news item ``news_id``; None if it was queued before.

        Called before the item itself is written (see ``News.save``): a worker renders
        the item when it is there, and drops the broadcast if it never comes.
        """
        broadcast = cls(news=news_id, origin="news")
        with serialised():
            try:
                broadcast.save(force_insert=True)
            except NotUniqueError:
                return None
        return broadcast

    @classmethod
    def queue_missed(cls, within: timedelta = timedelta(days=1)) -> int:
        """Queue the broadcasts that news items created within ``within`` should have and
        do not (queueing failed when the item was saved, see ``News.save``); how many."""
        from models.news import News

        with serialised():
            created = [doc["_id"] for doc in News._get_collection().find(
                {"announce": True, "created": {"$gte": utcnow() - within}}, {"_id": 1})]
            if not created:
                return 0
            queued = {doc["news"] for doc in cls._get_collection().find(
                {"news": {"$in": created}}, {"news": 1})}
        missed = [news_id for news_id in created if news_id not in queued]
        for news_id in missed:
            if cls.for_news(news_id) is not None:
                logger.warning("news %s had no broadcast (queueing failed on creation): "
                               "queued now", news_id)
        return len(missed)

    def make_ready(self, texts: dict[str, str], photo: str | None = None) -> bool:
        """Put a news item's rendered texts in place (once: the first renderer wins)."""
        with serialised():
            return bool(Broadcast.objects(id=self.pk, ready=False, status="queued").update_one(
                set__texts=texts, set__photo=photo, set__ready=True))

    def cancel(self, note: str | None = None) -> bool:
        """Stop sending (what was sent stays sent); False if it had already ended."""
        update = {"set__status": "cancelled"}
        if note:
            update["set__note"] = note[:512]
        with serialised():
            changed = Broadcast.objects(id=self.pk, status__in=ACTIVE).update_one(**update)
            self.reload()
        return bool(changed)

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def unfinished(cls, limit: int = 10) -> list[Broadcast]:
        """Broadcasts a worker still has to do something about, oldest first."""
        with serialised():
            return list(cls.objects(status__in=ACTIVE).order_by("created").limit(limit)) + \
                list(cls.objects(status="cancelled", finished=None).order_by("created")
                     .limit(limit))

    @classmethod
    def sending(cls) -> list[Broadcast]:
        """Running broadcasts, oldest first: the ones whose batches are claimed."""
        with serialised():
            return list(cls.objects(status="running").order_by("created").only("id"))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def processed(self) -> int:
        return self.sent + self.blocked + self.failed + self.unknown

    @property
    def pending(self) -> int:
        return max(0, self.total - self.processed)

    def counts(self) -> dict[str, int]:
        """``total``, ``sent``, ``blocked``, ``failed``, ``unknown`` and ``pending``."""
        return {"total": self.total, "sent": self.sent, "blocked": self.blocked,
                "failed": self.failed, "unknown": self.unknown, "pending": self.pending}

    def text_for(self, language: str | None) -> str:
        """The text a user of ``language`` gets (the default language's if there is none)."""
        return self.texts.get(language or DEFAULT_LANGUAGE) or \
            self.texts.get(DEFAULT_LANGUAGE) or next(iter(self.texts.values()))

    def is_stale_news(self, grace: timedelta) -> bool:
        """A news broadcast whose item was not written within ``grace`` (it never will be)."""
        return bool(self.news) and self.created is not None and \
            self.created < utcnow() - grace


class BroadcastWorker(TimestampedDocument):
    """A live worker's heartbeat: workers share the configured rate by how many are alive."""

    id = StringField(primary_key=True)
    seen = DateTimeField(required=True)

    meta = {"collection": "broadcast_workers"}

    @classmethod
    def beat(cls, worker: str, interval: float) -> int:
        """Record that ``worker`` is alive; return how many are (seen within 3 intervals)."""
        now = utcnow()
        with serialised():
            cls.objects(id=worker).update_one(upsert=True, set__seen=now)
            return cls.objects(seen__gt=now - timedelta(seconds=3 * interval)).count()

    @classmethod
    def leave(cls, worker: str) -> None:
        """``worker`` stopped: the others take its share of the rate."""
        with serialised():
            cls.objects(id=worker).delete()
