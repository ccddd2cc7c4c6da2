"""The engine: one update in, at most one read and one write, the screen out."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from pymongo.errors import PyMongoError

from engine import callback, events, spec
from engine.checks import FOREIGN_CONTACT
from engine.context import Context
from engine.errors import Invalid, StaleConversation, UserError
from engine.machine import CompiledFlows
from engine.render import (
    MESSAGE_LIMIT,
    Message,
    Plan,
    RemoveKeyboard,
    Renderer,
    ReplyKeyboard,
    fingerprint,
    fit,
)
from engine.sender import Blocked, Sender, SendError
from engine.store import Busy, Conversation, ConversationStore

logger = logging.getLogger(__name__)
TOAST_LIMIT = 100  # longer notices are sent as messages: a toast is gone in seconds
REFUSED_PICTURE_TTL = 600.0  # seconds a refused picture is left out without trying it again
OUTDATED_QUIET = 5.0  # seconds after an outdated press redrew the screen: no redraw again


class _Outcome:
    """What processing decided to show: notices, whether to render, and how."""

    # the defaults, read from the class until processing sets them (one update's object)
    render = True
    edit = True
    toast: str | None = None
    alert = False
    target: tuple[int, str | None] | None = None  # (message id, kind) to edit
    outdated = False  # an outdated button: redraw one message at most
    answered = False  # the button press was answered (before the screen went out)

    def __init__(self) -> None:
        self.notices: list[tuple[str, dict]] = []


class Engine:
    """Runs a bot's compiled flows for every user.

    ``store`` keeps conversations, ``sender`` talks to Telegram; ``unit_of_work`` wraps
    each update (the embedded store passes a lock: mongomock is not thread-safe);
    ``services`` is handed to actions as ``ctx.services``; ``on_blocked(user_id)`` is
    called when Telegram says the user blocked the bot.
    """

    def __init__(self, flowset, store: ConversationStore, sender: Sender, *,
                 unit_of_work: Callable[[], Any] | None = None, services: Any = None,
                 on_blocked: Callable[[int], None] | None = None) -> None:
        self.flowset = flowset
        self.compiled = CompiledFlows(flowset)
        self.renderer = Renderer(flowset)
        self.store = store
        self.sender = sender
        self.unit_of_work = unit_of_work or contextlib.nullcontext
        self.services = services
        self.on_blocked = on_blocked
        self.bot = flowset.bot
        self._refused_pictures: dict[str, float] = {}  # picture -> left out until (monotonic)
        self.commands = {c.command: c.trigger for c in flowset.bot.commands}
        # typed text is matched against keyboard labels: render them once, not per update
        self.bot_labels = self._labels(flowset.bot.keyboard)
        self.state_labels = {name: self._labels(state.screen.keyboard)
                             for name, state in flowset.states.items()}
        # observers(state_before, transition, state_after) see every transition taken
        self.observers: list[Callable[[str, spec.Transition, str], None]] = []
        if os.environ.get("ENGINE_COVERAGE_FILE"):
            from engine import lifecycle
            from engine.replay.coverage import FileRecorder

            recorder = FileRecorder(os.environ["ENGINE_COVERAGE_FILE"])
            self.observers.append(recorder)
            lifecycle.observers.append(recorder.lifecycle)  # changes made in this process

    # -- entry point ---------------------------------------------------------------------
    def handle(self, event: events.Event) -> bool:
        """Process one event; never raises for the user's mistakes or an action's bug.

        Returns False when the update could not be processed for a reason outside the flows
        (the database unreachable, the conversation leased or changing under every retry):
        a webhook then answers 5xx, so Telegram delivers the update again, and a retry of
        anything already done is skipped by its ``update_id``.
        """
        started = time.perf_counter()
        answered = event.kind != events.CALLBACK
        before = after = trigger = outcome = None
        ok = True
        try:
            for attempt in range(3):
                try:
                    with self.unit_of_work():
                        conv = self.store.acquire(event.user_id)
                        try:
                            before = after = conv.state
                            if event.update_id is not None and event.update_id in conv.seen:
                                logger.info("user=%s update=%s already processed: skipped",
                                            event.user_id, event.update_id)
                                self.store.release(conv)
                                answered = True  # the first delivery answered it
                                return True
                            outcome = _Outcome()
                            outcome.answered = answered
                            trigger = self._process(conv, event, outcome)
                            answered = outcome.answered
                            if event.update_id is not None:
                                conv.seen = [*conv.seen, event.update_id][-32:]
                            self.store.save(conv)
                            after = conv.state
                        except BaseException:
                            if conv.lease is not None:
                                self.store.release(conv)
                            raise
                    if not answered:
                        answered = True
                        self._answer(event, outcome.toast, outcome.alert)
                    break
                except StaleConversation:
                    logger.warning("user=%s: conversation changed under the update; retry %d",
                                   event.user_id, attempt + 1)
            else:
                raise StaleConversation(f"conversation of user {event.user_id} kept changing")
        except Blocked:
            logger.info("user=%s blocked the bot", event.user_id)
            if self.on_blocked:
                self.on_blocked(event.user_id)
        except (PyMongoError, Busy, StaleConversation) as err:
            ok = False
            logger.error("user=%s update=%s not processed, to be retried: %r", event.user_id,
                         event.update_id, err)
        except Exception:
            if outcome is not None and outcome.answered:
                answered = True  # answered before the screen: the apology comes as a message
            logger.exception("user=%s state=%s event=%s %s: update failed", event.user_id,
                             before, event.kind, event.data or event.text or event.content_type)
            if not answered:
                answered = True
                self._answer(event, self._system_text("engine.error", event), True)
            else:
                self._apologise(event)
        finally:
            if not answered and not (outcome is not None and outcome.answered):
                self._answer(event, None, False)
            logger.info("user=%s state=%s->%s trigger=%s %.1fms", event.user_id, before, after,
                        trigger, (time.perf_counter() - started) * 1000)
        return ok

    def _answer(self, event: events.Event, text: str | None, alert: bool) -> None:
        try:
            self.sender.answer(event.callback_id, text, alert)
        except SendError as err:
            logger.warning("user=%s: answering the callback failed: %s", event.user_id, err)

    def _system_text(self, key: str, event: events.Event, lang: str | None = None) -> str:
        lang = lang or event.language_code or self.bot.default_language
        return self.flowset.catalog.text(spec.Text(key), lang, {}, html=False)

    def _apologise(self, event: events.Event) -> None:
        with contextlib.suppress(SendError):
            self.sender.send(event.chat_id, self._system_text("engine.error", event), None, None,
                             None)

    # -- deciding ------------------------------------------------------------------------
    def _language(self, conv: Conversation, event: events.Event) -> str:
        if conv.lang in self.bot.languages:
            return conv.lang
        code = event.language_code
        return code if code in self.bot.languages else self.bot.default_language

    def _context(self, conv: Conversation, event: events.Event) -> Context:
        # positional, every field given: a third cheaper than keywords and default factories
        return Context(conv.user_id, event.chat_id, conv.state, conv.lang, dict(conv.data),
                       dict(conv.params), {}, event, conv.page, self.services, [], None,
                       self.flowset.catalog)

    def _process(self, conv: Conversation, event: events.Event, outcome: _Outcome) -> str | None:
        conv.lang = self._language(conv, event)
        if conv.state in self.bot.renamed:  # a declared migration: same place, new name
            conv.state = self.bot.renamed[conv.state]
            conv.history = [h for h in conv.history if h.get("state") in self.flowset.states]
        if conv.state not in self.flowset.states:
            if conv.state is not None:
                logger.info("user=%s: state %r is gone from the flows: back to the start",
                            conv.user_id, conv.state)
                outcome.notices.append(("engine.reset", {}))
            conv.state, conv.params, conv.history, conv.page = self.bot.start, {}, [], 0
            conv.flow_version = self.flowset.version
            if event.kind == events.CALLBACK:
                outcome.edit = False
        trigger, args = self._trigger(conv, event, outcome)
        if trigger is None:
            self._show(conv, event, outcome)
            return None
        if trigger == spec.PAGE_TRIGGER:
            try:
                conv.page = max(0, int(args.get("page", 0)))
            except ValueError:
                conv.page = 0
            self._show(conv, event, outcome, paging=True)
            return trigger
        ctx = self._context(conv, event)
        ctx.args, ctx.trigger = args, trigger
        if event.kind in (events.TEXT, events.CONTACT) and self._input(conv) and \
                args.get("_input") is not None:
            value = args.pop("_input")
            ctx.args = args
            if self._input(conv).save_as:
                ctx.data[self._input(conv).save_as] = value
        try:
            fired = self.compiled.fire(conv.state, trigger, ctx)
        except UserError as err:
            outcome.notices.append((err.text_key, err.values))
            outcome.edit = event.kind == events.CALLBACK
            outcome.render = event.kind != events.CALLBACK
            self._show(conv, event, outcome)
            return trigger
        if fired.transition is None:
            outcome.render = False
            return trigger
        source = conv.state
        self._move(conv, fired, ctx)
        for observer in self.observers:
            observer(source, fired.transition, conv.state)
        outcome.notices.extend(ctx.notices)
        if fired.transition.dest == spec.STAY and event.kind == events.CALLBACK:
            if self.flowset.states[conv.state].screen.each_message:
                outcome.render = False  # a list of item messages stays; the toast tells
            elif event.message_id != conv.last_message_id:
                # a button of an older message (a product card) changed the data the
                # current screen shows: redraw that screen where it is, keep the card
                outcome.target = (conv.last_message_id, conv.last_kind) if \
                    conv.last_message_id else None
                outcome.render = outcome.target is not None
        if fired.transition.toast:
            outcome.notices.append((fired.transition.toast.raw, {}))
        self._show(conv, event, outcome)
        return trigger

    def _input(self, conv: Conversation) -> spec.Input | None:
        return self.flowset.states[conv.state].input

    def _trigger(self, conv: Conversation, event: events.Event,
                 outcome: _Outcome) -> tuple[str | None, dict]:
        """The trigger an event fires in the current state, or ``None`` (with a notice)."""
        state = self.flowset.states[conv.state]
        if event.kind == events.CALLBACK:
            decoded = callback.decode(event.data)
            if decoded and (decoded[0] == spec.PAGE_TRIGGER
                            or self.compiled.accepts_trigger(conv.state, decoded[0])):
                if decoded[0] == spec.PAGE_TRIGGER and event.message_id not in (
                        conv.last_message_id, conv.footer_id):
                    pass  # a page button of an older screen: treated as outdated below
                else:
                    return decoded
            outcome.toast = self._system_text("engine.outdated", event, conv.lang)
            outcome.edit, outcome.outdated = False, True
            now = time.time()
            if 0 <= now - conv.outdated_at < OUTDATED_QUIET:
                outcome.render = False  # pressed again and again: the toast says it all
            else:
                conv.outdated_at = now
            return None, {}
        if event.kind == events.COMMAND:
            trigger = self.commands.get(event.command)
            if trigger and self.compiled.accepts_trigger(conv.state, trigger):
                return trigger, {"payload": event.payload} if event.payload else {}
        elif event.kind == events.TEXT:
            trigger = self._keyboard_trigger(state, event.text)
            if trigger and self.compiled.accepts_trigger(conv.state, trigger):
                return trigger, {}
            if state.input and state.input.kind in ("text", "text_or_contact"):
                return self._validated(conv, state.input, event.text, event, outcome)
        elif event.kind == events.CONTACT:
            if state.input and state.input.kind in ("contact", "text_or_contact"):
                if event.contact_user_id != event.user_id:
                    # a forwarded or picked contact card: someone else's number, never theirs
                    outcome.notices.append((FOREIGN_CONTACT, {}))
                    outcome.edit = False
                    return None, {}
                return self._validated(conv, state.input, event.phone or "", event, outcome)
        outcome.notices.append((self.bot.fallback.raw, {}))
        outcome.edit = False
        return None, {}

    def _labels(self, keyboard: spec.Keyboard | None) -> dict[str, str]:
        """A keyboard's labels in every language -> their triggers (computed once)."""
        table: dict[str, str] = {}
        for button in keyboard.buttons if keyboard else ():
            if button.trigger:
                for lang in self.bot.languages:
                    label = self.flowset.catalog.text(button.label, lang, {}, html=False)
                    table.setdefault(label, button.trigger)
        return table

    def _keyboard_trigger(self, state: spec.State, text: str) -> str | None:
        text = text.strip()
        return self.state_labels[state.name].get(text) or self.bot_labels.get(text)

    def _validated(self, conv, inp: spec.Input, value: str, event, outcome):
        if inp.validator:
            ctx = self._context(conv, event)
            try:
                value = self.flowset.registry.get("validator", inp.validator).func(ctx, value)
            except Invalid as err:
                key = err.text_key or (inp.error.raw if inp.error else "engine.invalid")
                outcome.notices.append((key, err.values))
                outcome.edit = False
                return None, {}
        return inp.trigger, {"_input": value}

    def _move(self, conv: Conversation, fired, ctx: Context) -> None:
        t = fired.transition
        if t.dest == spec.BACK:
            if conv.history:
                last = conv.history[-1]
                conv.state, conv.params, conv.page = last["state"], last["params"], last["page"]
                conv.history = conv.history[:-1]
            else:
                conv.state, conv.params, conv.page = self.bot.start, {}, 0
        elif t.dest == spec.STAY:
            state = self.flowset.states[conv.state]
            conv.params = {**ctx.params, **{p: ctx.args[p] for p in state.params if p in ctx.args}}
        else:
            dest = self.flowset.states[fired.state]
            # a transition that enters afresh (reset_history, or global) binds params from
            # its args only: the current state's params must not leak into the new place
            inherited = {} if t.reset_history or t.is_global else ctx.params
            params = {p: ctx.args.get(p, inherited.get(p)) for p in dest.params}
            earlier = next((i for i in range(len(conv.history) - 1, -1, -1)
                            if conv.history[i].get("state") == fired.state
                            and conv.history[i].get("params") == params), None)
            if earlier is not None:
                # back to a place the user came through: "back" from it goes where it went
                # from there, not round the loop again (the cafe's confirmation whose time
                # was taken shows that day's times again: back is the dates)
                conv.history = conv.history[:earlier]
            elif (fired.state, params) != (conv.state, conv.params):
                step = {"state": conv.state, "params": conv.params, "page": conv.page}
                conv.history = [*conv.history, step][-self.bot.history_limit:]
            conv.state, conv.params, conv.page = fired.state, params, 0
        if t.reset_history:
            conv.history = []
        conv.data, conv.lang = ctx.data, ctx.lang if ctx.lang in self.bot.languages else conv.lang

    # -- showing -------------------------------------------------------------------------
    def _show(self, conv: Conversation, event: events.Event, outcome: _Outcome,
              paging: bool = False) -> None:
        texts = [self.flowset.catalog.text(spec.Text(key), conv.lang, values, html=False)
                 for key, values in outcome.notices]
        if event.kind == events.CALLBACK and texts and outcome.toast is None and \
                sum(map(len, texts)) <= TOAST_LIMIT:
            outcome.toast, texts = "\n".join(texts), []
        if not outcome.answered:
            # the toast is final: stop the button's spinner before the screen's calls (an
            # error after this point apologises with a message instead of an alert)
            outcome.answered = True
            self._answer(event, outcome.toast, outcome.alert)
        state = self.flowset.states[conv.state]
        # the user has a state's reply keyboard that this screen does not show, and there is
        # no main keyboard to put in its place: take it away (else it stays under every later
        # screen, its buttons answered with the fallback). It rides on the first message sent
        remove = outcome.render and conv.keyboard is not None and \
            state.screen.keyboard is None and self.bot.keyboard is None
        for text in texts:  # notices are plain text, and may hold long values
            markup = None
            if remove:
                markup, remove, conv.keyboard = RemoveKeyboard(), False, None
            self.sender.send(event.chat_id, fit(text, MESSAGE_LIMIT, html_text=False), None,
                             markup, None)
        if not outcome.render:
            return
        plan = self.renderer.plan(state, self._context(conv, event))
        parse_mode = self.bot.parse_mode
        if remove:
            conv.keyboard = None
            first = plan.items[0] if plan.items and not outcome.outdated else plan.main
            if first.markup is None:
                first.markup = RemoveKeyboard()  # sent anew: an edit cannot carry it
            else:  # the screen has inline buttons: a message of its own takes the keyboard
                self.sender.send(event.chat_id, self._keyboard_removed(conv.lang), None,
                                 RemoveKeyboard(), None)
        if plan.keyboard and plan.keyboard.name != conv.keyboard and (
                plan.items or not isinstance(plan.main.markup, ReplyKeyboard)):
            if isinstance(plan.main.markup, ReplyKeyboard) or plan.main.markup is None:
                plan.main.markup = plan.keyboard
            else:
                self.sender.send(event.chat_id, self._system_text("engine.keyboard", event,
                                                                  conv.lang),
                                 None, plan.keyboard, None)
            conv.keyboard = plan.keyboard.name
        elif isinstance(plan.main.markup, ReplyKeyboard):
            conv.keyboard = plan.main.markup.name
        if plan.items or (paging and state.screen.each_message):
            if outcome.outdated:
                plan.items = []  # the list is where it was: only its footer comes down again
            self._show_items(conv, event, plan, parse_mode)
            return
        target = None
        if event.kind == events.CALLBACK and outcome.edit and state.screen.mode == "edit" \
                and not texts:
            target = outcome.target or (event.message_id, event.message_kind)
        self._put(conv, event, plan.main, target, parse_mode)

    def _keyboard_removed(self, lang: str) -> str:
        """The text of the message that takes a reply keyboard away in front of a screen with
        inline buttons: the bot's ``engine.keyboard_removed``, else "…"."""
        catalog = self.flowset.catalog
        if catalog.has("engine.keyboard_removed", lang) or \
                catalog.has("engine.keyboard_removed", self.bot.default_language):
            return catalog.text(spec.Text("engine.keyboard_removed"), lang, {}, html=False)
        return "…"

    def _show_items(self, conv, event, plan: Plan, parse_mode) -> None:
        if conv.footer_id:
            with contextlib.suppress(SendError):
                self.sender.delete(event.chat_id, conv.footer_id)
        for item in plan.items:
            self._send(conv, event, item, parse_mode)
        conv.footer_id, conv.last_kind = self._send(conv, event, plan.main, parse_mode)
        conv.last_message_id = conv.footer_id
        conv.screen = fingerprint(plan.main, parse_mode)

    def _put(self, conv, event, message: Message, target: tuple[int, str | None] | None,
             parse_mode) -> None:
        """Edit ``target`` (message id, kind) into ``message`` when the kinds allow it,
        else send anew."""
        if target is not None and not isinstance(message.markup, ReplyKeyboard | RemoveKeyboard):
            target, kind = target
            if kind == message.kind:
                shown = fingerprint(message, parse_mode)
                if target == conv.last_message_id and shown == conv.screen:
                    return  # the message on screen shows exactly this: no call at all
                try:
                    self.sender.edit(event.chat_id, target, message.text, message.photo,
                                     message.markup, parse_mode)
                    conv.last_message_id, conv.last_kind = target, message.kind
                    conv.screen = shown
                    if target == conv.footer_id:
                        conv.footer_id = None
                    return
                except SendError as err:
                    logger.info("user=%s: edit failed (%s): sending anew", conv.user_id, err)
            else:  # a text cannot become a photo (nor back): replace the message
                with contextlib.suppress(SendError):
                    self.sender.delete(event.chat_id, target)
                if target == conv.footer_id:
                    conv.footer_id = None
        conv.last_message_id, conv.last_kind = self._send(conv, event, message, parse_mode)
        conv.screen = fingerprint(message, parse_mode)

    def _send(self, conv, event, message: Message, parse_mode) -> tuple[int, str]:
        """Send ``message``; returns its id and kind. A picture that is refused (by Telegram,
        or by the sender's media rules) is left out: one bad picture must not take the rest
        of a screen down. It is logged once, then left out for a while without asking."""
        photo = message.photo
        if photo and self._refused_pictures.get(photo, 0) > time.monotonic():
            photo = None
        if photo:
            try:
                return self.sender.send(event.chat_id, message.text, photo, message.markup,
                                        parse_mode), "photo"
            except Blocked:
                raise
            except SendError as err:
                if err.code != 400:  # a flood wait or a server error: not the picture
                    raise
                self._refused_pictures[photo] = time.monotonic() + REFUSED_PICTURE_TTL
                logger.warning("user=%s state=%s: picture %r refused (%s); sent without it: "
                               "%.80r", conv.user_id, conv.state, photo, err,
                               message.text.split("\n", 1)[0])
        return self.sender.send(event.chat_id, message.text, None, message.markup,
                                parse_mode), "text"
