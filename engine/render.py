"""From a state's screen and the context to messages: text, photo, buttons, keyboards."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field

from engine import callback, spec
from engine.templates import Html, parse, render, resolve, walk

logger = logging.getLogger(__name__)
MESSAGE_LIMIT, CAPTION_LIMIT = 4096, 1024
BUTTONS_LIMIT, ROW_LIMIT = 100, 8  # Telegram's: inline buttons per message, and per row


@dataclass
class InlineButton:
    label: str
    data: str


@dataclass
class Inline:
    rows: list[list[InlineButton]]
    # a cached screen's markup, shared by every message that shows it and so never changed,
    # keeps here what is derived from it ({"json": the Bot API's JSON}, made once); None:
    # a markup of one message, derived afresh
    derived: dict | None = field(default=None, repr=False, compare=False)


@dataclass
class ReplyKeyboard:
    name: str
    rows: list[list[tuple[str, bool]]]  # (label, request_contact)


@dataclass
class RemoveKeyboard:
    """Takes the reply keyboard away (Telegram's ``{"remove_keyboard": true}``): sent when
    the user has a state's keyboard that the new screen does not show, in a bot without a
    main keyboard to put back."""


@dataclass
class Message:
    """A message to send or to edit into place."""

    text: str
    photo: str | None = None
    markup: Inline | ReplyKeyboard | RemoveKeyboard | None = None
    # (markup, text, photo, parse_mode, digest) of the last fingerprint: valid while they
    # are the same objects (a cached screen's markup is shared and never changed, only
    # replaced, as the engine does to put a keyboard on the message)
    digest: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return "photo" if self.photo else "text"


@dataclass
class Plan:
    """What a screen shows: item messages (``each_message``) then the main message."""

    main: Message
    items: list[Message] = field(default_factory=list)
    keyboard: ReplyKeyboard | None = None


@functools.lru_cache(maxsize=1024)
def _bare(trigger: str) -> str:
    """The callback data of a button without arguments (the same on every screen)."""
    return callback.encode(trigger)


def fingerprint(message: Message, parse_mode: str | None) -> str:
    """A short digest of everything a message shows: two messages with the same digest
    look the same in the chat (so editing one into the other changes nothing)."""
    known = message.digest
    if known is not None and known[0] is message.markup and known[1] is message.text and \
            known[2] is message.photo and known[3] == parse_mode:
        return known[4]
    digest = _digest(message, parse_mode)
    message.digest = (message.markup, message.text, message.photo, parse_mode, digest)
    return digest


def _digest(message: Message, parse_mode: str | None) -> str:
    markup = message.markup
    if isinstance(markup, Inline):
        keys = "\x1d".join("\x1e".join(f"{b.label}\x1f{b.data}" for b in row)
                           for row in markup.rows)
    elif isinstance(markup, ReplyKeyboard):
        keys = "reply\x1d" + markup.name
    elif isinstance(markup, RemoveKeyboard):
        keys = "remove"
    else:
        keys = ""
    raw = f"{message.text}\x1c{message.photo or ''}\x1c{keys}\x1c{parse_mode or ''}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")


def fit(text: str, limit: int, *, html_text: bool = True) -> str:
    """``text`` within Telegram's ``limit``, cut with "…" at a line end where one is near.

    An HTML text is cut between tags and entities, and the tags still open are closed, so
    the result still parses; a plain text is cut anywhere.
    """
    if len(text) <= limit:
        return text
    logger.warning("text of %d characters cut to Telegram's %d", len(text), limit)
    tokens = _TOKEN.findall(text) if html_text else list(text)
    out: list[str] = []
    open_tags: list[str] = []
    size, line_end = 0, None  # line_end: (tokens kept, tags open) at the last newline

    def closers(tags: list[str]) -> str:
        return "".join(f"</{tag}>" for tag in reversed(tags))

    for token in tokens:
        tags = open_tags
        match = _TAG.match(token) if html_text and token.startswith("<") else None
        if match:
            name = match.group(2).lower()
            if match.group(1):
                tags = open_tags[:len(open_tags) - 1 - open_tags[::-1].index(name)] \
                    if name in open_tags else open_tags
            elif not token.endswith("/>"):
                tags = [*open_tags, name]
        if size + len(token) + 1 + len(closers(tags)) > limit:
            break
        if token == "\n":
            line_end = (len(out), list(open_tags))
        out.append(token)
        size += len(token)
        open_tags = tags
    if line_end and line_end[0] * 2 >= len(out):
        kept, open_tags = out[:line_end[0]], line_end[1]
    else:
        kept = out
    return "".join(kept) + "…" + closers(open_tags)


def _within_limit(rows: list[list[InlineButton]]) -> list[list[InlineButton]]:
    """The rows cut at Telegram's 100 buttons (only fixed rows past any page can get here;
    the checker reports such a screen)."""
    if sum(map(len, rows)) <= BUTTONS_LIMIT:
        return rows
    logger.warning("inline keyboard of %d buttons cut to Telegram's %d", sum(map(len, rows)),
                   BUTTONS_LIMIT)
    kept, room = [], BUTTONS_LIMIT
    for row in rows:
        if room <= 0:
            break
        kept.append(row[:room])
        room -= len(kept[-1])
    return kept


# what a screen's placeholders can name besides its data sources: Context's attributes
ROOTS = ("user", "data", "params", "args", "lang", "state", "page")
# values whose equality means "formats the same" once their type is in the key (1 == True
# == 1.0, and Decimal("1.0") == Decimal("1.00"), format differently: floats and decimals,
# and every other type, make a screen render afresh)
_PLAIN = frozenset({str, int, bool, type(None), Html})
_UNCACHED = object()
# the cache is keyed by values users can choose (a name, what they typed), so it is bounded
# in entries and in what an entry holds: an attacker typing text after text only makes the
# kept screens render again. A longer text value is most likely typed and shown to its
# user alone (no hit to win), so a screen showing one renders afresh and is not kept.
SCREENS_CACHED = 256  # rendered variants kept per state and language
SCREENS_KEPT = 4096  # and by a renderer in all (then every state starts again)
VALUE_KEPT = 128  # characters of a text value in a kept screen's key, at most


class _Static:
    """A screen that depends on nothing but its placeholders' values: no data sources,
    no lists. Its rendered messages are kept by those values (and their types), so the
    next user who sees the same values gets them without rendering: the same text, the
    same markup objects (shared, never changed), the digest already taken."""

    __slots__ = ("paths", "flags", "rendered")

    def __init__(self, paths: list[tuple[str, tuple[str, ...]]],
                 flags: list[tuple[str, tuple[str, ...]]]) -> None:
        self.paths, self.flags = paths, flags  # (root, rest): values, and truth values
        self.rendered: dict[tuple, tuple] = {}

    def key(self, ctx) -> tuple | None:
        """The values the screen shows for ``ctx``, or None when one is not plain (or is
        a text too long to keep)."""
        key = []
        for root, rest in self.paths:
            value = walk(getattr(ctx, root), rest)
            kind = type(value)
            if kind not in _PLAIN or (kind is str or kind is Html) and len(value) > VALUE_KEPT:
                return None
            key.append(kind)
            key.append(value)
        for root, rest in self.flags:
            key.append(bool(walk(getattr(ctx, root), rest)))
        return tuple(key)


class Renderer:
    def __init__(self, flowset) -> None:
        self.flowset = flowset
        self.catalog = flowset.catalog
        self.html = flowset.bot.parse_mode == "HTML"
        self.parse_mode = flowset.bot.parse_mode
        self._static: dict[tuple[str, str], _Static | None] = {}  # (state, lang)
        self._kept = 0  # screens kept by every state (counted without a lock: a bound)

    def _compile(self, state: spec.State, lang: str) -> _Static | None:
        """What ``state``'s screen depends on in ``lang``, when it depends on nothing but
        its placeholders (else None: it is rendered afresh every time)."""
        screen = state.screen
        if screen.data or screen.each_message or \
                any(not isinstance(entry, spec.Row) for entry in screen.buttons):
            return None
        templates: list[str] = []
        conditions: list[str] = []
        try:
            if screen.text:
                templates.append(self._template(screen.text, lang))
            if screen.photo:
                templates.append(screen.photo)
            for row in screen.buttons:
                for button in row.buttons:
                    templates.append(self._template(button.label, lang))
                    templates.extend(button.args.values())
                    conditions.extend(c for c in (button.when, button.unless) if c)
            keyboard = screen.keyboard or self.flowset.bot.keyboard
            for key in keyboard.buttons if keyboard else ():
                templates.append(self._template(key.label, lang))
                conditions.extend(c for c in (key.when, key.unless) if c)
        except KeyError:
            return None  # a missing text: rendering says so
        paths: dict[str, None] = {}
        for template in templates:
            if "{" not in template:
                continue
            parts = parse(template)
            if parts is None:
                return None
            paths.update((name, None) for _, name, _, _ in parts if name is not None)

        def split(path: str) -> tuple[str, tuple[str, ...]] | None:
            root, *rest = path.split(".")
            return (root, tuple(rest)) if root in ROOTS else None  # else always None
        return _Static([p for p in map(split, paths) if p],
                       [p for p in map(split, dict.fromkeys(conditions)) if p])

    def _template(self, text: spec.Text, lang: str) -> str:
        return self.catalog.raw(text.raw, lang) if text.is_key else text.raw

    def scope(self, ctx, screen: spec.Screen) -> dict:
        scope = {"user": ctx.user, "data": ctx.data, "params": ctx.params, "args": ctx.args,
                 "lang": ctx.lang, "state": ctx.state, "page": ctx.page}
        for name, source in screen.data.items():
            scope[name] = self.flowset.registry.get("data_source", source).func(ctx)
        return scope

    def text(self, text: spec.Text, ctx, scope: dict) -> str:
        return self.catalog.text(text, ctx.lang, scope, self.html)

    def label(self, text: spec.Text, ctx, scope: dict) -> str:
        return self.catalog.text(text, ctx.lang, scope, html=False)

    def _button(self, button: spec.Button, ctx, scope: dict) -> InlineButton | None:
        if button.when and not resolve(button.when, scope):
            return None
        if button.unless and resolve(button.unless, scope):
            return None
        if not button.args:
            return InlineButton(self.label(button.label, ctx, scope), _bare(button.trigger))
        args = {name: render(value, scope, html=False) for name, value in button.args.items()}
        return InlineButton(self.label(button.label, ctx, scope),
                            callback.encode(button.trigger, args))

    @staticmethod
    def page_sizes(entries: list) -> dict[int, int]:
        """Items per page of each ``each`` entry (by index), so that the whole keyboard,
        its fixed buttons and previous/next included, stays within Telegram's 100 buttons:
        the declared ``page_size`` when it fits, else as many as fit."""
        eaches = [i for i, entry in enumerate(entries) if isinstance(entry, spec.Each)]
        if not eaches:
            return {}
        fixed = sum(len(entry.buttons) for entry in entries if isinstance(entry, spec.Row))
        share = max(0, BUTTONS_LIMIT - fixed - 2 * len(eaches)) // len(eaches)
        sizes = {}
        for i in eaches:
            fit_in = max(1, share // max(1, len(entries[i].buttons)))
            sizes[i] = min(entries[i].page_size or fit_in, fit_in)
        return sizes

    def inline(self, entries: list, ctx, scope: dict) -> Inline | None:
        rows: list[list[InlineButton]] = []
        sizes = self.page_sizes(entries)
        for index, entry in enumerate(entries):
            if isinstance(entry, spec.Row):
                row = [b for button in entry.buttons if (b := self._button(button, ctx, scope))]
                rows.extend(row[i:i + ROW_LIMIT] for i in range(0, len(row), ROW_LIMIT))
                continue
            items = list(self.flowset.registry.get("data_source", entry.source).func(ctx) or [])
            page, pages, size = ctx.page, 1, sizes[index]
            if len(items) > size:
                pages = -(-len(items) // size)
                page = min(max(page, 0), pages - 1)
                items = items[page * size:(page + 1) * size]
            if entry.row:
                for item in items:
                    item_scope = {**scope, "item": item}
                    row = [b for button in entry.row
                           if (b := self._button(button, ctx, item_scope))]
                    rows.extend(row[i:i + ROW_LIMIT] for i in range(0, len(row), ROW_LIMIT))
            else:
                buttons = [b for item in items
                           if (b := self._button(entry.button, ctx, {**scope, "item": item}))]
                columns = min(entry.columns, ROW_LIMIT)
                rows.extend(buttons[i:i + columns] for i in range(0, len(buttons), columns))
            if pages > 1:
                nav = []
                if page > 0:
                    nav.append(InlineButton(self.label(spec.Text("engine.previous"), ctx, scope),
                                            callback.encode(spec.PAGE_TRIGGER, {"page": page - 1})))
                if page < pages - 1:
                    nav.append(InlineButton(self.label(spec.Text("engine.next"), ctx, scope),
                                            callback.encode(spec.PAGE_TRIGGER, {"page": page + 1})))
                rows.append(nav)
        return Inline(_within_limit(rows)) if rows else None

    def keyboard(self, keyboard: spec.Keyboard, name: str, ctx, scope: dict) -> ReplyKeyboard:
        labels = [(label, b.request_contact) for b in keyboard.buttons
                  if not (b.when and not resolve(b.when, scope))
                  and not (b.unless and resolve(b.unless, scope))
                  and (label := self.label(b.label, ctx, scope))]
        columns = keyboard.columns
        # the language is part of the name: the engine resends a keyboard whose name changed,
        # so switching language brings the keyboard's labels along at once
        return ReplyKeyboard(f"{name}@{ctx.lang}",
                             [labels[i:i + columns] for i in range(0, len(labels), columns)])

    def plan(self, state: spec.State, ctx) -> Plan:
        """Render ``state``'s screen for ``ctx`` (data sources are called here).

        A fresh plan every time (the engine changes its messages' markup); a screen that
        shows nothing but its placeholders' values is rendered once per distinct values.
        """
        static = self._static.get((state.name, ctx.lang), _UNCACHED)
        if static is _UNCACHED:
            static = self._static[(state.name, ctx.lang)] = self._compile(state, ctx.lang)
        key = static.key(ctx) if static is not None else None
        if key is None:
            return self._plan(state, ctx)
        known = static.rendered.get(key)
        if known is None:
            plan = self._plan(state, ctx)
            main = plan.main
            fingerprint(main, self.parse_mode)
            if isinstance(main.markup, Inline):
                main.markup.derived = {}
            rendered = static.rendered
            if len(rendered) >= SCREENS_CACHED:
                rendered.clear()  # and counted again: lost counts do not add up over time
                self._kept = sum(len(each.rendered) for each in tuple(self._static.values())
                                 if each is not None)
            if self._kept >= SCREENS_KEPT:
                for each in list(self._static.values()):
                    if each is not None:
                        each.rendered.clear()
                self._kept = 0
            known = rendered[key] = (main.text, main.photo, main.markup, main.digest,
                                     plan.keyboard)
            self._kept += 1
        text, photo, markup, digest, keyboard = known
        return Plan(Message(text, photo, markup, digest), [], keyboard)

    def _plan(self, state: spec.State, ctx) -> Plan:
        screen = state.screen
        scope = self.scope(ctx, screen)
        keyboard = None
        if screen.keyboard:
            keyboard = self.keyboard(screen.keyboard, state.name, ctx, scope)
        elif self.flowset.bot.keyboard:
            keyboard = self.keyboard(self.flowset.bot.keyboard, "", ctx, scope)
        items: list[Message] = []
        markup = self.inline(screen.buttons, ctx, scope)
        each = screen.each_message
        if each:
            found = list(self.flowset.registry.get("data_source", each.source).func(ctx) or [])
            start = ctx.page * each.page_size
            for item in found[start:start + each.page_size]:
                item_scope = {**scope, "item": item}
                photo = render(each.photo, item_scope, html=False) if each.photo else None
                text = self.text(each.text, ctx, item_scope)
                items.append(Message(fit(text, CAPTION_LIMIT if photo else MESSAGE_LIMIT),
                                     photo or None, self.inline(each.buttons, ctx, item_scope)))
            more = start + each.page_size < len(found)
            if more:
                more_button = [InlineButton(self.label(spec.Text("engine.more"), ctx, scope),
                                            callback.encode(spec.PAGE_TRIGGER,
                                                            {"page": ctx.page + 1}))]
                markup = Inline([more_button, *(markup.rows if markup else [])])
            if not found and each.empty:
                items.append(Message(fit(self.text(each.empty, ctx, scope), MESSAGE_LIMIT)))
        photo = render(screen.photo, scope, html=False) if screen.photo else None
        text = self.text(screen.text, ctx, scope) if screen.text else ""
        main = Message(fit(text, CAPTION_LIMIT if photo else MESSAGE_LIMIT) or "…", photo or None,
                       markup if markup else (keyboard if screen.keyboard else None))
        return Plan(main=main, items=items, keyboard=keyboard)
