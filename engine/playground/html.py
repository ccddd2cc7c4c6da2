"""A message's text as the browser should show it: Telegram's reading of the markup (the
fake server's parser), then our own escaped HTML, so a text can never inject anything."""

from __future__ import annotations

from html import escape

from faketelegram.entities import format_text
from faketelegram.errors import ApiError

# entity type -> (opening tag, closing tag); a link's opening tag is built from its url
_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "spoiler": ('<span class="spoiler" title="spoiler: click to show">', "</span>"),
}
_SCHEMES = ("http://", "https://", "tg://", "mailto:")


def _open(entity: dict) -> tuple[str, str]:
    if entity["type"] == "text_link":
        url = str(entity.get("url", ""))
        if not url.lower().startswith(_SCHEMES):
            return "", ""
        return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">', "</a>"
    return _TAGS.get(entity["type"], ("", ""))


def to_html(text: str, parse_mode: str | None) -> str:
    """``text`` (sent with ``parse_mode``) as safe HTML: Telegram's subset only (b, i, u, s,
    code, pre, links, blockquote, spoiler), everything else escaped; newlines kept."""
    try:
        formatted = format_text(text or "", parse_mode)
    except ApiError:  # the stub sender refuses what Telegram refuses: shown as it is
        return escape(text or "")
    units = formatted.text.encode("utf-16-le", "surrogatepass")
    opens: dict[int, list[tuple[int, str, str]]] = {}
    for entity in formatted.entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        opening, closing = _open(entity)
        if opening:
            opens.setdefault(start, []).append((end, opening, closing))
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end, closing tag) of the open elements, innermost last
    position = 0
    total = len(units) // 2
    while position <= total:
        while stack and stack[-1][0] <= position:
            out.append(stack.pop()[1])
        # outer (longer) entities open first, so nesting stays well formed
        for end, opening, closing in sorted(opens.get(position, []), key=lambda e: -e[0]):
            out.append(opening)
            stack.append((end, closing))
        if position == total:
            break
        step = 2 if 0xD800 <= int.from_bytes(units[position * 2:position * 2 + 2],
                                              "little") <= 0xDBFF else 1
        out.append(escape(units[position * 2:(position + step) * 2].decode("utf-16-le")))
        position += step
    out.extend(closing for _, closing in reversed(stack))
    return "".join(out)
