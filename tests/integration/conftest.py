"""The integration suite: the same code against a real MongoDB-wire server.

Every test here is marked ``integration`` (added below, so a new file cannot forget it)
and runs only when ``MONGO_URI`` is a ``mongodb://`` or ``mongodb+srv://`` URI, for example
the FerretDB that ``.ci/run`` starts, or a local ``mongod`` (docs/integration.md); otherwise
it is skipped with the reason (each module calls ``skip_module_unless_configured()``, so
the summary has one line per module; the fixtures skip too, for a module that does not).
Each test gets a database of its own, dropped afterwards.

Fixtures: ``real_db`` / ``real_db_uri`` (a fresh database on the server, connected). The
tests talk to the server directly; it must make every update of one document atomic, as
MongoDB and FerretDB v2 do (the suite refuses FerretDB v1, which does not).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mongoengine
import pytest

import models
from tests.integration.server import MONGO_URI, SKIP_REASON, checked, configured

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m integration` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Server:
    uri: str
    ferretdb: str | None  # FerretDB's version, when the server is FerretDB


def with_database(uri: str, name: str) -> str:
    """``uri`` naming database ``name`` instead; credentials keep authenticating where they did.

    (A URI's database is also its default ``authSource``, so that is made explicit first.)
    """
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if "@" in parts.netloc and not any(key.lower() == "authsource" for key, _ in query):
        query.append(("authSource", parts.path.lstrip("/") or "admin"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", urlencode(query), ""))


@pytest.fixture(scope="session")
def real_server() -> Server:
    """The server of ``MONGO_URI``, once it answers; skips when it is not a real server's URI."""
    if not configured():
        pytest.skip(SKIP_REASON)
    return Server(MONGO_URI, checked(MONGO_URI))


@contextlib.contextmanager
def fresh_database(server_uri: str) -> Iterator[str]:
    """Connect ``models`` to a new database on the server; drop it afterwards."""
    base = (urlsplit(server_uri).path.lstrip("/") or "tgshop_test")[:40]
    name = f"{base}_{uuid.uuid4().hex[:12]}"
    uri = with_database(server_uri, name)
    models.connect(uri)
    database = mongoengine.get_db()
    try:
        yield uri
    finally:
        database.client.drop_database(name)
        models.disconnect()


@pytest.fixture
def real_db_uri(real_server) -> Iterator[str]:
    """The URI of a fresh database on the server, connected with ``models.connect``.

    Processes started by a test connect to the same database with this URI.
    """
    with fresh_database(real_server.uri) as uri:
        yield uri


@pytest.fixture
def real_db(real_db_uri):
    """A fresh database on the real server (a pymongo ``Database``), dropped after the test."""
    return mongoengine.get_db()
