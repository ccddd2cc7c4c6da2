"""Formatted text as Telegram reads it: ``parse_mode`` markup, clean-up, trimming and entities.

The parsers (:mod:`.parse_html`, :mod:`.parse_markdown`) follow TDLib's closely enough to reject
what Telegram rejects, with the same wording and byte offsets, so a bot that sends broken HTML
or unescaped MarkdownV2 fails here as it would in production. They return the text a user sees
and its entities (offsets in UTF-16 code units, as in the Bot API).

Telegram then cleans the text (control characters become spaces, ``\\r`` is dropped), trims
spaces and newlines at both ends, and counts what is left in Unicode code points; so does
:func:`format_text`, and its result's ``length`` is what the 4096/1024 limits apply to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import bad_request
from .parse_html import parse_html
from .parse_markdown import parse_markdown, parse_markdown_v2
from .textscan import MarkupError

__all__ = ["FormattedText", "format_text", "utf16_len"]

_PARSERS = {"html": parse_html, "markdown": parse_markdown, "markdownv2": parse_markdown_v2}


@dataclass
class FormattedText:
    """The visible text and its entities, after parsing, cleaning and trimming."""

    text: str
    entities: list[dict] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Length as Telegram's limits count it: Unicode code points."""
        return len(self.text)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def format_text(text: str, parse_mode: str | None) -> FormattedText:
    """Parse ``text`` in ``parse_mode`` (HTML, Markdown, MarkdownV2 or none), clean and trim it.

    Raises :class:`~.errors.ApiError` 400 for an unknown parse mode, or for markup Telegram
    cannot parse ("can't parse entities: ...").
    """
    mode = (parse_mode or "").strip().lower()
    source = _clean(text)
    if mode in ("", "none"):
        return _trim(source, [])
    parser = _PARSERS.get(mode)
    if parser is None:
        raise bad_request("unsupported parse_mode")
    try:
        plain, entities = parser(source.encode("utf-8", "surrogatepass"))
    except MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    return _trim(plain, entities)


def _clean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char == "\r" or 0x2028 <= code <= 0x202E:
            continue
        out.append(" " if code < 32 and char != "\n" else char)
    return "".join(out)


def _trim(text: str, entities: list[dict]) -> FormattedText:
    stripped = text.rstrip(" \n")
    kept_end = utf16_len(stripped)
    left = len(stripped) - len(stripped.lstrip(" \n"))
    shift = utf16_len(stripped[:left])
    first_entity = min((e["offset"] for e in entities), default=None)
    if first_entity is not None and first_entity < shift:
        # TDLib never trims into an entity; entities start on a character boundary
        left = len(
            text.encode("utf-16-le", "surrogatepass")[: first_entity * 2].decode("utf-16-le")
        )
        shift = first_entity
    result = []
    for item in entities:
        start, end = item["offset"], min(item["offset"] + item["length"], kept_end)
        if end > start:
            result.append({**item, "offset": start - shift, "length": end - start})
    return FormattedText(stripped[left:], result)
