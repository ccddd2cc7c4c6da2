"""Texts and templates: ``{user.first_name}`` placeholders, HTML-escaped values."""

from __future__ import annotations

import string
from collections.abc import Mapping
from html import escape

from engine.spec import Text


class Html(str):
    """A value that is already HTML and is inserted into a template unescaped."""


_MISSING = object()


def resolve(path: str, scope: Mapping[str, object]) -> object:
    """Look ``a.b.c`` up in ``scope``: mapping keys or attributes, ``None`` when absent."""
    parts = path.split(".")
    value = scope.get(parts[0], _MISSING)
    if value is _MISSING:
        return None
    return walk(value, parts[1:])


def walk(value: object, parts) -> object:
    """``value``'s ``b.c`` for ``parts`` ``("b", "c")``, as :func:`resolve` goes past the
    root: mapping keys or attributes, methods called, ``None`` when absent."""
    for part in parts:
        if value is None:
            return None
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if callable(value) and not isinstance(value, type):
            value = value()
    return value


class _Formatter(string.Formatter):
    def __init__(self, escape_values: bool) -> None:
        super().__init__()
        self.escape_values = escape_values

    def get_field(self, field_name, args, kwargs):
        return resolve(field_name, kwargs), field_name

    def format_field(self, value, format_spec):
        if value is None:
            return ""
        text = format(value, format_spec)
        if self.escape_values and not isinstance(value, Html):
            return escape(text, quote=False)
        return text


_html = _Formatter(escape_values=True)
_plain = _Formatter(escape_values=False)


_parsed: dict[str, list | None] = {}  # template -> its parts, parsed once (None: unusual)


def _parse(template: str) -> list | None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return None  # vformat raises it again, with its message
    if any(name is not None and (not name or "{" in spec) for _, name, spec, _ in parts):
        return None  # automatic numbering, nested fields: vformat's business
    return parts


def parse(template: str) -> list | None:
    """``template``'s parts as ``string.Formatter.parse`` gives them (parsed once), or
    ``None`` for what only ``vformat`` handles (automatic numbering, nested fields, errors)."""
    parts = _parsed.get(template, _MISSING)
    if parts is _MISSING:
        if len(_parsed) > 4096:
            _parsed.clear()
        parts = _parsed[template] = _parse(template)
    return parts


def render(template: str, scope: Mapping[str, object], html: bool = True) -> str:
    """Fill ``template``'s placeholders from ``scope`` (escaped for HTML unless ``Html``)."""
    if "{" not in template:
        return template
    formatter = _html if html else _plain
    parts = parse(template)
    if parts is None:
        return formatter.vformat(template, (), scope)
    out = []  # what vformat does, without parsing the template again on every call
    for literal, name, spec, conversion in parts:
        if literal:
            out.append(literal)
        if name is not None:
            value = resolve(name, scope)
            if conversion:
                value = formatter.convert_field(value, conversion)
            out.append(formatter.format_field(value, spec))
    return "".join(out)


def placeholders(template: str) -> list[str]:
    """The field paths a template uses (``["user.first_name", ...]``); raises ValueError."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


class Catalog:
    """The texts of every language, with a fallback to the default language."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]], default_language: str) -> None:
        self.texts = texts
        self.default = default_language

    def has(self, key: str, lang: str) -> bool:
        return key in self.texts.get(lang, {})

    def raw(self, key: str, lang: str) -> str:
        table = self.texts.get(lang) or {}
        if key in table:
            return table[key]
        return self.texts[self.default][key]

    def text(self, text: Text, lang: str, scope: Mapping[str, object], html: bool = True) -> str:
        """Render a :class:`Text`: the catalog's template for a key, else the inline template."""
        template = self.raw(text.raw, lang) if text.is_key else text.raw
        return render(template, scope, html)
