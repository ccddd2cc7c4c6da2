"""``parse_mode=HTML`` as TDLib parses it (``parse_html`` in td/telegram/MessageEntity.cpp).

Supported tags: b/strong, i/em, u/ins, s/strike/del, tg-spoiler, span class="tg-spoiler", a
href, code (class="language-x" inside pre), pre, blockquote (expandable), tg-emoji, tg-time.
Character references: ``&lt; &gt; &amp; &quot;`` and numeric ones; any other ``&`` is literal.
Errors carry TDLib's wording and byte offsets into the UTF-8 source.
"""

from __future__ import annotations

from .textscan import SPACES, MarkupError, Reader, entity

__all__ = ["parse_html"]

_TAGS = frozenset(
    ["a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji"]
    + ["tg-time", "span", "pre", "code", "blockquote"]
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {b"lt": 60, b"gt": 62, b"amp": 38, b"quot": 34}


def decode_reference(data: bytes, pos: int) -> tuple[int, int]:
    """The code point of the character reference at ``pos`` (0 if none) and the end position."""
    end = pos + 1
    code = 0
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < len(data) and chr(data[end]) in digits:
            code = code * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        code = _NAMED.get(data[pos + 1 : end], 0)
        if not code:
            return 0, pos
    if data[end : end + 1] == b";":
        end += 1
    return code, end


def parse_html(data: bytes) -> tuple[str, list[dict]]:
    """The visible text and entities of HTML-formatted UTF-8 ``data``; raises MarkupError."""
    reader = Reader(data)
    entities: list[dict] = []
    nested: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, output position
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == ord("&"):
            code, end = decode_reference(data, i)
            if code:
                reader.add_char(code)
                i = end
                continue
        if byte != ord("<"):
            reader.copy(byte)
            i += 1
            continue
        if reader.at(i + 1) != ord("/"):
            i = _start_tag(reader, i, nested)
            continue
        begin = i
        i += 1
        if not nested:
            raise MarkupError(f"Unexpected end tag at byte offset {begin}")
        while reader.at(i) not in SPACES and reader.at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while reader.at(i) != 0 and reader.at(i) in SPACES:
            i += 1
        if reader.at(i) != ord(">"):
            raise MarkupError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, offset, out_begin = nested[-1]
        if end_tag and end_tag != tag:
            raise MarkupError(
                f"Unmatched end tag at byte offset {begin},"
                f' expected "</{tag}>", found "</{end_tag}>"'
            )
        nested.pop()
        if reader.utf16 > offset:
            inner = bytes(reader.out[out_begin:]).decode("utf-8", "replace")
            _close(entities, tag, argument, offset, reader.utf16 - offset, inner)
        i += 1
    if nested:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    for item in entities:
        if item["type"] == "code":
            item.pop("language", None)  # a language belongs to pre only
    entities.sort(key=lambda item: (item["offset"], -item["length"]))
    return reader.text(), entities


def _start_tag(reader: Reader, begin: int, nested: list[tuple[str, str, int, int]]) -> int:
    """Read the start tag at ``begin``, push it on ``nested``; returns the position after it."""
    at, data = reader.at, reader.data
    i = begin + 1
    while at(i) not in SPACES and at(i) != ord(">"):
        i += 1
    if at(i) == 0:
        raise MarkupError(f"Unclosed start tag at byte offset {begin}")
    tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
    if tag not in _TAGS:
        raise MarkupError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while at(i) != ord(">"):
        while at(i) != 0 and at(i) in SPACES:
            i += 1
        if at(i) == ord(">"):
            break
        name_begin = i
        while at(i) not in SPACES and reader.char(i) not in "=>/\"'":
            i += 1
        name = data[name_begin:i].decode("utf-8", "replace")
        if not name:
            raise MarkupError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while at(i) != 0 and at(i) in SPACES:
            i += 1
        if at(i) != ord("="):
            if at(i) == 0:
                raise MarkupError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        i += 1
        while at(i) != 0 and at(i) in SPACES:
            i += 1
        if at(i) == 0:
            raise MarkupError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, i = _attribute_value(reader, i)
        if at(i) == 0:
            raise MarkupError(f"Unclosed start tag at byte offset {begin}")
        argument = _argument(tag, name, value, argument)
    if tag == "span" and argument != "spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    nested.append((tag, argument, reader.utf16, len(reader.out)))
    return i + 1


def _attribute_value(reader: Reader, i: int) -> tuple[str, int]:
    at = reader.at
    if reader.char(i) not in "'\"":
        # a name token: letters, digits, periods and hyphens, not case-sensitive
        token_begin = i
        while reader.char(i).isascii() and (reader.char(i).isalnum() or reader.char(i) in ".-"):
            i += 1
        if at(i) not in SPACES and at(i) != ord(">"):
            raise MarkupError(f"Unexpected end of name token at byte offset {token_begin}")
        return reader.data[token_begin:i].decode("ascii").lower(), i
    quote = at(i)
    i += 1
    raw = bytearray()
    while at(i) != quote and at(i) != 0:
        if at(i) == ord("&"):
            code, end = decode_reference(reader.data, i)
            if code:
                raw += chr(code).encode("utf-8", "surrogatepass")
                i = end
                continue
        raw.append(at(i))
        i += 1
    if at(i) == quote:
        i += 1
    return raw.decode("utf-8", "replace"), i


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[9:]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "1"
    return current


def _close(
    entities: list[dict], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
    if tag in _SIMPLE:
        entities.append(entity(_SIMPLE[tag], offset, length))
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise MarkupError("Invalid custom emoji identifier specified")
        entities.append(entity("custom_emoji", offset, length, custom_emoji_id=argument))
    elif tag == "a":
        url = argument or inner
        if url:
            entities.append(entity("text_link", offset, length, url=url))
    elif tag == "pre":
        if same_span and last is not None and last["type"] == "code" and "language" in last:
            last["type"] = "pre"  # <pre><code class="language-x">
        else:
            entities.append(entity("pre", offset, length))
    elif tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument  # <code class="language-x"> directly in <pre>
        else:
            extra = {"language": argument} if argument else {}
            entities.append(entity("code", offset, length, **extra))
    elif tag == "blockquote":
        entities.append(
            entity("expandable_blockquote" if argument else "blockquote", offset, length)
        )
    # tg-time makes a date entity only with a valid date; the fake makes none
