"""Payments in Telegram, generically: pre-checkout queries and successful payments handed to
the application's :class:`PaymentHandler`, and invoices as a sender sends them.

The engine knows nothing of orders. A bot that takes payments gives its run modes a handler
(``engine.run.Application.payments``) and sends invoices (:class:`Invoice`, through its
sender's ``send_invoice`` or an outbox :class:`~engine.broadcast.Message` with ``invoice``).
Then:

- a ``pre_checkout_query`` goes to :meth:`PaymentHandler.on_pre_checkout` in the update's own
  dispatching thread (never behind the ordered workers or a user's conversation lease, which
  could hold it past Telegram's 10 seconds; when polling, first in its batch and while an
  earlier batch is still processed: :mod:`engine.polling`), and is answered at once with
  what it says: ``(True, None)`` or ``(False, "what the buyer is told")``; a handler that
  fails is answered ``ok: false`` with :data:`FALLBACK_ERROR` (no payment is taken then);
- a message with ``successful_payment`` goes to :meth:`PaymentHandler.on_payment`, in the
  same thread (polling: on a thread aside, :class:`engine.polling.Aside`, so that it never
  holds up a pre-checkout query), and never reaches the conversation engine. The handler
  owns exactly-once: Telegram may deliver the update again, a duplicate may come with
  another ``update_id``, and two processes may receive it at once (record the charge id
  under a unique key first). A handler that fails is retried a few times; then the update
  counts as failed (a webhook answers 5xx, so that Telegram delivers it again; polling
  fetches it again).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)

__all__ = ["FALLBACK_ERROR", "Invoice", "PaymentHandler", "PreCheckout", "SuccessfulPayment",
           "dispatch_payment", "dispatch_pre_checkout", "invoice_json"]

FALLBACK_ERROR = "Payment is not available right now. Please try again in a minute."
STARS = "XTR"
RETRIES = 3


@dataclass(frozen=True)
class Invoice:
    """What ``sendInvoice`` sends (Bot API names); ``prices`` are ``(label, amount)`` in the
    currency's minor units (whole stars for ``XTR``, which takes exactly one price and no
    provider token)."""

    title: str
    description: str
    payload: str
    currency: str
    prices: tuple[tuple[str, int], ...]
    provider_token: str = ""
    photo_url: str | None = None

    def problems(self) -> list[str]:
        """What Telegram would refuse in it (its documented bounds)."""
        out = []
        if not 1 <= len(self.title) <= 32:
            out.append(f"title is {len(self.title)} characters, expected 1-32")
        if not 1 <= len(self.description) <= 255:
            out.append(f"description is {len(self.description)} characters, expected 1-255")
        if not 1 <= len(self.payload.encode()) <= 128:
            out.append(f"payload is {len(self.payload.encode())} bytes, expected 1-128")
        if not self.prices:
            out.append("no prices")
        if self.currency == STARS and (self.provider_token or len(self.prices) != 1):
            out.append("XTR takes an empty provider token and exactly one price")
        if self.currency != STARS and not self.provider_token:
            out.append(f"{self.currency} needs a payment provider's token")
        return out

    @property
    def total(self) -> int:
        return sum(amount for _, amount in self.prices)


def invoice_json(invoice: Invoice) -> dict:
    """``sendInvoice``'s parameters (without ``chat_id``), as the Bot API takes them."""
    data = {"title": invoice.title, "description": invoice.description,
            "payload": invoice.payload, "currency": invoice.currency,
            "provider_token": invoice.provider_token,
            "prices": json.dumps([{"label": label, "amount": amount}
                                  for label, amount in invoice.prices], ensure_ascii=False)}
    if invoice.photo_url:
        data["photo_url"] = invoice.photo_url
    return data


@dataclass(frozen=True)
class PreCheckout:
    """A buyer pressed "Pay": Telegram asks whether to take the money (10 seconds)."""

    query_id: str
    user: dict  # id, first_name, last_name, username, language_code
    currency: str
    total_amount: int
    payload: str
    update_id: int | None = None


@dataclass(frozen=True)
class SuccessfulPayment:
    """The money was taken: a service message in the buyer's chat."""

    user: dict
    chat_id: int
    message_id: int
    currency: str
    total_amount: int
    payload: str
    telegram_charge_id: str
    provider_charge_id: str | None = None
    update_id: int | None = None
    extra: dict = field(default_factory=dict)


class PaymentHandler(Protocol):
    """The application's side of payments (see the module's docstring)."""

    def on_pre_checkout(self, query: PreCheckout) -> tuple[bool, str | None]:
        """Whether to take the money, and what the buyer is told when not."""

    def on_payment(self, payment: SuccessfulPayment) -> None:
        """Record the payment and apply it, exactly once whatever repeats."""


class PreCheckoutAnswerer(Protocol):
    def answer_pre_checkout(self, query_id: str, ok: bool,
                            error_message: str | None = None) -> None: ...


def _user(u) -> dict:
    return {"id": u.id, "first_name": u.first_name or "", "last_name": u.last_name or "",
            "username": u.username or "", "language_code": u.language_code}


def dispatch_pre_checkout(handler: PaymentHandler, query, answerer: PreCheckoutAnswerer) -> bool:
    """Ask ``handler`` about a telebot ``PreCheckoutQuery`` and answer it at once; False when
    the handler failed (it is then answered no, so no money is taken)."""
    started = time.perf_counter()
    pre = PreCheckout(query_id=query.id, user=_user(query.from_user), currency=query.currency,
                      total_amount=query.total_amount, payload=query.invoice_payload or "",
                      update_id=getattr(query, "engine_update_id", None))
    ok, error, failed = False, FALLBACK_ERROR, False
    try:
        ok, error = handler.on_pre_checkout(pre)
    except Exception:  # broad on purpose: the query must be answered whatever happened
        logger.exception("pre-checkout %s of user %s: the handler failed", pre.query_id,
                         pre.user.get("id"))
        failed = True
    if not ok and not error:
        error = FALLBACK_ERROR
    try:
        answerer.answer_pre_checkout(pre.query_id, ok, None if ok else error)
    except Exception as err:  # too late (10 s), or Telegram unreachable: logged
        logger.warning("pre-checkout %s not answered: %s", pre.query_id, err)
    logger.info("pre-checkout user=%s %s %s: %s in %.1fms", pre.user.get("id"),
                pre.total_amount, pre.currency, "ok" if ok else f"refused ({error})",
                (time.perf_counter() - started) * 1000)
    return not failed


def dispatch_payment(handler: PaymentHandler, message, *, retries: int = RETRIES,
                     pause: float = 0.2) -> bool:
    """Hand a telebot ``Message`` with ``successful_payment`` to ``handler``; retried on
    failure (the handler is idempotent); False when every try failed."""
    paid = message.successful_payment
    payment = SuccessfulPayment(
        user=_user(message.from_user), chat_id=message.chat.id, message_id=message.message_id,
        currency=paid.currency, total_amount=paid.total_amount,
        payload=paid.invoice_payload or "",
        telegram_charge_id=paid.telegram_payment_charge_id,
        provider_charge_id=paid.provider_payment_charge_id or None,
        update_id=getattr(message, "engine_update_id", None))
    for attempt in range(retries):
        try:
            handler.on_payment(payment)
            return True
        except Exception:  # broad on purpose: money arrived, it must not be lost
            logger.exception("successful payment %s of user %s (try %d of %d) failed",
                             payment.telegram_charge_id, payment.user.get("id"), attempt + 1,
                             retries)
            time.sleep(pause * (attempt + 1))
    logger.error("successful payment %s of user %s NOT RECORDED: update %s (%s %s, payload "
                 "%r)", payment.telegram_charge_id, payment.user.get("id"), payment.update_id,
                 payment.total_amount, payment.currency, payment.payload)
    return False
