"""Cross-reference checks of loaded flows: names, texts, reachability, Telegram's limits."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from engine import callback, spec
from engine.errors import Problem
from engine.markup import describe, html_problem, locate
from engine.plaintexts import plain_keys

MESSAGE_LIMIT, CAPTION_LIMIT = 4096, 1024
ENGINE_TEXTS = ("engine.error", "engine.outdated", "engine.next", "engine.previous", "engine.more",
                "engine.invalid", "engine.reset", "engine.keyboard")
FOREIGN_CONTACT = "engine.foreign_contact"  # needed by flows that ask for a contact
BASE_SCOPE = {"user", "data", "params", "args", "lang", "state", "page"}
# the fields of Telegram's User object, which is what ``{user...}`` reads, in its order
USER_FIELDS = ("id", "is_bot", "first_name", "last_name", "username", "language_code",
               "is_premium", "added_to_attachment_menu", "can_join_groups",
               "can_read_all_group_messages", "supports_inline_queries",
               "can_connect_to_business", "has_main_web_app")
SCALARS = {"lang", "state", "page"}  # plain values: no fields below them
MARKUP = re.compile(r"[<&]")  # what Telegram's HTML parser can stumble on


def _at(where: spec.Where | None, message: str, path: str | None = None) -> Problem:
    w = where or spec.Where("<flows>", 1, 1, "")
    return Problem(w.file, w.line, w.column, w.path if path is None else path, message)


def _suggest(name: str, options) -> str:
    hint = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _suggest_field(name: str, fields) -> str:
    """Like :func:`_suggest`, also matching a field's last word: ``nmae`` -> first_name."""
    if difflib.get_close_matches(name, list(fields), n=1):
        return _suggest(name, fields)
    words: dict[str, str] = {}
    for field in fields:  # the first field ending in a word stands for it
        words.setdefault(field.rsplit("_", 1)[-1], field)
    hint = difflib.get_close_matches(name, list(words), n=1)
    return f" (did you mean {words[hint[0]]!r}?)" if hint else ""


class _Checker:
    def __init__(self, flowset, graph: bool = True, names: bool = True) -> None:
        self.flowset = flowset
        self.graph = graph  # the checks of the whole graph need a structurally valid flow
        self.names = names  # False when a module failed to import: the registry is partial
        self.missing: set[tuple[str, str]] = set()  # (key, lang) already reported
        self.html: dict[str, bool] = {}  # text key -> used where Telegram parses HTML
        self.html_where: dict[str, spec.Where | None] = {}
        self.said: set[tuple[str, str, str]] = set()  # (lang, key, message) told in a catalog
        self.problems: list[Problem] = []
        self.states = flowset.states
        self.langs = flowset.bot.languages

    def add(self, where, message, path=None) -> None:
        self.problems.append(_at(where, message, path))

    # -- names -------------------------------------------------------------------------
    def name(self, kind: str, name: str | None, where, what: str) -> None:
        if self.names and name and self.flowset.registry.get(kind, name) is None:
            known = self.flowset.registry.names(kind)
            self.add(where, f"unknown {what} {name!r}{_suggest(name, known)}; registered "
                            f"{what}s: {', '.join(known) or 'none'}")

    def state_ref(self, name: str, where, what: str) -> None:
        if name not in self.states:
            self.add(where, f"unknown {what} state {name!r}{_suggest(name, self.states)}")
            self.graph = False  # unreachable states and dead buttons would be consequences

    # -- texts -------------------------------------------------------------------------
    def text(self, text: spec.Text | None, where, scope: set[str] | None, limit: int | None,
             what: str) -> None:
        if text is None:
            return
        catalog = self.flowset.catalog
        if text.is_key:
            self.html.setdefault(text.raw, False)
            # a language whose file did not parse is reported once, by its syntax error
            langs = [lang for lang in self.langs
                     if lang not in getattr(self.flowset, "unreadable_texts", ())]
            missing = [lang for lang in langs if not catalog.has(text.raw, lang)]
            if len(missing) == len(langs):  # a typo: nowhere, so suggest a close key
                known = {k for lang in langs for k in catalog.texts.get(lang, {})}
                if missing:
                    self.add(where, f"{what} {text.raw!r} has no text for language "
                                    f"{', '.join(missing)}{_suggest(text.raw, known)}")
                return
            if missing:  # a missing translation: one mistake, said once
                new = [lang for lang in missing if (text.raw, lang) not in self.missing]
                self.missing.update((text.raw, lang) for lang in missing)
                if new:
                    self.add(where, f"{what} {text.raw!r} has no text for language "
                                    f"{', '.join(new)}")
                return
            templates = [(lang, catalog.raw(text.raw, lang)) for lang in langs]
        elif "{" in text.raw:
            templates = [(None, text.raw)]
        else:
            self.add(where, f"{what} {text.raw!r} is neither a key of the texts catalog nor a "
                            "template of data fields: put words in the texts catalog "
                            "(constants), and use a key like 'menu.title' here")
            return
        for lang, template in templates:
            self.template(template, where, scope, f"{what} {text.raw!r}"
                          + (f" ({lang})" if lang else ""), (lang, text.raw) if lang else None)
            if limit and len(template) > limit:
                self.add(where, f"{what} {text.raw!r}" + (f" ({lang})" if lang else "")
                         + f" is {len(template)} characters; Telegram allows {limit}")

    def markup(self, text: spec.Text | None, where, what: str) -> None:
        """``text`` is sent with the bot's parse mode: Telegram must be able to parse it."""
        if text is None or self.flowset.bot.parse_mode != "HTML":
            return
        if text.is_key:  # checked with the catalog: once per text, at its own line
            if not self.html.get(text.raw):
                self.html[text.raw] = True
                self.html_where[text.raw] = where
            return
        found = html_problem(text.raw) if "{" in text.raw else None
        if found and where is not None:
            line, column = locate(where.file, where.line, where.column, text.raw, found[0])
            self.problems.append(Problem(where.file, line, column, where.path,
                                         f"{what} {text.raw!r}: {describe(text.raw, *found)}"))

    def catalog_markup(self) -> None:
        """Every catalog text shown with the bot's parse mode, and every one the flows do not
        name that holds a ``<`` or ``&`` (Python may compose HTML from it: ``Html(text(...))``),
        parsed; except the texts known to be plain: named by the flows as labels, toasts,
        errors, engine texts, or given by the Python beside them to ``notify``,
        ``UserError`` or ``Invalid``."""
        if self.flowset.bot.parse_mode != "HTML":
            return
        values = getattr(self.flowset, "text_values", {})
        plain = plain_keys(getattr(self.flowset, "directory", None))
        for lang, table in self.flowset.catalog.texts.items():
            for key, template in table.items():
                use = self.html.get(key)
                if use is False or (use is None and (key in plain
                                                    or not MARKUP.search(template))):
                    continue  # a label, a toast, an input error, a notice: plain text
                found = html_problem(template)
                if not found:
                    continue
                message = f"({lang}) {describe(template, *found)}"
                if (lang, key) in values:
                    file, line, column = values[(lang, key)]
                    line, column = locate(file, line, column, template, found[0])
                    self.problems.append(Problem(file, line, column, key, message))
                else:  # texts given in code: say it where the flows use it
                    self.add(self.html_where.get(key), f"text {key!r} {message}")

    def template(self, template: str, where, scope: set[str] | None, what: str,
                 text: tuple[str, str] | None = None) -> None:
        """Check the fields of ``template``, used at ``where`` with ``scope``. A mistake that
        does not depend on the use (a typo below ``user``) in catalog text ``text`` (lang,
        key) is told once, at the text's own line; only a field the scope lacks is told
        where the text is used."""
        from engine.templates import placeholders

        def tell(message: str, index: int = 0) -> None:
            at = getattr(self.flowset, "text_values", {}).get(text) if text else None
            if at is None:  # an inline template, or a catalog given in code
                self.add(where, f"{what}: {message}")
            elif (*text, message) not in self.said:
                self.said.add((*text, message))
                line, column = locate(*at, template, index)
                self.problems.append(Problem(at[0], line, column, text[1],
                                             f"({text[0]}) {message}"))

        try:
            names = placeholders(template)
        except ValueError as err:
            tell(f"bad template {template!r}: {err}")
            return
        for name in names:
            parts = name.split("[")[0].split(".")
            index = max(template.find("{" + name), 0)
            if scope is not None and parts[0] not in scope:
                self.add(where, f"{what}: unknown field {{{name}}}; available: "
                                f"{', '.join(sorted(scope))}")
            elif scope is not None and len(parts) > 1 and parts[0] in SCALARS:
                tell(f"unknown field {{{name}}}: {{{parts[0]}}} is a plain value, it has no "
                     "fields", index)
            elif scope is not None and parts[0] == "user" and len(parts) > 1 \
                    and parts[1] not in USER_FIELDS:
                tell(f"unknown field {{{name}}}{_suggest_field(parts[1], USER_FIELDS)}; "
                     f"Telegram's user has: {', '.join(sorted(USER_FIELDS))}", index)

    # -- buttons -----------------------------------------------------------------------
    def buttons(self, state: spec.State, entries, scope: set[str]) -> None:
        for entry in entries:
            if isinstance(entry, spec.Each):
                self.name("data_source", entry.source, entry.where, "data source")
                for button in entry.buttons:
                    self.button(state, button, scope | {"item"}, entry.source)
            else:
                for button in entry.buttons:
                    self.button(state, button, scope, None)
        self.button_limit(entries, state.where)

    def button_limit(self, entries, where) -> None:
        """Telegram refuses a message with more than 100 inline buttons: every ``each`` needs
        a ``page_size``, and a full page with the fixed buttons must fit."""
        from engine.render import BUTTONS_LIMIT

        eaches = [e for e in entries if isinstance(e, spec.Each)]
        for entry in eaches:
            if not entry.page_size:
                self.add(entry.where, f"'each: {entry.source}' has no 'page_size': a data "
                                      "source can return any number of items, and Telegram "
                                      f"allows {BUTTONS_LIMIT} buttons per message; add "
                                      "'page_size' (the engine then adds previous/next)")
        most = sum(len(e.buttons) * (e.page_size or 0) + 2 for e in eaches) + \
            sum(len(e.buttons) for e in entries if isinstance(e, spec.Row))
        if most > BUTTONS_LIMIT and all(e.page_size for e in eaches):
            self.add(eaches[0].where if eaches else where,
                     f"a full page of these buttons is {most} buttons (previous/next "
                     f"included); Telegram allows {BUTTONS_LIMIT}: lower 'page_size'")

    def button(self, state, button: spec.Button, scope, source: str | None) -> None:
        self.text(button.label, button.where, scope, None, "label")
        for path in (button.when, button.unless):
            if path and path.split(".")[0] not in scope:
                self.add(button.where, f"'when'/'unless' {path!r}: unknown field; available: "
                                       f"{', '.join(sorted(scope))}")
        self.trigger_from(state, button.trigger, button.where, "button")
        registered = self.flowset.registry.get("data_source", source) if source else None
        lengths = {}
        for name, value in button.args.items():
            self.template(value, button.where, scope, f"argument {name!r}")
            lengths[name] = (registered.key_length if registered else 24) if "{" in value \
                else len(value.encode())
        size = callback.size(button.trigger, lengths)
        if size > callback.LIMIT:
            self.add(button.where, f"callback data of this button can be {size} bytes "
                                   f"(trigger {button.trigger!r}, args {sorted(lengths)}); "
                                   f"Telegram allows {callback.LIMIT}: shorten the trigger or "
                                   "argument names")

    def trigger_from(self, state: spec.State, trigger: str, where, what: str) -> None:
        if trigger == spec.PAGE_TRIGGER:
            return
        if self.graph and trigger not in self.leaving[state.name]:
            self.add(where, f"{what} fires {trigger!r}, but no transition leaves state "
                            f"{state.name!r} on {trigger!r}"
                            f"{_suggest(trigger, self.leaving[state.name])}")

    # -- the whole -----------------------------------------------------------------------
    def run(self) -> list[Problem]:
        flowset, bot = self.flowset, self.flowset.bot
        for key in ENGINE_TEXTS:
            self.text(spec.Text(key), bot.where, None, None, "engine text")
        self.text(bot.fallback, bot.where, None, MESSAGE_LIMIT, "fallback text")
        if bot.start:
            self.state_ref(bot.start, bot.where, "start")
        for old, new in bot.renamed.items():
            self.state_ref(new, bot.where, f"'renamed' target of {old!r}:")
            if old in self.states:
                self.add(bot.where, f"'renamed' maps {old!r}, which is still a state")
        self.leaving: dict[str, set[str]] = defaultdict(set)
        plain: dict[tuple[str, str], list[spec.Transition]] = defaultdict(list)
        for t in flowset.transitions:
            sources = list(self.states) if t.is_global else t.source
            for source in t.source:
                if source != spec.ANY:
                    self.state_ref(source, t.where, "source")
                elif len(t.source) > 1:
                    self.add(t.where, "'*' (every state) cannot be combined with other sources")
            if t.dest not in (spec.STAY, spec.BACK):
                self.state_ref(t.dest, t.where, "destination")
            for name in t.conditions + t.unless:
                self.name("condition", name, t.where, "condition")
            for name in t.before + t.after:
                self.name("action", name, t.where, "action")
            self.text(t.toast, t.where, None, 200, "toast")
            for source in sources:
                self.leaving[source].add(t.trigger)
                plain[(source, t.trigger, t.is_global)].append(t)
        for (source, trigger, _), group in plain.items() if self.graph else ():
            unguarded = [t for t in group if not t.conditions and not t.unless]
            if len(unguarded) > 1 or (unguarded and unguarded[0] is not group[-1]):
                later = group[group.index(unguarded[0]) + 1]
                self.add(later.where, f"ambiguous trigger {trigger!r} from state {source!r}: "
                                      f"the transition at line {unguarded[0].where.line} has no "
                                      "conditions, so this one can never fire")
        for command in bot.commands:
            self.text(command.description, bot.where, None, 256, "command description")
            if not any(command.trigger in triggers for triggers in self.leaving.values()):
                self.add(bot.where, f"command /{command.command} fires {command.trigger!r}, "
                                    "which no transition handles")
        self.keyboard(bot.keyboard, None, bot.where)
        for state in self.states.values():
            self.state(state)
        if self.graph:
            self.reachability()
        self.catalog_markup()
        return self.problems

    def keyboard(self, keyboard: spec.Keyboard | None, state: spec.State | None, where) -> None:
        if keyboard is None:
            return
        labels: dict[str, str | None] = {}
        scope = BASE_SCOPE | set(state.screen.data) if state else BASE_SCOPE
        for button in keyboard.buttons:
            at = button.where or where  # the button itself, not its keyboard
            self.text(button.label, at, scope, None, "keyboard label")
            if button.trigger is None and not button.request_contact and (
                    state is None or state.input is None):
                self.add(at, f"keyboard button {button.label.raw!r} needs a 'trigger' or "
                                "'request_contact: true' (only a state with 'input' can have "
                                "buttons that type their label)")
            if button.trigger and state is not None:
                self.trigger_from(state, button.trigger, at, "keyboard button")
            elif button.trigger and not any(button.trigger in t for t in self.leaving.values()):
                self.add(at, f"keyboard button fires {button.trigger!r}, which no transition "
                                "handles")
            if button.label.raw in labels and labels[button.label.raw] != button.trigger:
                self.add(at, f"keyboard label {button.label.raw!r} is used for two triggers")
            labels[button.label.raw] = button.trigger

    def state(self, state: spec.State) -> None:
        screen, where = state.screen, state.where
        scope = BASE_SCOPE | set(screen.data)
        for name in state.on_enter:
            self.name("action", name, where, "action")
        for source in screen.data.values():
            self.name("data_source", source, screen.at("data", where), "data source")
        limit = CAPTION_LIMIT if screen.photo else MESSAGE_LIMIT
        if screen.text is None and screen.each_message is None:
            self.add(where, "the screen has no 'text' (every state shows something)")
        self.text(screen.text, screen.at("text", where), scope, limit,
                  "caption" if screen.photo else "text")
        self.markup(screen.text, screen.at("text", where), "caption" if screen.photo else "text")
        if screen.photo:
            self.template(screen.photo, screen.at("photo", where), scope, "photo")
        self.buttons(state, screen.buttons, scope)
        if screen.keyboard and screen.buttons:
            self.add(screen.at("keyboard", where),
                     "a screen has inline 'buttons' or a reply 'keyboard', not both (a "
                            "Telegram message carries one kind of markup)")
        self.keyboard(screen.keyboard, state, screen.at("keyboard", where))
        each = screen.each_message
        if each:
            self.name("data_source", each.source, each.where, "data source")
            item_scope = scope | {"item"}
            self.text(each.text, each.where, item_scope,
                      CAPTION_LIMIT if each.photo else MESSAGE_LIMIT, "item text")
            self.text(each.empty, each.where, scope, MESSAGE_LIMIT, "empty text")
            self.markup(each.text, each.where, "item text")
            self.markup(each.empty, each.where, "empty text")
            if each.photo:
                self.template(each.photo, each.where, item_scope, "photo")
            self.buttons(state, each.buttons, item_scope)
        if state.input:
            inp = state.input
            self.name("validator", inp.validator, inp.where, "validator")
            self.text(inp.error, inp.where, None, MESSAGE_LIMIT, "error text")
            if inp.kind in ("contact", "text_or_contact"):  # said when someone else's is shared
                self.text(spec.Text(FOREIGN_CONTACT), inp.where, None, MESSAGE_LIMIT,
                          "engine text of contact inputs")
            self.trigger_from(state, inp.trigger, inp.where, "input")
        if self.graph and not self.leaving[state.name]:
            self.add(where, f"state {state.name!r} has no way out: no transition leaves it")

    def reachability(self) -> None:
        start = self.flowset.bot.start
        if start not in self.states:
            return
        edges: dict[str, set[str]] = defaultdict(set)
        global_dests = set()
        for t in self.flowset.transitions:
            if t.dest in (spec.STAY, spec.BACK):
                continue
            if t.is_global:
                global_dests.add(t.dest)
            for source in t.source:
                edges[source].add(t.dest)
        seen, todo = {start, *global_dests}, [start, *global_dests]
        while todo:
            for dest in edges[todo.pop()]:
                if dest not in seen:
                    seen.add(dest)
                    todo.append(dest)
        for name, state in self.states.items():
            if name not in seen:
                self.add(state.where, f"state {name!r} is unreachable from the start state "
                                      f"{start!r}: no transition leads to it")


def check(flowset, graph: bool = True, names: bool = True) -> list[Problem]:
    """Every cross-reference problem of ``flows`` (structure is checked by the schema).

    With ``graph=False`` (the structure has problems) the checks of the whole graph
    (reachability, ways out, buttons without transitions, ambiguity) are left out: a
    broken transition would make them report consequences instead of causes. With
    ``names=False`` (a module beside the flows failed to import) unknown actions,
    conditions, validators and data sources are not reported, for the same reason.
    """
    return _Checker(flowset, graph, names).run()
