"""A limit on failed logins, per account and per client address, kept in the database so
that every process of the API (gunicorn's workers) counts the same failures.

After ``ADMIN_LOGIN_ATTEMPTS`` failures (default 5) for one email within the lock's length,
that email is locked for ``ADMIN_LOGIN_LOCK_MINUTES`` (default 15), the right password
included; a client address is locked after four times as many (an office shares one
address). A successful login clears its account's count. The counts are updated with
single atomic operations (``$inc``), so concurrent attempts cannot slip past the limit.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta

from flask import current_app, request
from mongoengine import DateTimeField, Document, IntField, StringField
from pymongo import ReturnDocument

from models import utcnow

__all__ = ["LoginFailures", "client_address", "failed", "locked_for", "succeeded"]

ATTEMPTS = 5
LOCK_MINUTES = 15
ADDRESS_FACTOR = 4


class LoginFailures(Document):
    """Failed logins of one key (``account:<email>`` or ``address:<ip>``) since ``first``."""

    key = StringField(primary_key=True)
    count = IntField(default=0)
    first = DateTimeField()
    locked_until = DateTimeField()
    expires = DateTimeField()  # the record is of no use after this (a TTL index drops it)

    meta = {"collection": "admin_login_failures",
            "indexes": [{"fields": ["expires"], "expireAfterSeconds": 0}]}


def _setting(name: str, default: int) -> int:
    value = current_app.config.get(name, os.environ.get(name))
    try:
        return max(1, int(value)) if value not in (None, "") else default
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None


def _limits() -> tuple[int, timedelta]:
    return (_setting("ADMIN_LOGIN_ATTEMPTS", ATTEMPTS),
            timedelta(minutes=_setting("ADMIN_LOGIN_LOCK_MINUTES", LOCK_MINUTES)))


def client_address() -> str:
    """The client's address; behind a proxy on this host (nginx, ``deploy/``), the address
    it passes in ``X-Real-IP`` (only a local proxy is trusted to say it)."""
    address = request.remote_addr or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    try:
        if forwarded and ipaddress.ip_address(address).is_loopback:
            return str(ipaddress.ip_address(forwarded))
    except ValueError:
        pass
    return address


def _keys(email: str, address: str) -> list[str]:
    return [f"account:{email.strip().lower()[:254]}", f"address:{address}"]


def locked_for(email: str, address: str) -> int:
    """Seconds until a login with ``email`` from ``address`` is allowed again; 0: now."""
    now = utcnow()
    waits = [(doc.locked_until - now).total_seconds()
             for doc in LoginFailures.objects(key__in=_keys(email, address),
                                              locked_until__gt=now)]
    return int(max(waits)) + 1 if waits else 0


def failed(email: str, address: str) -> None:
    """Count one failed login of ``email`` from ``address``; lock what reached its limit."""
    attempts, lock = _limits()
    collection = LoginFailures._get_collection()
    for key, limit in zip(_keys(email, address), (attempts, attempts * ADDRESS_FACTOR),
                          strict=True):
        now = utcnow()
        doc = collection.find_one_and_update(
            {"_id": key}, {"$inc": {"count": 1}, "$setOnInsert": {"first": now},
                           "$set": {"expires": now + 2 * lock}},
            upsert=True, return_document=ReturnDocument.AFTER)
        if doc.get("first") and doc["first"] < now - lock:
            # the earlier failures are too old to count: start again from this one
            collection.update_one({"_id": key, "first": doc["first"]},
                                  {"$set": {"count": 1, "first": now}})
        elif doc["count"] >= limit:
            collection.update_one({"_id": key}, {"$set": {
                "count": 0, "first": now, "locked_until": now + lock,
                "expires": now + 2 * lock}})


def succeeded(email: str) -> None:
    """A login of ``email`` succeeded: its failures are forgotten (not its address's)."""
    LoginFailures.objects(key=_keys(email, "")[0]).delete()
