"""The outbox: notifications to send (a buyer told of their order's change, the staff chat's
card of an order), durable, claimed by workers with leases, each delivery state recorded.

One document per notification, using only single-document atomic writes (as the
broadcasts do, FerretDB included):

- ``buyer:<order>:<version>``: the buyer told of the change that made ``version``; inserted,
  so writing it again (a change's actions resumed after a crash) finds the key taken and adds
  nothing. Sent at most once: a send a crash cut off is ``unknown`` (in doubt), never resent.

Every entry is created by a plain insert, a duplicate key meaning it exists: never by an
upsert, since racing upserts (``$setOnInsert``) now and then reset a freshly inserted
document on FerretDB v2 (models/counter.py), which here would send a message again.
- ``card:<order>``: the order's message in the staff chat. Each change asks for a redraw
  (``want`` + 1); a worker posts the card (no ``message_id`` yet) or edits it in place to
  the order as it is then, and records the ``want`` it drew. Edits are idempotent, so a
  redraw cut off by a crash is simply done again; a *post* cut off is in doubt and not
  repeated (the next change posts a fresh card).

``pending`` marks what is left to send; ``owner`` and ``lease_until`` the claim; ``state``
is none (to send), ``sending`` (the in-doubt window), ``sent``, ``blocked``, ``failed`` or
``unknown``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from mongoengine import BooleanField, DateTimeField, IntField, ObjectIdField, StringField
from pymongo import ReturnDocument

from models.base import TimestampedDocument, utcnow
from models.db import serialised

logger = logging.getLogger(__name__)

__all__ = ["Notice", "StaffChat", "StaffPrompt"]

MAX_TRIES = 5  # a card whose message keeps vanishing is posted anew at most this often


class Notice(TimestampedDocument):
    """One entry of the outbox (see the module's docstring)."""

    id = StringField(primary_key=True)
    # buyer, card (above); invoice: an order's invoice to its buyer; unmatched: a payment
    # no order awaited, told to the staff chat (``unmatched:<charge>:staff``) and the buyer
    kind = StringField(choices=("buyer", "card", "invoice", "unmatched"), required=True)
    order = ObjectIdField()
    payment = StringField()  # unmatched: the charge id (models.payment)
    version = IntField(default=0)  # buyer: the order's version it tells of
    chat_id = IntField(required=True)
    thread_id = IntField()
    lang = StringField()
    want = IntField(default=1)  # card: redraws asked for
    shown = IntField(default=0)  # card: the ``want`` last drawn
    pending = BooleanField(default=True)
    state = StringField()
    owner = StringField()
    lease_until = DateTimeField()
    message_id = IntField()
    tries = IntField(default=0)
    description = StringField()

    meta = {"collection": "outbox", "indexes": [("pending", "created"), "order"]}

    # -- writing ---------------------------------------------------------------------------
    @classmethod
    def tell_buyer(cls, order_id, version: int, chat_id: int, lang: str | None) -> None:
        """The buyer is to be told of the change that made ``version`` (once)."""
        cls._insert({"_id": f"buyer:{order_id}:{version}", "kind": "buyer", "order": order_id,
                     "version": version, "chat_id": chat_id, "lang": lang, "want": 1,
                     "shown": 0, "pending": True, "tries": 0})

    @classmethod
    def redraw_card(cls, order_id, chat_id: int, thread_id: int | None) -> None:
        """The order's staff card is to show the order as it is (posted when it has none):
        one more redraw asked of the card's entry, inserted first when it has none."""
        key = f"card:{order_id}"
        collection = cls._get_collection()
        for _ in range(3):
            with serialised():
                asked = collection.update_one(
                    {"_id": key}, {"$inc": {"want": 1},
                                   "$set": {"pending": True, "modified": utcnow()}})
            if asked.matched_count or cls._insert({
                    "_id": key, "kind": "card", "order": order_id, "chat_id": chat_id,
                    "thread_id": thread_id, "want": 1, "shown": 0, "pending": True,
                    "tries": 0}):
                return
            # inserted by another writer between the two: ask it once more
        raise RuntimeError(f"outbox {key}: neither updated nor inserted")

    @classmethod
    def _insert(cls, doc: dict) -> bool:
        """Insert an entry; False when its key exists (then it is left as it is)."""
        from pymongo.errors import DuplicateKeyError

        now = utcnow()
        try:
            with serialised():
                cls._get_collection().insert_one({"created": now, "modified": now, **doc})
            return True
        except DuplicateKeyError:
            return False

    @classmethod
    def once(cls, key: str, kind: str, chat_id: int, **fields) -> bool:
        """Queue a message sent once (an invoice, a payment's notices): inserted, a second
        write of the same ``key`` adds nothing (False)."""
        return cls._insert({"_id": key, "kind": kind, "chat_id": chat_id, "want": 1,
                            "shown": 0, "pending": True, "tries": 0, **fields})

    # -- claiming --------------------------------------------------------------------------
    @classmethod
    def claim(cls, owner: str, lease: float, busy: list[str] | tuple = ()) -> dict | None:
        """The oldest pending entry nobody holds (or whose holder's lease ran out), now held
        by ``owner``; an entry taken over in its in-doubt window is settled first (and the
        next one claimed).

        An entry ``owner`` holds itself but has not in hand (not among ``busy``) is taken
        again at once: a claim or a release whose write was done but whose answer was lost
        (the server restarting) left it held by nobody who knows it, until its lease ran
        out."""
        collection = cls._get_collection()
        while True:
            now = utcnow()
            with serialised():
                doc = collection.find_one_and_update(
                    {"pending": True, "$or": [{"owner": None}, {"lease_until": {"$lt": now}},
                                              {"owner": owner, "_id": {"$nin": list(busy)}}]},
                    {"$set": {"owner": owner,
                              "lease_until": now + timedelta(seconds=lease)}},
                    sort=[("created", 1)], return_document=ReturnDocument.AFTER)
            if doc is not None and doc.get("state") in ("unknown", "failed"):
                # a card asked to be redrawn after its last send failed or was in doubt:
                # this is a new send (a buyer's entry never becomes pending again)
                cls.step(doc["_id"], owner, {}, {"state": None})
                doc["state"] = None
            if doc is None or doc.get("state") != "sending":
                return doc
            cls._in_doubt(doc, owner)

    @classmethod
    def _in_doubt(cls, doc: dict, owner: str) -> None:
        """A holder died mid-send: an edit is done again; a message is not (at most once)."""
        collection = cls._get_collection()
        if doc["kind"] == "card" and doc.get("message_id"):
            with serialised():
                collection.update_one({"_id": doc["_id"], "owner": owner},
                                      {"$set": {"state": None}})
            doc["state"] = None
            return
        logger.warning("outbox %s: taken over in doubt (chat %s): not sent again",
                       doc["_id"], doc["chat_id"])
        with serialised():
            collection.update_one({"_id": doc["_id"], "owner": owner},
                                  {"$set": {"state": "unknown", "pending": False,
                                            "owner": None, "modified": utcnow()}})

    @classmethod
    def step(cls, key: str, owner: str, expect: dict, change: dict) -> bool:
        """One change of a held entry, conditional on still holding it (and ``expect``)."""
        with serialised():
            return cls._get_collection().update_one(
                {"_id": key, "owner": owner, **expect},
                {"$set": {**change, "modified": utcnow()}}).matched_count == 1

    @classmethod
    def renew(cls, key: str, owner: str, lease: float) -> bool:
        return cls.step(key, owner, {}, {"lease_until": utcnow() + timedelta(seconds=lease)})

    @classmethod
    def release(cls, key: str, owner: str) -> None:
        with serialised():
            cls._get_collection().update_one({"_id": key, "owner": owner},
                                             {"$set": {"owner": None}})

    @classmethod
    def any_pending(cls) -> bool:
        with serialised():
            return cls._get_collection().find_one({"pending": True}, {"_id": 1}) is not None


class StaffPrompt(TimestampedDocument):
    """A staff member was asked for a reason (cancel, refund): their next message in the
    chat's topic (or their reply to the prompt) is it. One per member and order; it expires."""

    id = StringField(primary_key=True)  # "<chat id>:<user id>:<order id>"
    order = ObjectIdField(required=True)
    version = IntField(required=True)
    trigger = StringField(required=True)
    thread_id = IntField()
    prompt_id = IntField()  # the bot's message asking for it
    chat_id = IntField()  # the chat, and the member asked
    user_id = IntField()
    until = DateTimeField(required=True)

    meta = {"collection": "staff_prompts"}


class StaffChat(TimestampedDocument):
    """The staff chat's own settings: the language its cards are written in."""

    id = IntField(primary_key=True)  # the chat's Telegram id
    lang = StringField(max_length=8)

    meta = {"collection": "staff_chats"}

    @classmethod
    def language(cls, chat_id: int) -> str | None:
        with serialised():
            doc = cls._get_collection().find_one({"_id": chat_id}, {"lang": 1})
        return (doc or {}).get("lang")
