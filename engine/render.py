"""From a state's screen and the context to messages: text, photo, buttons, keyboards."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field

from engine import callback, spec
from engine.templates import render, resolve

logger = logging.getLogger(__name__)
MESSAGE_LIMIT, CAPTION_LIMIT = 4096, 1024


@dataclass
class InlineButton:
    label: str
    data: str


@dataclass
class Inline:
    rows: list[list[InlineButton]]


@dataclass
class ReplyKeyboard:
    name: str
    rows: list[list[tuple[str, bool]]]  # (label, request_contact)


@dataclass
class Message:
    """A message to send or to edit into place."""

    text: str
    photo: str | None = None
    markup: Inline | ReplyKeyboard | None = None

    @property
    def kind(self) -> str:
        return "photo" if self.photo else "text"


@dataclass
class Plan:
    """What a screen shows: item messages (``each_message``) then the main message."""

    main: Message
    items: list[Message] = field(default_factory=list)
    keyboard: ReplyKeyboard | None = None


def fit(text: str, limit: int) -> str:
    """``text`` within Telegram's limit; an over-long HTML text loses its tags, not its end."""
    if len(text) <= limit:
        return text
    logger.warning("text of %d characters cut to Telegram's %d", len(text), limit)
    out, size = [], 0
    for char in html.unescape(re.sub(r"<[^>]+>", "", text)):
        piece = html.escape(char, quote=False)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + "…"


class Renderer:
    def __init__(self, flows) -> None:
        self.flows = flows
        self.catalog = flows.catalog
        self.html = flows.bot.parse_mode == "HTML"

    def scope(self, ctx, screen: spec.Screen) -> dict:
        scope = {"user": ctx.user, "data": ctx.data, "params": ctx.params, "args": ctx.args,
                 "lang": ctx.lang, "state": ctx.state, "page": ctx.page}
        for name, source in screen.data.items():
            scope[name] = self.flows.registry.get("data_source", source).func(ctx)
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
        args = {name: render(value, scope, html=False) for name, value in button.args.items()}
        return InlineButton(self.label(button.label, ctx, scope),
                            callback.encode(button.trigger, args))

    def inline(self, entries: list, ctx, scope: dict) -> Inline | None:
        rows: list[list[InlineButton]] = []
        for entry in entries:
            if isinstance(entry, spec.Row):
                row = [b for button in entry.buttons if (b := self._button(button, ctx, scope))]
                if row:
                    rows.append(row)
                continue
            items = list(self.flows.registry.get("data_source", entry.source).func(ctx) or [])
            page, pages = ctx.page, 1
            if entry.page_size:
                pages = max(1, -(-len(items) // entry.page_size))
                page = min(max(page, 0), pages - 1)
                items = items[page * entry.page_size:(page + 1) * entry.page_size]
            if entry.row:
                for item in items:
                    item_scope = {**scope, "item": item}
                    row = [b for button in entry.row
                           if (b := self._button(button, ctx, item_scope))]
                    if row:
                        rows.append(row)
            else:
                buttons = [b for item in items
                           if (b := self._button(entry.button, ctx, {**scope, "item": item}))]
                rows.extend(buttons[i:i + entry.columns]
                            for i in range(0, len(buttons), entry.columns))
            if pages > 1:
                nav = []
                if page > 0:
                    nav.append(InlineButton(self.label(spec.Text("engine.previous"), ctx, scope),
                                            callback.encode(spec.PAGE_TRIGGER, {"page": page - 1})))
                if page < pages - 1:
                    nav.append(InlineButton(self.label(spec.Text("engine.next"), ctx, scope),
                                            callback.encode(spec.PAGE_TRIGGER, {"page": page + 1})))
                rows.append(nav)
        return Inline(rows) if rows else None

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
        """Render ``state``'s screen for ``ctx`` (data sources are called here)."""
        screen = state.screen
        scope = self.scope(ctx, screen)
        keyboard = None
        if screen.keyboard:
            keyboard = self.keyboard(screen.keyboard, state.name, ctx, scope)
        elif self.flows.bot.keyboard:
            keyboard = self.keyboard(self.flows.bot.keyboard, "", ctx, scope)
        items: list[Message] = []
        markup = self.inline(screen.buttons, ctx, scope)
        each = screen.each_message
        if each:
            found = list(self.flows.registry.get("data_source", each.source).func(ctx) or [])
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
                items.append(Message(self.text(each.empty, ctx, scope)))
        photo = render(screen.photo, scope, html=False) if screen.photo else None
        text = self.text(screen.text, ctx, scope) if screen.text else ""
        main = Message(fit(text, CAPTION_LIMIT if photo else MESSAGE_LIMIT) or "…", photo or None,
                       markup if markup else (keyboard if screen.keyboard else None))
        return Plan(main=main, items=items, keyboard=keyboard)
