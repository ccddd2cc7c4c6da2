"""HTML helpers for texts sent with Telegram's HTML parse mode."""

from __future__ import annotations

from html import escape

ELLIPSIS = "…"


def esc(value: object) -> str:
    """Escape a value for Telegram HTML (``&``, ``<``, ``>``; quotes are harmless outside tags)."""
    return escape(str(value), quote=False)


def truncate_escaped(raw: str, budget: int) -> str:
    """Escape ``raw`` cut so that the result (with ``…``) is at most ``budget`` characters.

    The cut is made in the raw text, before escaping, so it never splits an entity such
    as ``&amp;``; it prefers a word boundary when one is near.
    """
    if len(esc(raw)) <= budget:
        return esc(raw)
    if budget <= len(ELLIPSIS):
        return ""
    room, used, cut = budget - len(ELLIPSIS), 0, 0
    for i, char in enumerate(raw):
        size = len(esc(char))
        if used + size > room:
            break
        used += size
        cut = i + 1
    space = raw.rfind(" ", 0, cut)
    if space > cut * 0.8:
        cut = space
    return esc(raw[:cut].rstrip()) + ELLIPSIS
