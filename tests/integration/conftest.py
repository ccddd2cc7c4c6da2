"""The integration suite: the same code against a real MongoDB-wire server.

Every test here is marked ``integration`` (added below, so a new file cannot forget it)
and runs only when ``MONGO_URI`` is a ``mongodb://`` or ``mongodb+srv://`` URI, for example
the FerretDB that ``.ci/run`` starts, or a local ``mongod`` (docs/integration.md); otherwise
it is skipped with the reason. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mongoengine
import pymongo
import pytest

import models

HERE = Path(__file__).parent
MONGO_URI = os.environ.get("MONGO_URI", "")
REAL_SCHEMES = ("mongodb", "mongodb+srv")


@pytest.hookimpl(tryfirst=True)  # before `-m integration` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)


def with_database(uri: str, name: str) -> str:
    """``uri`` naming database ``name`` instead; credentials keep authenticating where they did.

    (A URI's database is also its default ``authSource``, so it is made explicit first.)
    """
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if "@" in parts.netloc and not any(key.lower() == "authsource" for key, _ in query):
        query.append(("authSource", parts.path.lstrip("/") or "admin"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", urlencode(query), ""))


@pytest.fixture(scope="session")
def real_server() -> str:
    """``MONGO_URI`` once the server answers; skips when it is not a real server's URI."""
    scheme = urlsplit(MONGO_URI).scheme
    if scheme not in REAL_SCHEMES:
        pytest.skip(f"needs a real MongoDB-wire server: MONGO_URI is {MONGO_URI or 'not set'!r}, "
                    "not a mongodb:// URI (see docs/integration.md)")
    client = pymongo.MongoClient(MONGO_URI, serverSelectionTimeoutMS=5000)
    try:
        client.admin.command("ping")
    except pymongo.errors.PyMongoError as err:
        pytest.fail(f"MONGO_URI={MONGO_URI!r} does not answer a ping: {err}", pytrace=False)
    finally:
        client.close()
    return MONGO_URI


@pytest.fixture
def real_db_uri(real_server):
    """The URI of a fresh database on the real server, connected with ``models.connect``.

    Processes started by a test connect to the same database with this URI.
    """
    base = (urlsplit(real_server).path.lstrip("/") or "tgshop_test")[:40]
    name = f"{base}_{uuid.uuid4().hex[:12]}"
    uri = with_database(real_server, name)
    models.connect(uri)
    database = mongoengine.get_db()
    try:
        yield uri
    finally:
        database.client.drop_database(name)
        models.disconnect()


@pytest.fixture
def real_db(real_db_uri):
    """A fresh database on the real server (a pymongo ``Database``), dropped after the test."""
    return mongoengine.get_db()
