"""Bearer-token authorisation (``Authorization: Bearer <token>``).

The matrix, also in the OpenAPI description and docs/api.md:

=========================================  ==============  ===============  ================
request                                    tokens set,     tokens set,      no tokens set
                                           valid token     no/bad token     (API_TOKENS="")
=========================================  ==============  ===============  ================
read catalog and news (GET/HEAD)           200             200              200
read users and orders (personal data)      200             401              403
any write (POST, PUT, PATCH, DELETE)       2xx             401              403
=========================================  ==============  ===============  ================

401 means "authenticate and try again" and carries ``WWW-Authenticate: Bearer``; 403
means no credential could help: without configured tokens, writes and personal data
are switched off. Public reads ignore the ``Authorization`` header.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from flask import current_app, request

from api.errors import Forbidden, Unauthorized

REALM = "tgshop"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

__all__ = ["REALM", "SAFE_METHODS", "authorize", "normalise_tokens"]


def normalise_tokens(tokens: str | Iterable[str] | None) -> frozenset[str]:
    """Tokens from a comma-separated string or an iterable, blanks dropped."""
    if tokens is None:
        return frozenset()
    if isinstance(tokens, str):
        tokens = tokens.split(",")
    return frozenset(t.strip() for t in tokens if t and t.strip())


def _presented_token() -> str | None:
    """The bearer token of the request, or None when there is no bearer credential."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _is_valid(token: str, tokens: Iterable[str]) -> bool:
    presented = token.encode("utf-8", "surrogateescape")
    # compare with every token in constant time: the loop does not stop at a match
    matches = [hmac.compare_digest(presented, t.encode("utf-8")) for t in tokens]
    return any(matches)


def authorize(private: bool) -> None:
    """Raise 401/403 unless the request may proceed.

    ``private`` is true for writes and for reads of personal data; public reads
    always pass.
    """
    if not private:
        return
    tokens = current_app.config["API_TOKENS"]
    if not tokens:
        raise Forbidden("The API has no tokens configured (API_TOKENS): writes and "
                        "personal data are disabled.")
    token = _presented_token()
    if token is None:
        raise Unauthorized(headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    if not _is_valid(token, tokens):
        raise Unauthorized("The bearer token is not valid.", headers={
            "WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'})
