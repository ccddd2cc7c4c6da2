"""Texts as Telegram reads them: HTML parsed by the fake Bot API server's parser (TDLib's
rules), so the checker refuses what Telegram would answer "can't parse entities" to.

A template's placeholders stand for values the renderer escapes, so only its own markup is
parsed; a problem is located in the template, and from there in the YAML source.
"""

from __future__ import annotations

import re
from functools import lru_cache

_OFFSET = re.compile(r"\s*at byte offset (\d+)")
VALUE = "x"  # what a placeholder stands for: rendered values are escaped, so plain text
HINT = "a literal <, > or & is written &lt;, &gt;, &amp;"
TAG_MISTAKES = ("Unmatched end tag", "Can't find end tag")  # tags, not a stray character


def _probe(template: str) -> tuple[str, list[int]]:
    """The template's text with each placeholder as ``VALUE``, and for every character of
    it the index in ``template`` it came from. Raises ValueError for a broken template."""
    out: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(template):
        pair = template[i:i + 2]
        if pair in ("{{", "}}"):
            out.append(pair[0])
            origin.append(i)
            i += 2
        elif template[i] == "{":
            depth, end = 0, i
            while end < len(template):  # a field may nest one in its spec: {x:{width}}
                depth += {"{": 1, "}": -1}.get(template[end], 0)
                if depth == 0:
                    break
                end += 1
            if depth:
                raise ValueError("unclosed '{'")
            out.append(VALUE)
            origin.append(i)
            i = end + 1
        elif template[i] == "}":
            raise ValueError("single '}'")
        else:
            out.append(template[i])
            origin.append(i)
            i += 1
    return "".join(out), origin


def html_problem(template: str) -> tuple[int, str] | None:
    """Why Telegram would refuse ``template`` (its placeholders filled) in HTML: the index
    in ``template`` where it stops and what it says; None when it parses."""
    from faketelegram.parse_html import decode_reference, parse_html
    from faketelegram.textscan import MarkupError

    try:
        probe, origin = _probe(template)
    except ValueError:
        return None  # a broken template is the template check's to report
    data = probe.encode("utf-8", "surrogatepass")
    try:
        parse_html(data)
    except MarkupError as err:
        message = str(err)
        found = _OFFSET.search(message)
        index = len(template)
        if found:
            char = len(data[:int(found.group(1))].decode("utf-8", "replace"))
            index = origin[char] if char < len(origin) else len(template)
            message = _OFFSET.sub("", message)
        elif message.startswith("Can't find end tag"):
            tag = message.split('"')[1] if '"' in message else ""
            index = max(template.lower().rfind(f"<{tag}"), 0)
        return index, f"Telegram cannot parse it as HTML (\"can't parse entities\"): {message}"
    for found in re.finditer(b"&", data):  # Telegram keeps it, but its docs ask for &amp;
        if not decode_reference(data, found.start())[0]:
            char = len(data[:found.start()].decode("utf-8", "replace"))
            return origin[char], ("not HTML as Telegram's Bot API asks: a bare '&' (only &lt; "
                                  "&gt; &amp; &quot; and &#NN; are read; others show as typed)")
    return None


def describe(template: str, index: int, message: str) -> str:
    """``message`` with the text around ``index`` and, when a literal character may be the
    cause, how to write one (a tag left open or closed wrongly is not about escaping)."""
    near = template[index:index + 20].split("\n")[0]
    if any(tag in message for tag in TAG_MISTAKES):
        return f"{message} at {near!r}"
    return f"{message} at {near!r}; {HINT}"


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    try:
        with open(file, encoding="utf-8") as fh:
            return tuple(fh.read().split("\n"))
    except OSError:
        return ()


def _double_quoted(raw: str, index: int) -> int | None:
    """The column offset of value character ``index`` in a double-quoted YAML scalar."""
    column, count = 1, 0  # past the opening quote
    while column < len(raw) and raw[column] != '"':
        if count == index:
            return column
        if raw[column] == "\\":
            column += {"x": 4, "u": 6, "U": 10}.get(raw[column + 1:column + 2], 2)
        else:
            column += 1
        count += 1
    return column if count == index else None


def locate(file: str, line: int, column: int, value: str, index: int) -> tuple[int, int]:
    """Where value character ``index`` is in ``file``, given where the scalar ``value``
    starts; falls back to the start when the scalar's layout is not simple."""
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return line, column
    raw = lines[line - 1][column - 1:]
    if raw.startswith('"'):
        offset = _double_quoted(raw, index)
        return (line, column + offset) if offset is not None else (line, column)
    if raw.startswith("'"):
        body = raw[1:].replace("''", "'")
        if value[:index] == body[:index] and "''" not in raw[:index + 1]:
            return line, column + 1 + index
        return line, column
    if raw.startswith("|"):  # a literal block: the value's lines follow, indented
        before = value[:index].split("\n")
        target = line + len(before)
        if target <= len(lines):
            text = lines[target - 1]
            indent = len(text) - len(text.lstrip(" "))
            return target, indent + len(before[-1]) + 1
        return line, column
    if value[:index] == raw[:index]:  # a plain scalar on one line
        return line, column + index
    return line, column
