"""The one place that opens the database."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import mongoengine

__all__ = ["connect", "disconnect", "is_embedded", "serialised"]

logger = logging.getLogger(__name__)

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
    """Create the indexes of every document class that declares them.

    An index that exists with other options than declared (a release made ``number``
    sparse, say) is dropped and made again as declared, once, with a log line: a database
    from an earlier release opens instead of failing with IndexKeySpecsConflict.
    """
    import pymongo

    from models import DOCUMENTS

    for document in DOCUMENTS:
        try:
            document.ensure_indexes()
        except pymongo.errors.OperationFailure as err:
            if err.code not in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict
                raise
            _rebuild_changed_indexes(document)
            document.ensure_indexes()


def _rebuild_changed_indexes(document) -> None:
    collection = document._get_collection()
    existing = collection.index_information()
    for spec in document._meta.get("index_specs", []):
        key = list(spec["fields"])
        for name, info in existing.items():
            same_options = all(bool(info.get(o)) == bool(spec.get(o)) for o in ("unique", "sparse"))
            if name != "_id_" and list(info["key"]) == key and not same_options:
                logger.warning("index %s of %s changed options: made again as declared",
                               name, collection.name)
                collection.drop_index(name)


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
