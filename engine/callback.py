"""Callback data of inline buttons: built and parsed here only, versioned, within 64 bytes.

Format ``1:<trigger>:<arg>=<value>:...``: the version, the trigger's name and its named
arguments, so a button keeps working after a restart or a change of the flows' order,
and an old format is recognised as such instead of being misread.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, unquote

from engine.errors import EngineError

VERSION = "1"
LIMIT = 64  # bytes, Telegram's limit for callback_data
_SAFE = "-_.~!*'()@,;+$[]{}|^`/ "


class CallbackTooLong(EngineError):
    """The callback data of a button would exceed Telegram's 64 bytes."""


def encode(trigger: str, args: dict[str, object] | None = None) -> str:
    """The callback data for ``trigger`` with ``args`` (raises if over 64 bytes)."""
    parts = [VERSION, trigger]
    for name in sorted(args or {}):
        parts.append(f"{name}={quote(str(args[name]), safe=_SAFE)}")
    data = ":".join(parts)
    if len(data.encode("utf-8")) > LIMIT:
        raise CallbackTooLong(f"callback data {data!r} is {len(data.encode())} bytes; "
                              f"Telegram allows {LIMIT}")
    return data


def decode(data: str) -> tuple[str, dict[str, str]] | None:
    """``(trigger, args)`` from callback data, or ``None`` for data not made by this version.

    The args are the caller's own dict (the parse behind it is kept: the same buttons are
    pressed over and over). Data longer than :data:`LIMIT` was never made by :func:`encode`
    (a crafted client can send any): refused without being parsed nor kept."""
    if not data or len(data) > LIMIT:  # characters: never fewer than its bytes
        return None
    decoded = _decode(data)
    return (decoded[0], dict(decoded[1])) if decoded is not None else None


@lru_cache(maxsize=4096)
def _decode(data: str) -> tuple[str, dict[str, str]] | None:
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != VERSION or not parts[1]:
        return None
    args = {}
    for part in parts[2:]:
        name, sep, value = part.partition("=")
        if not sep or not name:
            return None
        args[name] = unquote(value)
    return parts[1], args


def size(trigger: str, arg_lengths: dict[str, int]) -> int:
    """The size in bytes of callback data for ``trigger`` with argument values that long."""
    return len(VERSION) + 1 + len(trigger.encode()) + sum(
        2 + len(name) + length for name, length in arg_lengths.items())
