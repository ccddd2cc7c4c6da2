"""A bot's MongoDB through mongoengine: the embedded in-memory store or a real server.

    from engine.run import database

    database.connect(settings.mongo_uri, documents=[Slot])   # in Application.connect
    store = database.conversation_store()                      # in Application.build_engine
    Engine(flows, store, sender, unit_of_work=database.serialised)
    Application(..., unit_of_work=database.serialised, is_embedded=database.is_embedded)

``mongomock://host/db`` opens the embedded store (in this process's memory, gone on exit:
for the console, the playground, demos and tests); ``mongodb://`` and ``mongodb+srv://``
open a server. mongomock is not thread-safe, so every unit of work on the embedded store
holds one lock (:func:`serialised`); on a server that is a no-op.

The shop keeps its own ``models/db.py``: its models are used without the engine (the REST
API, scripts) and must not import it, and its own threads take the same lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

__all__ = ["connect", "conversation_store", "disconnect", "is_embedded", "serialised"]

SCHEMES = ("mongomock", "mongodb", "mongodb+srv")
_state = {"embedded": False}
_lock = threading.RLock()


def connect(uri: str, *, documents: Iterable[Any] = (), alias: str = "default",
            default_db: str = "bot") -> None:
    """Connect mongoengine (``alias``) to ``uri`` and create the indexes of ``documents``
    (mongoengine Document classes). The embedded store's database is the URI's path, else
    ``default_db``; a server's is the URI's. Raises ValueError for another scheme."""
    import mongoengine

    parsed = urlparse(uri)
    if parsed.scheme not in SCHEMES:
        raise ValueError(f"MONGO_URI {uri!r}: expected mongomock://, mongodb:// or "
                         "mongodb+srv://")
    mongoengine.disconnect(alias)
    if parsed.scheme == "mongomock":
        import mongomock

        mongoengine.connect(parsed.path.lstrip("/") or default_db,
                            host=f"mongodb://{parsed.hostname or 'localhost'}", alias=alias,
                            mongo_client_class=mongomock.MongoClient,
                            uuidRepresentation="standard")
    else:
        mongoengine.connect(host=uri, alias=alias, uuidRepresentation="standard", tz_aware=False)
    _state["embedded"] = parsed.scheme == "mongomock"
    for document in documents:
        document.ensure_indexes()


def disconnect(alias: str = "default") -> None:
    """Close the connection :func:`connect` opened."""
    import mongoengine

    mongoengine.disconnect(alias)


def is_embedded() -> bool:
    """True when connected to the embedded (mongomock) store."""
    return _state["embedded"]


@contextlib.contextmanager
def serialised() -> Iterator[None]:
    """Hold the embedded store's lock for a unit of work; a no-op on a server."""
    if not _state["embedded"]:
        yield
        return
    with _lock:
        yield


def conversation_store(collection: str = "conversations", alias: str = "default", **options):
    """Where the engine keeps conversations: in memory on the embedded store (mongomock
    scans a whole collection per query), else the ``collection`` of the connected database
    (a :class:`~engine.store.MongoStore` with ``options``)."""
    from engine.store import MemoryStore, MongoStore

    if is_embedded():
        return MemoryStore()
    import mongoengine

    return MongoStore(mongoengine.get_db(alias)[collection], **options)
