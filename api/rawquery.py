"""Query strings with raw UTF-8, as plain ``curl "…?q=Наушники"`` sends them.

A WSGI server hands ``QUERY_STRING`` over as the request's bytes decoded as latin-1
(PEP 3333), and Werkzeug decodes only percent-escapes as UTF-8: raw non-ASCII bytes would
reach filters and links as mojibake. Percent-encoding those bytes first makes both forms
of the same query mean the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["RawUtf8Query", "escape_non_ascii"]


def escape_non_ascii(query: str) -> str:
    """``query`` with every non-ASCII byte percent-encoded (ASCII, escapes included, kept)."""
    if query.isascii():
        return query
    try:
        raw = query.encode("latin-1")  # the WSGI way: one character per byte
    except UnicodeEncodeError:
        raw = query.encode("utf-8")  # a server that decoded the bytes as UTF-8 already
    else:
        raw = _undo_double_encoding(raw)
    return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)


def _undo_double_encoding(raw: bytes) -> bytes:
    """Werkzeug's development server decodes the request line as latin-1 and then encodes
    it once more for WSGI, so raw UTF-8 arrives encoded twice: undo one round when that is
    exactly what happened (the inner bytes are valid UTF-8 themselves)."""
    try:
        inner = raw.decode("utf-8").encode("latin-1")
        inner.decode("utf-8")
    except UnicodeError:
        return raw
    return inner


class RawUtf8Query:
    """WSGI middleware: percent-encode raw non-ASCII bytes of the query string."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING")
        if query:
            environ["QUERY_STRING"] = escape_non_ascii(query)
        return self.app(environ, start_response)
