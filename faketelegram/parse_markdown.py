"""``parse_mode=Markdown`` and ``MarkdownV2`` as TDLib parses them.

Ports of ``parse_markdown`` and ``parse_markdown_v2`` (td/telegram/MessageEntity.cpp), keeping
their error messages: an unescaped reserved character in MarkdownV2 is
"Character '.' is reserved and must be escaped with the preceding '\\'", an unclosed marker
is "Can't find end of Bold entity at byte offset 3" (V2) or "Can't find end of the entity
starting at byte offset 3" (legacy). Custom emoji must use ``tg://emoji?id=``; ``tg://time``
links are accepted and make no entity.
"""

from __future__ import annotations

from dataclasses import dataclass

from .textscan import SPACES, MarkupError, Reader, entity

__all__ = ["parse_markdown", "parse_markdown_v2"]

_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
    "expandable_blockquote": "ExpandableBlockQuote",
}
_RESERVED = "_*[]()~`>#+-=|{}.!\n"


def parse_markdown(data: bytes) -> tuple[str, list[dict]]:
    """Legacy Markdown: ``*bold*``, ``_italic_``, ```code```, ``[text](url)``, pre blocks."""
    reader = Reader(data)
    at, char = reader.at, reader.char
    entities: list[dict] = []
    size = len(data)
    i = 0
    while i < size:
        byte = data[i]
        if byte == ord("\\") and at(i + 1) and char(i + 1) in "_*`[":
            reader.add_char(data[i + 1])
            i += 2
            continue
        if chr(byte) not in "_*`[":
            reader.copy(byte)
            i += 1
            continue
        begin = i
        end_char = ord("]") if byte == ord("[") else byte
        is_pre, language = False, ""
        i += 1
        if byte == ord("`") and at(i) == ord("`") and at(i + 1) == ord("`"):
            is_pre, (language, i) = True, _pre_language(reader, i + 2)
        offset = reader.utf16
        while i < size and (
            at(i) != end_char or (is_pre and not (at(i + 1) == ord("`") and at(i + 2) == ord("`")))
        ):
            reader.copy(data[i])
            i += 1
        if i == size:
            raise MarkupError(f"Can't find end of the entity starting at byte offset {begin}")
        length = reader.utf16 - offset
        if byte == ord("["):
            if at(i + 1) != ord("("):
                url = data[begin + 1 : i].decode("utf-8", "replace")
            else:
                url_begin = i = i + 2
                while i < size and data[i] != ord(")"):
                    i += 1
                url = data[url_begin:i].decode("utf-8", "replace")
            if length and url:
                entities.append(entity("text_link", offset, length, url=url))
        elif length:
            if is_pre:
                extra = {"language": language} if language else {}
                entities.append(entity("pre", offset, length, **extra))
            else:
                kind = {ord("_"): "italic", ord("*"): "bold", ord("`"): "code"}[byte]
                entities.append(entity(kind, offset, length))
        i += 3 if is_pre else 1
    return reader.text(), entities


def _pre_language(reader: Reader, i: int) -> tuple[str, int]:
    """After an opening ```, read an optional language and skip one line break."""
    at = reader.at
    language = ""
    language_end = i
    while at(language_end) not in SPACES and at(language_end) != ord("`"):
        language_end += 1
    if i != language_end and language_end < len(reader.data) and at(language_end) != ord("`"):
        language = reader.data[i:language_end].decode("utf-8", "replace")
        i = language_end
    if at(i) in (10, 13):
        i += 2 if at(i + 1) in (10, 13) and at(i) != at(i + 1) else 1
    return language, i


@dataclass
class _Open:
    kind: str
    argument: str
    offset: int  # UTF-16 offset in the visible text
    byte_offset: int  # in the source, for error messages
    out_begin: int  # position in the visible text's bytes


def parse_markdown_v2(data: bytes) -> tuple[str, list[dict]]:  # noqa: C901 - a faithful port
    """MarkdownV2: every reserved character outside an entity must be escaped."""
    reader = Reader(data)
    at = reader.at
    entities: list[dict] = []
    nested: list[_Open] = []
    have_blockquote = False
    can_start_blockquote = True
    size = len(data)
    i = 0
    while i < size:
        byte = data[i]
        if byte == ord("\\") and 0 < at(i + 1) <= 126:
            reader.add_char(data[i + 1])
            if data[i + 1] != 13:
                can_start_blockquote = data[i + 1] == 10
            i += 2
            continue
        reserved = "`" if nested and nested[-1].kind in ("code", "pre", "pre_code") else _RESERVED
        if chr(byte) not in reserved:
            if byte & 0xC0 != 0x80 and byte != 13:
                can_start_blockquote = False
            reader.copy(byte)
            i += 1
            continue
        if not _ends_entity(reader, i, nested, have_blockquote):
            kind, argument, start = _begin_entity(reader, i, can_start_blockquote)
            if kind == "newline":
                reader.copy(10)
                can_start_blockquote = True
            elif kind == "blockquote" and have_blockquote:
                pass  # a ">" continuing the current quote
            else:
                have_blockquote = have_blockquote or kind == "blockquote"
                nested.append(_Open(kind, argument, reader.utf16, i, len(reader.out)))
            i = start + 1
            continue
        kind = nested[-1].kind
        if byte == 10 and kind != "blockquote":
            opened = nested[-1]
            if kind != "spoiler" or not (
                opened.byte_offset == i - 2
                or (opened.byte_offset == i - 3 and reader.out[-1:] == b"\r")
            ):
                raise _unclosed(opened)
            nested.pop()
            if nested[-1].kind != "blockquote":
                raise _unclosed(nested[-1])
            kind = "expandable_blockquote"
        opened = nested[-1]
        argument, skip = opened.argument, reader.utf16 == opened.offset
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind == "text_link":
            if at(i + 1) != ord("("):
                url = bytes(reader.out[opened.out_begin :]).decode("utf-8", "replace")
            else:
                url, i = _read_url(reader, i + 2)
            skip, argument = skip or not url, url
        elif kind == "custom_emoji":
            if at(i + 1) != ord("("):
                raise MarkupError("The entity must contain a tg://emoji or tg://time URL")
            url, i = _read_url(reader, i + 2)
            if url.startswith("tg://emoji?id=") and url[14:].isdigit():
                argument = url[14:]
            elif url.startswith("tg://time?unix="):
                skip = True
            else:
                raise MarkupError("Invalid tg://emoji or tg://time URL specified")
        elif kind in ("blockquote", "expandable_blockquote"):
            have_blockquote, can_start_blockquote, skip = False, True, False
            reader.copy(byte)
        if not skip:
            entities.append(_make(kind, argument, opened.offset, reader.utf16 - opened.offset))
        nested.pop()
        i += 1
    if have_blockquote:
        kind = "blockquote"
        if nested[-1].kind == "spoiler" and nested[-1].byte_offset == size - 2:
            nested.pop()
            kind = "expandable_blockquote"
        if nested[-1].kind == "blockquote":
            length = reader.utf16 - nested[-1].offset
            if length:
                entities.append(entity(kind, nested[-1].offset, length))
            nested.pop()
    if nested:
        raise _unclosed(nested[-1])
    entities.sort(key=lambda item: (item["offset"], -item["length"]))
    return reader.text(), entities


def _unclosed(opened: _Open) -> MarkupError:
    return MarkupError(
        f"Can't find end of {_NAMES[opened.kind]} entity at byte offset {opened.byte_offset}"
    )


def _reserved(char: str) -> MarkupError:
    return MarkupError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _ends_entity(reader: Reader, i: int, nested: list[_Open], have_blockquote: bool) -> bool:
    if not nested:
        return False
    at, byte = reader.at, reader.at(i)
    if have_blockquote and byte == 10 and (i + 1 == len(reader.data) or at(i + 1) != ord(">")):
        return True
    kind = nested[-1].kind
    if kind == "bold":
        return byte == ord("*")
    if kind == "italic":
        return byte == ord("_") and at(i + 1) != ord("_")
    if kind == "underline":
        return byte == ord("_") and at(i + 1) == ord("_")
    if kind == "code":
        return byte == ord("`")
    if kind in ("pre", "pre_code"):
        return byte == ord("`") and at(i + 1) == ord("`") and at(i + 2) == ord("`")
    if kind in ("text_link", "custom_emoji"):
        return byte == ord("]")
    if kind == "strikethrough":
        return byte == ord("~")
    if kind == "spoiler":
        return byte == ord("|") and at(i + 1) == ord("|")
    return False  # a blockquote ends only at a line break


def _begin_entity(reader: Reader, i: int, can_start_blockquote: bool) -> tuple[str, str, int]:
    """The kind of entity a reserved character at ``i`` opens, its argument, its last byte."""
    at, char = reader.at, reader.char(i)
    if char == "_":
        return ("underline", "", i + 1) if at(i + 1) == ord("_") else ("italic", "", i)
    if char in "*~[":
        return {"*": "bold", "~": "strikethrough", "[": "text_link"}[char], "", i
    if char == "|" and at(i + 1) == ord("|"):
        return "spoiler", "", i + 1
    if char == "!" and at(i + 1) == ord("["):
        return "custom_emoji", "", i + 1
    if char == "`":
        if at(i + 1) == ord("`") and at(i + 2) == ord("`"):
            language, end = _pre_language(reader, i + 3)
            return ("pre_code" if language else "pre"), language, end - 1
        return "code", "", i
    if char == "\n":
        return "newline", "", i
    if char == ">" and can_start_blockquote:
        return "blockquote", "", i
    raise _reserved(char)


def _read_url(reader: Reader, i: int) -> tuple[str, int]:
    """Read a ``(url)`` body starting after the parenthesis; returns it and the ``)`` position."""
    at = reader.at
    url_begin = i
    raw = bytearray()
    while i < len(reader.data) and at(i) != ord(")"):
        if at(i) == ord("\\") and 0 < at(i + 1) <= 126:
            raw.append(at(i + 1))
            i += 2
            continue
        raw.append(at(i))
        i += 1
    if at(i) != ord(")"):
        raise MarkupError(f"Can't find end of a URL at byte offset {url_begin}")
    return raw.decode("utf-8", "replace"), i


def _make(kind: str, argument: str, offset: int, length: int) -> dict:
    if kind == "pre_code":
        return entity("pre", offset, length, language=argument)
    if kind == "text_link":
        return entity("text_link", offset, length, url=argument)
    if kind == "custom_emoji":
        return entity("custom_emoji", offset, length, custom_emoji_id=argument)
    return entity(kind, offset, length)
