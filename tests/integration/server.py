"""Which server the integration suite runs against: ``MONGO_URI``, when it is a real one."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


@contextlib.contextmanager
def serialised(uri: str) -> Iterator[str]:
    """``uri`` behind serialiser.py (one request at a time): FerretDB v1 with MongoDB's
    single-document atomicity back (serialiser.py says why that is faithful)."""
    parts = urlsplit(uri)
    if parts.scheme != "mongodb" or "," in parts.netloc:
        pytest.skip("FerretDB behind a mongodb+srv:// or multi-host URI: cannot serialise it")
    credentials, _, upstream = parts.netloc.rpartition("@")
    proxy = subprocess.Popen([sys.executable, str(Path(__file__).with_name("serialiser.py")),
                              upstream], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        port = proxy.stdout.readline().strip()
        if not port.isdigit():
            pytest.fail(f"serialiser.py did not start (exit code {proxy.poll()})", pytrace=False)
        netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
        yield urlunsplit(parts._replace(netloc=netloc))
    finally:
        proxy.stdin.close()  # its signal to stop
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait()
        proxy.stdout.close()
