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
