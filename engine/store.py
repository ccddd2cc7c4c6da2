"""Conversation stores: one document per user, one read and one write per update.

Each update takes a short *lease* on the user's conversation with one atomic
find-and-modify (which is also the read), and gives it back with the save, a
compare-and-set on the lease and the version (the one write). A second update of the
same user, from another thread, process or host, waits for the lease instead of
running beside it, so an action's side effect (a cart +1) is never applied twice nor
lost; an update id already seen is skipped, so Telegram's redeliveries count once.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from engine.errors import EngineError, StaleConversation

logger = logging.getLogger(__name__)

SEEN_LIMIT = 32  # update ids remembered per user for deduplication


class Busy(EngineError):
    """The conversation stayed leased by another update for longer than we wait."""


@dataclass
class Conversation:
    """A user's place in the flows and what the flows remember for them."""

    user_id: int
    state: str | None = None
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    # [{state, params, page}, ...]: mappings, not nested lists, which FerretDB v1 refuses
    history: list = field(default_factory=list)
    page: int = 0
    lang: str | None = None
    last_message_id: int | None = None
    last_kind: str | None = None
    footer_id: int | None = None
    keyboard: str | None = None
    flow_version: str | None = None
    seen: list = field(default_factory=list)
    # when an outdated button last redrew the screen (epoch seconds): presses soon after
    # only get the toast, so one shopper cannot make the bot flood the chat
    outdated_at: float = 0.0
    # what the message last_message_id shows (render.fingerprint): an edit into the same
    # is left out, since Telegram would change nothing
    screen: str | None = None
    version: int = 0
    lease: str | None = None
    # (token, generation) of the ownership a copy was served under (lease HELD): its save
    # compares ``owner`` with that token, whatever the registration became meanwhile
    served: tuple | None = field(default=None, repr=False, compare=False)

    FIELDS = ("state", "params", "data", "history", "page", "lang", "last_message_id",
              "last_kind", "footer_id", "keyboard", "flow_version", "seen", "outdated_at",
              "screen")

    @classmethod
    def from_doc(cls, doc: dict) -> Conversation:
        conv = cls(user_id=doc["_id"], version=doc.get("v", 0), lease=doc.get("lease"))
        for name in cls.FIELDS:
            if name in doc and doc[name] is not None:
                setattr(conv, name, doc[name])
        return conv

    def fields(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}


class ConversationStore(Protocol):
    """Where conversations live; see :class:`MongoStore` for the contract."""

    def acquire(self, user_id: int) -> Conversation: ...

    def save(self, conversation: Conversation) -> None: ...

    def release(self, conversation: Conversation) -> None: ...

    def peek(self, user_id: int) -> Conversation | None: ...

    def own(self) -> None: ...

    def close(self) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


HELD = "@held"  # the lease of a conversation served from this process's copy


class MongoStore:
    """Conversations in a MongoDB collection (or mongomock's, for the embedded store).

    Shared (the default): every update leases and reads (one find-and-modify), then writes
    (one compare-and-set): two round trips, with any number of processes and hosts.

    ``exclusive``: this process owns the conversations it saves (see
    :mod:`engine.ownership`) and keeps the last ``cache_size`` of them; the next update of
    such a user is served from that copy with **one** round trip, the compare-and-set write.
    Other processes stay correct beside it: they wait for an owned conversation until its
    owner stops (``close``) or is gone, so use it where one process serves the bot's
    updates: polling (Telegram serves one poller), or a webhook run by one process.
    Within the process, one user's updates run one at a time (an in-process lock).
    """

    def __init__(self, collection, lease_seconds: float = 60.0, wait_seconds: float = 30.0, *,
                 exclusive: bool = False, cache_size: int = 10_000, renew_seconds: float = 5.0,
                 grace_seconds: float = 15.0, heartbeat: bool = True) -> None:
        from engine.ownership import Owners

        self.collection = collection
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.owners = Owners(collection.database[collection.name + "_owners"])
        self.registration = None
        self._ownership = {"cache_size": cache_size, "renew": renew_seconds,
                           "grace": grace_seconds, "heartbeat": heartbeat}
        # round trips to the database, by kind: for tests and benchmarks
        self.trips = {"lease": 0, "insert": 0, "write": 0, "other": 0}
        if exclusive:
            self.own()

    def own(self) -> None:
        """Become exclusive (see the class): call it before the first update, in the one
        process that serves the bot's updates."""
        from engine.ownership import Copies, Registration, UserLocks

        if self.registration is not None:
            return
        options = self._ownership
        self.copies = Copies(options["cache_size"])
        self.locks = UserLocks()
        self.registration = Registration(
            self.owners.collection, ttl=options["grace"] + max(self.lease_seconds,
                                                               options["grace"]),
            grace=options["grace"], renew=options["renew"], heartbeat=options["heartbeat"])

    def acquire(self, user_id: int) -> Conversation:
        """Lease and read the user's conversation (created when new), waiting if leased;
        from this process's copy, with neither, when it owns the conversation."""
        if self.registration is None:
            return self._lease(user_id, [None])
        if not self.locks.acquire(user_id, self.wait_seconds):
            raise Busy(f"conversation of user {user_id} stayed busy in this process for "
                       f"{self.wait_seconds}s")
        try:
            registration = self.registration
            token, generation, live = registration.state()  # together: a consistent stamp
            conv = self.copies.get(user_id, generation)
            if conv is not None and live:
                conv.lease, conv.served = HELD, (token, generation)
                return conv
            return self._lease(user_id, [None, *registration.mine()])
        except BaseException:
            self.locks.release(user_id)
            raise

    def _lease(self, user_id: int, owners: list) -> Conversation:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.001
        while True:
            now = _now()
            lease = {"lease": token, "lease_until": now + timedelta(seconds=self.lease_seconds)}
            self.trips["lease"] += 1
            doc = self.collection.find_one_and_update(
                {"_id": user_id, "owner": owners[0] if len(owners) == 1 else {"$in": owners},
                 "$or": [{"lease": None}, {"lease_until": {"$lt": now}}]},
                {"$set": lease}, return_document=ReturnDocument.AFTER)
            if doc is not None:
                return Conversation.from_doc(doc)
            try:  # a new user, or one whose conversation is leased or owned right now
                self.trips["insert"] += 1
                self.collection.insert_one({"_id": user_id, "v": 0, "created": now, **lease})
                return Conversation(user_id, lease=token)
            except DuplicateKeyError:
                pass
            if self._owner_gone(user_id, owners):
                continue  # its owner is dead and its mark cleared: lease it now
            if time.monotonic() > deadline:
                raise Busy(f"conversation of user {user_id} stayed leased for "
                           f"{self.wait_seconds}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _owner_gone(self, user_id: int, owners: list) -> bool:
        """Clear the conversation's ``owner`` when that owner is dead; whether it was."""
        self.trips["other"] += 1
        doc = self.collection.find_one({"_id": user_id}, {"owner": 1})
        owner = (doc or {}).get("owner")
        if owner is None or owner in owners:
            return False  # leased, not owned: wait for the lease
        self.trips["other"] += 1
        if not self.owners.is_dead(owner):
            return False
        logger.info("user=%s: conversation owner %s is gone: taken over", user_id, owner)
        self.trips["other"] += 1
        self.collection.update_one({"_id": user_id, "owner": owner}, {"$set": {"owner": None}})
        return True

    def save(self, conversation: Conversation) -> None:
        """Write the conversation back and release the lease: compare-and-set on both (on
        the version and our ownership, for a conversation served from our copy)."""
        uid, version = conversation.user_id, conversation.version
        registration = self.registration
        fields = {**conversation.fields(), "v": version + 1, "modified": _now()}
        token, generation, live = (registration.state() if registration is not None
                                   else (None, 0, False))
        # we stay the owner (and keep the copy) only under a live registration and, for a
        # copy, the very one it was served under: a copy of a lapsed one is written (the
        # conversation is still ours: nobody took it over, or the write fails) but let go
        owner = token if live else None
        if conversation.lease == HELD:
            served_token, served_generation = conversation.served
            if served_generation != generation:
                owner = None
            query = {"_id": uid, "v": version, "owner": served_token, "lease": None}
            fields["owner"] = owner
        else:
            query = {"_id": uid, "lease": conversation.lease, "v": version}
            fields.update(lease=None, lease_until=None, owner=owner)
        conversation.served = None
        try:
            self.trips["write"] += 1
            result = self.collection.update_one(query, {"$set": fields})
            if result.matched_count != 1:
                if conversation.lease == HELD:
                    logger.error("user=%s: the conversation this process owns was changed by "
                                 "another (an update ran past its lease, or clocks disagree)",
                                 uid)
                conversation.lease = None
                raise StaleConversation(f"conversation of user {uid} changed under this "
                                        "update (its lease expired)")
        except BaseException:
            if registration is not None:
                conversation.lease = None
                self.locks.release(uid)
            raise
        conversation.version += 1
        conversation.lease = None
        if registration is not None:
            if owner is not None:
                self.copies.put(uid, generation, conversation)
            self.locks.release(uid)

    def release(self, conversation: Conversation) -> None:
        """Give the lease back without writing anything else."""
        lease, conversation.lease = conversation.lease, None
        conversation.served = None
        if lease != HELD:
            self.trips["other"] += 1
            self.collection.update_one({"_id": conversation.user_id, "lease": lease},
                                       {"$set": {"lease": None, "lease_until": None}})
        if self.registration is not None:  # the copy may be half-changed: read it again
            self.copies.drop(conversation.user_id)
            self.locks.release(conversation.user_id)

    def peek(self, user_id: int) -> Conversation | None:
        """Read without leasing (for tests and tools)."""
        doc = self.collection.find_one({"_id": user_id})
        return Conversation.from_doc(doc) if doc else None

    def close(self) -> None:
        """Withdraw this process's ownership (exclusive), so others serve its users at once.
        Call it after the last update finished; a no-op for a shared store."""
        if self.registration is not None:
            self.registration.close(self.collection)
            self.copies = type(self.copies)(self.copies.size)


_ATTRIBUTES = tuple(f.name for f in fields(Conversation))


def _freeze(conversation: Conversation) -> bytes:
    """A copy of ``conversation`` no caller can alias: its attributes' values pickled as one
    tuple (a third of the cost of pickling the object, which goes through ``copyreg`` in
    Python), or the object itself when it carries attributes of its own."""
    attributes = conversation.__dict__
    if tuple(attributes) == _ATTRIBUTES:
        return pickle.dumps(tuple(attributes.values()), protocol=pickle.HIGHEST_PROTOCOL)
    return pickle.dumps(conversation, protocol=pickle.HIGHEST_PROTOCOL)


def _thaw(blob: bytes) -> Conversation:
    """A new conversation from :func:`_freeze`'s copy (sharing nothing with another)."""
    value = pickle.loads(blob)
    if type(value) is not tuple:
        return value
    conversation = object.__new__(Conversation)  # the values as they were: no defaults
    conversation.__dict__ = dict(zip(_ATTRIBUTES, value, strict=True))
    return conversation


class MemoryStore:
    """Conversations in a dict, with a per-user lock as the lease: tests, benchmarks, and the
    embedded demo store. Documents are kept pickled, so a caller can never alias them."""

    def __init__(self) -> None:
        self.docs: dict[int, bytes] = {}
        self.locks: dict[int, threading.Lock] = {}
        self.guard = threading.Lock()

    def acquire(self, user_id: int) -> Conversation:
        lock = self.locks.get(user_id)
        if lock is None:
            with self.guard:
                lock = self.locks.setdefault(user_id, threading.Lock())
        lock.acquire()
        blob = self.docs.get(user_id)
        conv = _thaw(blob) if blob else Conversation(user_id)
        conv.lease = "memory"
        return conv

    def save(self, conversation: Conversation) -> None:
        conversation.version += 1
        conversation.lease = None
        # pickled: a copy no caller can alias, without a document between
        self.docs[conversation.user_id] = _freeze(conversation)
        self.release(conversation)

    def release(self, conversation: Conversation) -> None:
        conversation.lease = None
        self.locks[conversation.user_id].release()

    def own(self) -> None:
        """Nothing to own: the conversations live in this process only."""

    def close(self) -> None:
        """Nothing to withdraw: the conversations die with the process."""

    def peek(self, user_id: int) -> Conversation | None:
        blob = self.docs.get(user_id)
        return _thaw(blob) if blob else None
