"""The staff chat's order feed: each order's card, and the staff's presses and reasons.

Every placed order gets a card in ``STAFF_CHAT_ID`` (in the forum topic ``STAFF_THREAD_ID``
when set): its number, lines, total, the buyer, the address, what happened so far, and a
button per change the staff may make now. Cards are posted and redrawn by the outbox
(flows/notify.py), never from here, so a change made anywhere (this chat, the API) redraws
the card once, and exactly once across processes.

A press (:class:`StaffDesk`, an :class:`engine.side.SideHandler`) carries the order's id and
the version the card showed (``st:<trigger>:<order>:<version>``), so a card from before a
restart works, and a press on a card that is behind (someone else changed the order
meanwhile) changes nothing: "changed meanwhile", and the card is redrawn. Only
``ADMIN_IDS`` and ``STAFF_IDS`` may press. A change that needs a reason (cancel, refund)
asks for it (one open question per member and order); the member's reply to the question,
or their next message in its topic that answers no other message (when the bot may read the
group: privacy mode off, and only one question of theirs is open there), is the reason;
"Never mind" drops the question it is on. A lapsed or replaced question says so.

A payment still to refund has its own button (``st:rf:<ref>``): on the message of a payment
no order awaited, and on the card of an order whose refund Telegram refused ("Try the
refund again"); both go through ``flows.payments.refund_payment``, once whoever presses.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from bson import ObjectId
from bson.errors import InvalidId

from constants import DEFAULT_LANGUAGE, text
from engine.lifecycle import visible as visible_text
from flows import order_lifecycle
from models import Notice, Order, StaffChat, StaffPrompt, User, format_money
from models.base import utcnow
from models.db import serialised

logger = logging.getLogger(__name__)

__all__ = ["Feed", "StaffDesk", "card", "configure", "feed"]

PREFIX = "st:"
REFUND_PREFIX = PREFIX + "rf:"  # a payment's refund (flows/payments.py)
PROMPT_TTL = timedelta(hours=1)  # a question for a reason left unanswered this long lapses


@dataclass(frozen=True)
class Feed:
    """Where the feed goes and who may act in it."""

    chat_id: int | None = None
    thread_id: int | None = None
    staff_ids: frozenset[int] = field(default_factory=frozenset)  # ADMIN_IDS | STAFF_IDS

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None

    @classmethod
    def from_settings(cls, settings) -> Feed:
        return cls(settings.staff_chat_id, settings.staff_thread_id,
                   frozenset(settings.admin_ids) | frozenset(settings.staff_ids))


_configured: list[Feed] = []


def configure(value: Feed | None) -> None:
    """Set the feed of this process (the bot's assembly, tests); None: read the settings."""
    _configured[:] = [value] if value is not None else []


def feed() -> Feed:
    """The feed configured, else the one the settings describe (the API process too)."""
    if not _configured:
        import settings

        _configured.append(Feed.from_settings(settings.load()))
    return _configured[0]


def language(chat_id: int | None) -> str:
    return (StaffChat.language(chat_id) if chat_id is not None else None) or DEFAULT_LANGUAGE


def who(user: dict) -> str:
    """``Name (@username)``, as the order's history keeps who changed it."""
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or \
        str(user.get("id"))
    return f"{name} (@{user['username']})" if user.get("username") else name


def data(trigger: str, order_id, version: int) -> str:
    """A card button's callback data (at most 3 + 15 + 1 + 24 + 1 + 10 bytes: within 64)."""
    return f"{PREFIX}{trigger}:{order_id}:{version}"


def parse(value: str) -> tuple[str, ObjectId, int] | None:
    try:
        trigger, order_id, version = value[len(PREFIX):].split(":")
        return trigger, ObjectId(order_id), int(version)
    except (ValueError, InvalidId):
        return None


CARD_LIMIT = 4096  # a message's characters (UTF-16 units) once its HTML is parsed
# (lines' characters, a note's, history entries kept, the address's): the first that fits
SHORTER = ((None, 500, None, 500), (2000, 200, 10, 300), (1200, 100, 5, 200),
           (600, 60, 3, 120), (200, 40, 2, 80))


def visible(body: str) -> int:
    """The length Telegram counts of an HTML message: its text, tags dropped, in UTF-16."""
    return len(html.unescape(re.sub(r"<[^>]*>", "", body)).encode("utf-16-le")) // 2


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def card(order: Order, lang: str) -> tuple[str, list[list[tuple[str, str]]]]:
    """The order's card in the staff chat: its text and the buttons of the changes the
    staff may make now. A card longer than one message shows fewer lines (the rest
    summed up), shorter notes and only the latest history entries."""
    from flows.orders import _items

    buyer = User.objects(telegram_id=order.user_id).first()
    name = clip(" ".join(p for p in (buyer.first_name, buyer.last_name) if p)
                if buyer else "", 130) or str(order.user_id)
    name = html.escape(name)
    if buyer is not None and buyer.username:
        name += f" (@{html.escape(buyer.username)})"
    from flows.payments import order_buttons, payment_line

    paid = payment_line(order, lang)  # paid in Telegram: how much, how, refunded
    for items_budget, note_limit, last, address_limit in SHORTER:
        history = list(order.history)
        shown = history if last is None else history[-last:]
        events = text("staff.earlier", lang, count=len(history) - len(shown)) \
            if len(shown) < len(history) else ""
        events += "".join(text("staff.event", lang, icon=text(f"staff.icon.{e.dest}", lang),
                               status=text(f"order.status.{e.dest}", lang),
                               by=html.escape(clip(e.by or e.role or "", 100)),
                               time=e.at.strftime("%d.%m %H:%M") if e.at else "",
                               note=text("staff.note", lang,
                                         note=html.escape(clip(e.note, note_limit)))
                               if e.note else "")
                          for e in shown)
        body = text("staff.card", lang, icon=text(f"staff.icon.{order.status}", lang),
                    number=order.number, status=text(f"order.status.{order.status}", lang),
                    items=_items(order, lang, items_budget),
                    total=format_money(order.total, lang), buyer=name,
                    phone=html.escape(clip(order.phone or "—", 40)),
                    email=html.escape(clip(order.email or "—", 120)),
                    address=html.escape(clip(order.address or "—", address_limit)),
                    events=events,
                    warning=paid + (text("staff.blocked", lang) if order.buyer_blocked
                                    else ""))
        if visible(body) <= CARD_LIMIT:
            break
    buttons = [(text(f"staff.button.{c.trigger}", lang), data(c.trigger, order.pk, order.version))
               for c in order_lifecycle.lifecycle().allowed(order.status, "staff")]
    # a refund Telegram refused: asked again from here (the order is refunded, final)
    refund = [list(row) for row in order_buttons(order, lang)]
    return body, [buttons[i:i + 2] for i in range(0, len(buttons), 2)] + refund


class _Answers:
    """The replier, with a press's answer that Telegram refuses (too old, answered by a
    first delivery of the same press) logged rather than failing the press: what the
    press changed is done, and Telegram would only deliver it again."""

    def __init__(self, replier) -> None:
        self._replier = replier

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None:
        from engine.sender import SendError

        try:
            self._replier.answer(callback_id, text, alert)
        except SendError as err:
            logger.info("staff chat: press %s not answered: %s", callback_id, err)

    def __getattr__(self, name: str):
        return getattr(self._replier, name)


class StaffDesk:
    """The staff chat's presses and messages (an :class:`engine.side.SideHandler`)."""

    prefix = PREFIX

    def __init__(self, replier, desk: Feed | None = None) -> None:
        self.replier = _Answers(replier)
        self._feed = desk

    @property
    def feed(self) -> Feed:
        return self._feed or feed()

    def watches(self, chat_id: int, thread_id: int | None) -> bool:
        return self.feed.enabled and chat_id == self.feed.chat_id

    # -- presses ---------------------------------------------------------------------------
    def on_press(self, press) -> None:
        lang = language(press.chat_id)
        if press.chat_id is None or press.message_id is None:  # an inline message's button
            self.replier.answer(press.callback_id)
            return
        if press.chat_id != self.feed.chat_id:  # a card forwarded, or a feed moved since
            self.replier.answer(press.callback_id, text("staff.elsewhere", lang), True)
            return
        if press.user.get("id") not in self.feed.staff_ids:
            logger.info("staff chat: %s pressed %r and is not staff", press.user.get("id"),
                        press.data)
            self.replier.answer(press.callback_id, text("staff.not_allowed", lang), True)
            return
        if press.data.startswith(REFUND_PREFIX):  # a payment still to refund: refund it
            self._refund(press, lang)
            return
        parsed = parse(press.data)
        with serialised():
            order = Order.objects(id=parsed[1]).first() if parsed else None
        if order is None:
            self.replier.answer(press.callback_id, text("staff.gone", lang))
            return
        trigger, _, version = parsed
        if trigger == "keep":
            self._keep(press, order, lang)
            return
        if version != order.version:
            self._stale(press, order, lang)
            return
        change = next((c for c in order_lifecycle.lifecycle().allowed(order.status, "staff")
                       if c.trigger == trigger), None)
        if change is None:
            self._stale(press, order, lang)
            return
        if change.note == "required":
            self._ask_reason(press, order, trigger, lang)
            return
        try:
            with serialised():
                order = order_lifecycle.change(order.pk, role="staff", actor=who(press.user),
                                               trigger=trigger, expect_version=version)
        except order_lifecycle.TransitionRefused:
            with serialised():
                order = Order.objects.get(id=order.pk)
            self._stale(press, order, lang)
            return
        logger.info("staff chat: %s %s order #%s", who(press.user), trigger, order.number)
        self.replier.answer(press.callback_id, text(
            "staff.done", lang, number=order.number,
            status=text(f"order.status.{order.status}", lang)))

    def _refund(self, press, lang: str) -> None:
        """The button of a payment still to refund: refunded once (flows/payments.py); the
        message of a payment no order awaited is redrawn here with the outcome (without
        the button once settled), an order's card by the outbox."""
        from flows import payments

        outcome, payment = payments.refund_payment(press.data[len(REFUND_PREFIX):],
                                                   who(press.user))
        error = html.escape(payment.refund_error or "") if payment else ""
        self.replier.answer(press.callback_id,
                            text(f"payments.refund_toast.{outcome}", lang, error=error)[:200],
                            outcome in ("failed", "retry", "gone"))
        if payment is not None and payment.state == "unmatched" and outcome != "busy":
            doc = {"_id": f"unmatched:{payment.pk}:staff", "payment": payment.pk,
                   "chat_id": press.chat_id}
            try:
                self.replier.edit(press.chat_id, press.message_id,
                                  payments.unmatched_message(doc),
                                  buttons=[list(row) for row in payments.unmatched_buttons(doc)])
            except Exception as err:  # noqa: BLE001  (not modified, deleted: the refund stands)
                logger.info("staff chat: the payment's message not redrawn: %s", err)
        if outcome in ("done", "manual"):
            logger.info("staff chat: %s refunded payment %s (%s)", who(press.user),
                        payment.pk, outcome)

    def _stale(self, press, order: Order, lang: str) -> None:
        """The card is behind the order: say so, and have it redrawn."""
        self.replier.answer(press.callback_id, text(
            "staff.changed", lang, number=order.number,
            status=text(f"order.status.{order.status}", lang)), True)
        Notice.redraw_card(order.pk, self.feed.chat_id, self.feed.thread_id)

    def _ask_reason(self, press, order: Order, trigger: str, lang: str) -> None:
        name = who(press.user)
        mention = f"@{press.user['username']}" if press.user.get("username") else \
            html.escape(name)
        prompt_id = self.replier.say(
            press.chat_id, text("staff.ask_reason", lang, who=mention, number=order.number,
                                action=text(f"staff.action.{trigger}", lang)),
            thread_id=press.thread_id,
            buttons=[[(text("staff.button.keep", lang), data("keep", order.pk, order.version))]])
        with serialised():  # one open question per member and order: the new one
            before = StaffPrompt._get_collection().find_one_and_update(
                {"_id": f"{press.chat_id}:{press.user['id']}:{order.pk}"},
                {"$set": {"order": order.pk, "version": order.version, "trigger": trigger,
                          "thread_id": press.thread_id, "prompt_id": prompt_id,
                          "chat_id": press.chat_id, "user_id": press.user["id"],
                          "until": utcnow() + PROMPT_TTL}}, upsert=True)
        if before and before.get("prompt_id") and before.get("prompt_id") != prompt_id:
            self.replier.edit(press.chat_id, before["prompt_id"], text("staff.no_longer", lang))
        self.replier.answer(press.callback_id, text("staff.asked", lang))

    def _keep(self, press, order: Order, lang: str) -> None:
        """"Never mind": drops the question this button is on (whoever was asked), and
        says the order stays only when that question was really still open."""
        with serialised():
            # taken by its _id: a findAndModify that removes by other fields crashed
            # FerretDB v2's DocumentDB backend now and then (PostgreSQL restarting: docs/
            # integration.md); the _id and prompt_id together still take it only once
            prompts = StaffPrompt._get_collection()
            found = prompts.find_one({"chat_id": press.chat_id, "prompt_id": press.message_id},
                                     {"_id": 1})
            prompt = prompts.find_one_and_delete(
                {"_id": found["_id"], "prompt_id": press.message_id}) if found else None
        self.replier.answer(press.callback_id)
        if press.message_id is None:
            return
        if prompt is None:  # answered, replaced or dropped already
            self.replier.edit(press.chat_id, press.message_id, text("staff.no_longer", lang))
            return
        self.replier.edit(press.chat_id, press.message_id,
                          text("staff.kept", lang, number=order.number,
                               who=html.escape(who(press.user))))

    # -- messages: the reason asked for --------------------------------------------------------
    def on_post(self, post) -> None:
        if post.user.get("id") not in self.feed.staff_ids or not visible_text(post.text) or \
                post.text.startswith("/"):
            return
        with serialised():
            prompts = list(StaffPrompt._get_collection().find(
                {"chat_id": post.chat_id, "user_id": post.user["id"]}))
        if not prompts:
            return
        lang = language(post.chat_id)
        if post.reply_to is not None and post.reply_to != post.thread_id:
            prompt = next((p for p in prompts if p.get("prompt_id") == post.reply_to), None)
            if prompt is None:
                return  # an answer to another message (a colleague's, the bot's card)
        else:  # a message in the question's topic (a topic's messages answer its first one)
            here = [p for p in prompts if p.get("thread_id") == post.thread_id]
            if not here:
                return
            live = [p for p in here if p["until"] >= utcnow()]
            if len(live) > 1:  # which order is it for? only a reply to its question says
                self.replier.say(post.chat_id, text("staff.which", lang, orders=", ".join(
                    str(n) for n in self._numbers(p["order"] for p in live))),
                    thread_id=post.thread_id, reply_to=post.message_id)
                return
            prompt = live[0] if live else max(here, key=lambda p: p["until"])
        with serialised():  # taken once: a second delivery of this message finds none
            prompt = StaffPrompt._get_collection().find_one_and_delete(
                {"_id": prompt["_id"], "prompt_id": prompt.get("prompt_id")})
        if prompt is None:
            return
        if prompt["until"] < utcnow():  # lapsed: say so, rather than nothing
            with serialised():
                order = Order.objects(id=prompt["order"]).only("number").first()
            self._say_after(prompt, post, text(
                "staff.lapsed", lang, number=order.number if order else "?"))
            return
        note = post.text.strip()[:500]
        try:
            with serialised():
                order = order_lifecycle.change(prompt["order"], role="staff",
                                               actor=who(post.user), trigger=prompt["trigger"],
                                               note=note, expect_version=prompt["version"])
        except order_lifecycle.TransitionRefused:
            with serialised():
                order = Order.objects(id=prompt["order"]).first()
            if order is not None:
                self._say_after(prompt, post, text(
                    "staff.too_late", lang, number=order.number,
                    status=text(f"order.status.{order.status}", lang)))
            return
        logger.info("staff chat: %s %s order #%s: %s", who(post.user), prompt["trigger"],
                    order.number, note)
        self._say_after(prompt, post, text(
            "staff.reason_taken", lang, number=order.number, who=html.escape(who(post.user)),
            status=text(f"order.status.{order.status}", lang), note=html.escape(note)))

    @staticmethod
    def _numbers(ids) -> list:
        with serialised():
            return sorted(o.number for o in Order.objects(id__in=list(ids)).only("number"))

    def _say_after(self, prompt: dict, post, message: str) -> None:
        """The question is answered: it says what came of it (in place of its button)."""
        if prompt.get("prompt_id"):
            self.replier.edit(post.chat_id, prompt["prompt_id"], message)
        else:
            self.replier.say(post.chat_id, message, thread_id=prompt.get("thread_id"))
