"""Telegram's HTML shown in the admin's pages: only the tags and links Telegram itself
accepts (parse_mode HTML) survive, whoever wrote the text.

Every writer of a broadcast's text escapes what people typed today; this keeps a page
safe if one day a writer does not (a script in a text would run in a staff member's
session)."""

from __future__ import annotations

import nh3
from markupsafe import Markup

__all__ = ["telegram_html"]

# https://core.telegram.org/bots/api#html-style
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
         "a", "tg-emoji", "code", "pre", "blockquote"}
_ATTRIBUTES = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "tg-emoji": {"emoji-id"},
               "blockquote": {"expandable"}}
_SCHEMES = {"http", "https", "tg", "mailto"}


def telegram_html(text: str | None) -> Markup:
    """``text`` (Telegram HTML) cleaned of everything Telegram would not show."""
    return Markup(nh3.clean(text or "", tags=_TAGS, attributes=_ATTRIBUTES,
                            url_schemes=_SCHEMES, link_rel=None))
