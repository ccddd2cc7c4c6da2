"""Notifications of orders' changes, through the outbox (``models.outbox``).

The order lifecycle's ``after`` action ``orders.notify`` runs once per change (and once per
placed order), written as pending with the change itself and resumed after a crash
(engine/lifecycle.py), and writes the outbox entries: the buyer's message (one per change,
keyed by the order's version, so writing it twice adds nothing) and a redraw of the order's
card in the staff chat. Workers send them with the broadcast worker's machinery
(``engine.broadcast.Worker``: pacing, 429s, 403s, retries, claims with leases, the in-doubt
rule), from :class:`OutboxQueue`.

The buyer is not told of a change they made themselves (they see it on their screen); a
buyer who blocked the bot is marked so, and the staff card says they were not told (until
a later message reaches them).
"""

from __future__ import annotations

import html
import logging
import os
import socket
import threading
import uuid

from constants import DEFAULT_LANGUAGE, TEXTS, text
from engine import action
from engine.broadcast import BLOCKED, FAILED, SENT, Message
from flows import staff
from models import Notice, Order, Product, User
from models.db import serialised

logger = logging.getLogger(__name__)

__all__ = ["OutboxBatch", "OutboxQueue", "buyer_message", "notify"]


@action("orders.notify")
def notify(order: dict) -> None:
    """Queue what an order's latest change (or its placing) tells whom."""
    desk = staff.feed()
    if desk.enabled:
        Notice.redraw_card(order["_id"], desk.chat_id, desk.thread_id)
    history = order.get("history") or []
    if not history and order.get("status") == Order.AWAITING_PAYMENT:
        from flows import payments

        payments.queue_invoice(order)  # placed with a payment due: its invoice, once
    if history and history[-1].get("role") != "buyer":
        with serialised():
            user = User.objects(telegram_id=order["user_id"]).only("language").first()
        Notice.tell_buyer(order["_id"], order.get("version", 0), order["user_id"],
                          user.language if user else None)


def buyer_message(order: Order, version: int, lang: str | None) -> str:
    """What the buyer is told of the change that made ``version`` of the order (the
    history's ``version``-th entry: each change adds one and bumps the version by one)."""
    last = order.history[version - 1] if 0 < version <= len(order.history) else None
    reason = text("notify.reason", lang, note=html.escape(last.note)) \
        if last is not None and last.note else ""
    status = last.dest if last is not None else order.status
    # a change with words of its own (an unpaid order expiring), else its new status's
    key = f"notify.{last.trigger}" if last is not None and \
        f"notify.{last.trigger}" in TEXTS[DEFAULT_LANGUAGE] else f"notify.{status}"
    # digital goods are sent in this chat, not shipped to an address
    if f"{key}_digital" in TEXTS[DEFAULT_LANGUAGE] and \
            Product.all_digital(item.product for item in order.items):
        key = f"{key}_digital"
    return text(key, lang, number=order.number,
                address=html.escape(order.address or "—"), reason=reason)


class OutboxBatch:
    """One claimed outbox entry, as the engine's broadcast worker sends it."""

    def __init__(self, doc: dict, queue: OutboxQueue) -> None:
        self.doc = doc
        self.key = doc["_id"]
        self.queue = queue
        self.drawn = doc.get("want", 1)  # card: the redraw this send fulfils
        self.was_edit = False

    def recipients(self) -> list[str]:
        return [self.key]

    def chat_of(self, key: str) -> int:
        return self.doc["chat_id"]

    def message(self, key: str) -> Message:
        if self.doc["kind"] == "unmatched":
            from flows import payments

            return Message(payments.unmatched_message(self.doc),
                           buttons=payments.unmatched_buttons(self.doc),
                           thread_id=self.doc.get("thread_id"))
        with serialised():
            order = Order.objects(id=self.doc["order"]).first()
        if order is None:  # deleted since: nothing to say (an empty text fails, recorded)
            return Message("")
        if self.doc["kind"] == "invoice":
            from flows import payments

            if order.status != Order.AWAITING_PAYMENT:  # paid or cancelled before it went
                return Message("")
            return Message("", invoice=payments.invoice_for(order, self.doc.get("lang")))
        if self.doc["kind"] == "buyer":
            return Message(buyer_message(order, self.doc.get("version", 0),
                                         self.doc.get("lang") or DEFAULT_LANGUAGE))
        self.drawn = self.doc.get("want", 1)
        body, buttons = staff.card(order, staff.language(self.doc["chat_id"]))
        self.was_edit = bool(self.doc.get("message_id"))
        return Message(body, buttons=tuple(tuple(row) for row in buttons),
                       thread_id=self.doc.get("thread_id"),
                       edit=self.doc.get("message_id") or None)

    def begin(self, key: str) -> bool:
        return Notice.step(key, self.queue.worker, {"state": None}, {"state": "sending"})

    def finish(self, key: str, outcome: str, description: str = "",
               message_id: int | None = None) -> bool:
        owner = self.queue.worker
        if self.doc["kind"] != "card":  # sent once: the buyer's, an invoice, a payment's
            done = Notice.step(key, owner, {}, {"state": outcome, "pending": False,
                                                "owner": None, "description": description})
            buyers = bool(self.doc.get("order")) and self.doc["kind"] != "unmatched"
            if done and outcome == FAILED:
                logger.warning("outbox %s: not delivered: %s", key, description)
            elif done and outcome == BLOCKED and buyers:
                self._buyer_blocked()
            elif done and outcome == SENT and buyers:
                self._buyer_reached()
            return done
        if outcome == SENT:
            change = {"state": None, "shown": self.drawn, "message_id": message_id,
                      "owner": None}
            # done unless another change asked for a redraw meanwhile (then: once more)
            return Notice.step(key, owner, {"want": self.drawn}, {**change, "pending": False}) \
                or Notice.step(key, owner, {}, change)
        if self.was_edit and self.doc.get("tries", 0) < 5:
            # the card's message is gone (deleted in the chat): post a fresh one
            logger.warning("outbox %s: editing the card failed (%s): posting it anew", key,
                           description)
            return Notice.step(key, owner, {}, {"state": None, "message_id": None,
                                                "owner": None,
                                                "tries": self.doc.get("tries", 0) + 1})
        logger.warning("outbox %s: the staff card could not be sent: %s", key, description)
        return Notice.step(key, owner, {}, {"state": FAILED, "pending": False, "owner": None,
                                            "description": description})

    def _buyer_blocked(self) -> None:
        """403: the buyer blocked the bot; broadcasts skip them, the staff card says so."""
        with serialised():
            User.objects(telegram_id=self.doc["chat_id"]).update_one(set__blocked=True)
            Order.objects(id=self.doc["order"]).update_one(set__buyer_blocked=True)
        desk = staff.feed()
        if desk.enabled:
            Notice.redraw_card(self.doc["order"], desk.chat_id, desk.thread_id)

    def _buyer_reached(self) -> None:
        """Told: a card that said the buyer blocked the bot says so no more."""
        with serialised():
            cleared = Order.objects(id=self.doc["order"], buyer_blocked=True).update_one(
                set__buyer_blocked=False)
        desk = staff.feed()
        if cleared and desk.enabled:
            Notice.redraw_card(self.doc["order"], desk.chat_id, desk.thread_id)

    def retry(self, key: str) -> bool:
        return Notice.step(key, self.queue.worker, {"state": "sending"}, {"state": None})

    def keep_alive(self) -> bool:
        return Notice.renew(self.key, self.queue.worker, self.queue.lease)

    def cancelled(self) -> bool:
        return False

    def close(self, complete: bool) -> None:
        try:
            Notice.release(self.key, self.queue.worker)
        finally:  # released or not, out of hand: a failed release is taken again at once
            self.queue.done_with(self.key)


class OutboxQueue:
    """The engine's :class:`~engine.broadcast.Queue` over the outbox: one entry per claim."""

    def __init__(self, worker: str | None = None, *, lease: float = 60.0, tick: float = 2.0,
                 **_options) -> None:
        self.worker = worker or \
            f"outbox:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease
        # the entries this worker's threads are sending: any other it holds is orphaned (a
        # write done whose answer was lost) and claimed again at once, not after its lease
        self._in_hand: set[str] = set()
        self._claiming = threading.Lock()

    def tick(self) -> int:
        return 1  # each outbox worker keeps its own (small) rate: notifications are few

    def expand(self, stopping) -> bool:
        return False  # entries are written ready to send

    def claim(self) -> OutboxBatch | None:
        with self._claiming:  # one claim at a time: what is in hand is known to the next
            doc = Notice.claim(self.worker, self.lease, busy=tuple(self._in_hand))
            if doc is None:
                return None
            self._in_hand.add(doc["_id"])
        return OutboxBatch(doc, self)

    def done_with(self, key: str) -> None:
        with self._claiming:
            self._in_hand.discard(key)

    def pending(self) -> bool:
        return Notice.any_pending()

    def close(self) -> None:
        """Nothing is held between claims."""
