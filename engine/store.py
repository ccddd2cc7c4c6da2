"""Conversation stores: one document per user, one read and one write per update.

Each update takes a short *lease* on the user's conversation with one atomic
find-and-modify (which is also the read), and gives it back with the save, a
compare-and-set on the lease and the version (the one write). A second update of the
same user, from another thread, process or host, waits for the lease instead of
running beside it, so an action's side effect (a cart +1) is never applied twice nor
lost; an update id already seen is skipped, so Telegram's redeliveries count once.
"""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from engine.errors import EngineError, StaleConversation

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
    version: int = 0
    lease: str | None = None

    FIELDS = ("state", "params", "data", "history", "page", "lang", "last_message_id",
              "last_kind", "footer_id", "keyboard", "flow_version", "seen", "outdated_at")

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


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class MongoStore:
    """Conversations in a MongoDB collection (or mongomock's, for the embedded store)."""

    def __init__(self, collection, lease_seconds: float = 60.0, wait_seconds: float = 30.0) -> None:
        self.collection = collection
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds

    def acquire(self, user_id: int) -> Conversation:
        """Lease and read the user's conversation (created when new), waiting if leased."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.001
        while True:
            now = _now()
            lease = {"lease": token, "lease_until": now + timedelta(seconds=self.lease_seconds)}
            doc = self.collection.find_one_and_update(
                {"_id": user_id, "$or": [{"lease": None}, {"lease_until": {"$lt": now}}]},
                {"$set": lease}, return_document=ReturnDocument.AFTER)
            if doc is not None:
                return Conversation.from_doc(doc)
            try:  # a new user, or one whose conversation is leased right now
                self.collection.insert_one({"_id": user_id, "v": 0, "created": now, **lease})
                return Conversation(user_id, lease=token)
            except DuplicateKeyError:
                pass  # it exists and is leased: wait for it
            if time.monotonic() > deadline:
                raise Busy(f"conversation of user {user_id} stayed leased for "
                           f"{self.wait_seconds}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def save(self, conversation: Conversation) -> None:
        """Write the conversation back and release the lease: compare-and-set on both."""
        result = self.collection.update_one(
            {"_id": conversation.user_id, "lease": conversation.lease, "v": conversation.version},
            {"$set": {**conversation.fields(), "v": conversation.version + 1, "lease": None,
                      "lease_until": None, "modified": _now()}})
        if result.matched_count != 1:
            raise StaleConversation(f"conversation of user {conversation.user_id} changed "
                                    "under this update (its lease expired)")
        conversation.version += 1
        conversation.lease = None

    def release(self, conversation: Conversation) -> None:
        """Give the lease back without writing anything else."""
        self.collection.update_one({"_id": conversation.user_id, "lease": conversation.lease},
                                   {"$set": {"lease": None, "lease_until": None}})
        conversation.lease = None

    def peek(self, user_id: int) -> Conversation | None:
        """Read without leasing (for tests and tools)."""
        doc = self.collection.find_one({"_id": user_id})
        return Conversation.from_doc(doc) if doc else None


class MemoryStore:
    """Conversations in a dict, with a per-user lock as the lease: tests, benchmarks, and the
    embedded demo store. Documents are kept pickled, so a caller can never alias them."""

    def __init__(self) -> None:
        self.docs: dict[int, bytes] = {}
        self.locks: dict[int, threading.Lock] = {}
        self.guard = threading.Lock()

    def acquire(self, user_id: int) -> Conversation:
        with self.guard:
            lock = self.locks.setdefault(user_id, threading.Lock())
        lock.acquire()
        blob = self.docs.get(user_id)
        conv = Conversation.from_doc(pickle.loads(blob)) if blob else Conversation(user_id)
        conv.lease = "memory"
        return conv

    def save(self, conversation: Conversation) -> None:
        conversation.version += 1
        self.docs[conversation.user_id] = pickle.dumps(
            {"_id": conversation.user_id, "v": conversation.version, **conversation.fields()},
            protocol=pickle.HIGHEST_PROTOCOL)
        self.release(conversation)

    def release(self, conversation: Conversation) -> None:
        conversation.lease = None
        self.locks[conversation.user_id].release()

    def peek(self, user_id: int) -> Conversation | None:
        blob = self.docs.get(user_id)
        return Conversation.from_doc(pickle.loads(blob)) if blob else None
