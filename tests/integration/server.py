"""Which server the integration suite runs against: ``MONGO_URI``, when it is a real one."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

MONGO_URI = os.environ.get("MONGO_URI", "")
REAL_SCHEMES = ("mongodb", "mongodb+srv")
SKIP_REASON = (f"needs a real MongoDB-wire server: MONGO_URI is {MONGO_URI or 'not set'!r}, "
               "not a mongodb:// URI (see docs/integration.md)")


def configured() -> bool:
    return urlsplit(MONGO_URI).scheme in REAL_SCHEMES


def skip_module_unless_configured() -> None:
    """Skip the calling test module as a whole (one line in the summary, not one per test)."""
    if not configured():
        pytest.skip(SKIP_REASON, allow_module_level=True)


def checked(uri: str) -> str | None:
    """Ping the server of ``uri``; return FerretDB's version when it is FerretDB.

    Fails the test at once when the server does not answer, or is FerretDB v1, whose updates
    of one document are not atomic (a read, then a blind write): the concurrency tests would
    fail there for the server's sake, not ours (docs/integration.md).
    """
    import pymongo

    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        build = client.admin.command("buildInfo")
    except pymongo.errors.PyMongoError as err:
        pytest.fail(f"MONGO_URI={uri!r} does not answer: {err}", pytrace=False)
    finally:
        client.close()
    ferretdb = build.get("ferretdbVersion") or (build.get("ferretdb") or {}).get("version")
    if ferretdb and ferretdb.lstrip("v").split(".")[0] in {"0", "1"}:
        pytest.fail(f"MONGO_URI={uri!r} is FerretDB {ferretdb}, which does not make updates of "
                    "one document atomic: use FerretDB v2 (.ci/ferretdb.sh) or MongoDB",
                    pytrace=False)
    return ferretdb
