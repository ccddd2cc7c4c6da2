"""Fixtures of the deployment tests: a real MongoDB-wire server and the stack on loopback.

The end-to-end tests need ``MONGO_URI=mongodb://...`` (several gunicorn workers and the test
share the data; the embedded store is per process) and nginx; without either they are
skipped, with the reason in pytest's summary. ``.ci/run`` provides both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from tests.deploy.stack import (
    MONGO_SKIP,
    NGINX_SKIP,
    mongo_uri,
    nginx_binary,
    real_server_configured,
    running_stack,
)
from tests.integration.server import checked


@pytest.fixture(scope="session")
def nginx() -> str:
    """The nginx binary; skips the test without one."""
    path = nginx_binary()
    if path is None:
        pytest.skip(NGINX_SKIP)
    return path


@pytest.fixture(scope="module")
def server_uri() -> str:
    """``MONGO_URI``, once its server answers (MongoDB, or FerretDB v2: atomic per document)."""
    if not real_server_configured():
        pytest.skip(MONGO_SKIP)
    checked(mongo_uri())
    return mongo_uri()


@pytest.fixture(scope="module")
def deploy_db_uri(server_uri) -> Iterator[str]:
    """A fresh database on the server for the stack (the test is connected to it), dropped
    at the end."""
    import pymongo

    import models

    parts = urlsplit(server_uri)
    name = f"tgshop_deploy_{uuid.uuid4().hex[:10]}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if "@" in parts.netloc and not any(key.lower() == "authsource" for key, _ in query):
        # the URI's database is also where its credentials live: keep authenticating there
        query.append(("authSource", parts.path.lstrip("/") or "admin"))
    uri = urlunsplit(parts._replace(path=f"/{name}", query=urlencode(query)))
    models.connect(uri)
    try:
        yield uri
    finally:
        models.disconnect()
        client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
        try:
            client.drop_database(name)
        finally:
            client.close()


@pytest.fixture(scope="module")
def stack(nginx, deploy_db_uri):
    """nginx + gunicorn bot (2 workers) + gunicorn API + fake Telegram, webhook registered.

    Module-scoped: the processes stop when the module's tests are done.
    """
    from engine.replay.target import load_target

    target = load_target("flows.replay:target")  # the scripts' settings (ADMIN_IDS)
    with running_stack(deploy_db_uri, bot_workers=2, api_workers=2,
                       bot_env=target.bot_env) as running:
        yield running
