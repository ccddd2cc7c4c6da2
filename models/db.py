"""The one place that opens the database."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import mongoengine

__all__ = ["connect", "disconnect", "is_embedded", "serialised"]

_state = {"embedded": False}
# mongomock is not thread-safe (updates get lost with two threads); every user of the
# embedded store that runs threads takes this lock around each unit of work.
_embedded_lock = threading.RLock()


def connect(uri: str, alias: str = "default") -> None:
    """Connect mongoengine to ``uri`` and make sure every collection's indexes exist.

    ``mongomock://host/db`` opens the embedded in-memory store (for demos and tests: it
    loses its data on exit); ``mongodb://`` and ``mongodb+srv://`` open a real server.
    """
    parsed = urlparse(uri)
    mongoengine.disconnect(alias)
    if parsed.scheme == "mongomock":
        import mongomock

        db = parsed.path.lstrip("/") or "shop"
        mongoengine.connect(db, host=f"mongodb://{parsed.hostname or 'localhost'}", alias=alias,
                            mongo_client_class=mongomock.MongoClient, uuidRepresentation="standard")
        _state["embedded"] = True
    elif parsed.scheme in ("mongodb", "mongodb+srv"):
        mongoengine.connect(host=uri, alias=alias, uuidRepresentation="standard", tz_aware=False)
        _state["embedded"] = False
    else:
        raise ValueError(f"MONGO_URI {uri!r}: expected mongomock://, mongodb:// or mongodb+srv://")
    ensure_indexes()


def ensure_indexes() -> None:
    """Create the indexes of every document class that declares them."""
    from models import DOCUMENTS

    for document in DOCUMENTS:
        document.ensure_indexes()


def disconnect(alias: str = "default") -> None:
    """Close the connection opened by :func:`connect`."""
    mongoengine.disconnect(alias)


def is_embedded() -> bool:
    """True when connected to the in-process mongomock store."""
    return _state["embedded"]


@contextlib.contextmanager
def serialised() -> Iterator[None]:
    """Hold the embedded store's lock for a unit of work; a no-op on a real server."""
    if not _state["embedded"]:
        yield
        return
    with _embedded_lock:
        yield
