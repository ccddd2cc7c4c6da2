"""The shop's payments in Telegram: invoices, pre-checkout, payments recorded once, expiry,
refunds (docs/payments.md).

- **Which orders are paid in Telegram.** An order of only digital products, with ``STARS=1``,
  is paid in Telegram Stars (``XTR``, its total at ``STARS_RATE`` minor units per star,
  rounded up); any other order, with ``PAYMENT_PROVIDER_TOKEN``, by card through the
  provider in ``PAYMENT_CURRENCY``. Otherwise it is paid on delivery, as before.
- **Placing.** Such an order is placed ``awaiting_payment`` (its stock taken and held) with
  a payment due: method, currency, amount, a deadline (``PAYMENT_HOLD_MINUTES``) and a
  random nonce. Its invoice goes out through the outbox (``invoice:<order>``, once); the
  payload is ``<number>:<nonce>``, so a payload made up from an order's number matches
  nothing.
- **Pre-checkout** (:class:`PaymentDesk`, answered at once by the engine): yes only for the
  buyer's own order, still awaiting payment, before its deadline, for exactly its amount
  and currency; otherwise a reason in the buyer's language.
- **A successful payment** is recorded first (``models.payment``: the charge id is the key),
  then applied: the order is claimed for the charge (``paid_charge``, set once), and moved
  to ``paid`` by the lifecycle's compare-and-set (the amount in the change's note, so the
  staff card shows it). A payment no order awaits (unknown, expired, cancelled, paid
  already by another charge, another amount) is ``unmatched``: staff are told in their
  chat and the buyer that it will be refunded. Housekeeping applies payments a crash left
  ``received``.
- **Expiry** (housekeeping): an order still unpaid :data:`GRACE` after its deadline is
  cancelled by the lifecycle (``expire``), which returns its stock once and tells the buyer.
- **Refunds**: the lifecycle's ``refund`` runs ``payments.refund``: a Stars payment is
  refunded with ``refundStarPayment`` (intent recorded, call, outcome recorded;
  ``CHARGE_ALREADY_REFUNDED`` is done), a card payment is recorded as refunded outside
  Telegram (staff did it with the provider). A payment still to refund (unmatched, or its
  order's refund refused by Telegram: ``Payment.owed``) is refunded, or asked again, from
  the staff chat and the admin through :func:`refund_payment`, the same path; what came of
  an order's refund asked again, and a refusal, go into the order's history.
"""

from __future__ import annotations

import html
import logging
import math
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from constants import DEFAULT_LANGUAGE, TEXTS, text
from engine import action, condition
from engine.payments import STARS, Invoice, PreCheckout, SuccessfulPayment
from flows import order_lifecycle
from models import Notice, Order, Payment, Product, User, format_money
from models.base import utcnow
from models.db import serialised
from models.money import format_minor
from models.payment import SETTLED, UNDER_WAY, short_ref

logger = logging.getLogger(__name__)

__all__ = ["GRACE", "LANDING", "PaymentConfig", "PaymentDesk", "amount_text", "apply", "config",
           "configure", "configure_gateway", "expire_unpaid", "invoice_for", "order_buttons",
           "refund_buttons", "refund_payment", "resume_received", "terms_for",
           "unmatched_buttons"]

GRACE = timedelta(minutes=2)  # a payment agreed just before the deadline still lands
# an order whose "Pay" the bot said yes to (pre-checkout) keeps its stock this long after
# that yes, even past its deadline: the payment Telegram took may still be on its way
LANDING = timedelta(minutes=10)
ACTOR = {"card": "Telegram Payments", "stars": "Telegram Stars"}


@dataclass(frozen=True)
class PaymentConfig:
    """How the shop takes payments (``settings.py``: PAYMENT_*, STARS*)."""

    provider_token: str | None = None
    currency: str = "RUB"
    stars: bool = False
    stars_rate: int = 150  # minor units of the shop's currency per star
    hold_minutes: int = 15

    @classmethod
    def from_settings(cls, settings) -> PaymentConfig:
        return cls(settings.payment_provider_token, settings.payment_currency,
                   settings.stars, settings.stars_rate, settings.payment_hold_minutes)


_configured: list[PaymentConfig] = []
_gateway: list = []


def configure(value: PaymentConfig | None) -> None:
    """Set this process's payments (the bot's assembly, tests); None: read the settings."""
    _configured[:] = [value] if value is not None else []


_ENV = ("PAYMENT_PROVIDER_TOKEN", "PAYMENT_CURRENCY", "STARS", "STARS_RATE",
        "PAYMENT_HOLD_MINUTES")
_from_env: dict[tuple, PaymentConfig] = {}


def config() -> PaymentConfig:
    """The configured payments, else the ones the settings describe (read again when the
    environment's payment settings change: a replay script's ``env:``)."""
    if _configured:
        return _configured[0]
    key = tuple(os.environ.get(name) for name in _ENV)
    if key not in _from_env:
        import settings

        _from_env[key] = PaymentConfig.from_settings(settings.load())
    return _from_env[key]


def configure_gateway(api) -> None:
    """What calls Telegram for refunds (``refund_star_payment``): the bot's sender."""
    _gateway[:] = [api] if api is not None else []


def gateway():
    """The configured gateway, else a sender to the Bot API of the settings (the API's
    process, whose refunds go to Telegram too)."""
    if not _gateway:
        import settings
        from engine.telegram import EngineBot, TelebotSender, use_api_url

        loaded = settings.load()
        if not loaded.bot_token:
            raise RuntimeError("BOT_TOKEN is not set: a Stars refund needs the bot's token")
        use_api_url(loaded.telegram_api_url)
        _gateway.append(TelebotSender(EngineBot(loaded.bot_token, threaded=False)))
    return _gateway[0]


# -- what an order is paid with ------------------------------------------------------------
def method_for(product_ids) -> str | None:
    """``stars``, ``card`` or None (on delivery) for an order of these products."""
    settings = config()
    if settings.stars and product_ids:
        with serialised():
            digital = Product.objects(id__in=list(product_ids)).only("digital")
            if all(p.digital for p in digital) and digital.count() == len(set(product_ids)):
                return "stars"
    return "card" if settings.provider_token else None


def stars_amount(total: int, rate: int) -> int:
    """The order's total in whole stars (rounded up: the shop never gets less)."""
    return max(1, math.ceil(total / rate))


def terms_for(quote) -> dict | None:
    """The ``pay_*`` fields of an order placed for ``quote`` (None: paid on delivery)."""
    method = method_for([line.product for line in quote.lines])
    if method is None:
        return None
    settings = config()
    currency = STARS if method == "stars" else settings.currency
    amount = stars_amount(quote.total, settings.stars_rate) if method == "stars" \
        else quote.total
    return {"pay_method": method, "pay_currency": currency, "pay_amount": amount,
            "pay_until": utcnow() + timedelta(minutes=settings.hold_minutes),
            "pay_nonce": secrets.token_hex(8)}


def payload(order: Order) -> str:
    return f"{order.number}:{order.pay_nonce}"


def order_of(value: str) -> Order | None:
    """The order an invoice payload names, only with its nonce (a forged one: None)."""
    number, _, nonce = (value or "").partition(":")
    if not number.isdigit() or not nonce:
        return None
    with serialised():
        order = Order.objects(number=int(number)).first()
    return order if order is not None and order.pay_nonce and \
        secrets.compare_digest(order.pay_nonce, nonce) else None


def amount_text(currency: str, amount: int, lang: str | None) -> str:
    """``1 299 ₽`` (the shop's currency), ``⭐ 10`` (Stars), else ``12.50 EUR``, ``1250 JPY``
    (the currency's own minor units)."""
    if currency == STARS:
        return text("payments.stars_amount", lang, amount=amount)
    if currency == "RUB":
        return format_money(amount, lang)
    return format_minor(amount, currency)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def invoice_for(order: Order, lang: str | None) -> Invoice:
    """The order's invoice: a price per line (Stars: one, the whole order), its lines as
    the description, the order's picture when it has one product with a picture online."""
    lang = lang or DEFAULT_LANGUAGE
    names = [f"{item.title(lang)} × {item.quantity}" for item in order.items]
    description = _clip(text("payments.invoice_description", lang, items=", ".join(names)), 255)
    title = _clip(text("payments.invoice_title", lang, number=order.number), 32)
    if order.pay_currency == STARS:
        prices = ((title, order.pay_amount),)
    else:
        prices = tuple((_clip(name, 32), item.line_total)
                       for name, item in zip(names, order.items, strict=True))
    photo = None
    if len(order.items) == 1:
        with serialised():
            product = Product.objects(id=order.items[0].product).only("image").first()
        if product is not None and (product.image or "").startswith(("https://", "http://")):
            photo = product.image  # Telegram fetches it: a local picture cannot be shown
    token = "" if order.pay_currency == STARS else (config().provider_token or "")
    return Invoice(title=title, description=description, payload=payload(order),
                   currency=order.pay_currency, prices=prices, provider_token=token,
                   photo_url=photo)


def _language(user_id: int, fallback: str | None = None) -> str:
    with serialised():
        user = User.objects(telegram_id=user_id).only("language").first()
    lang = (user.language if user else None) or fallback
    return lang if lang in TEXTS else DEFAULT_LANGUAGE


@condition("checkout.pays_now")
def pays_now(ctx) -> bool:
    """The order of the quote on screen is paid in Telegram (an invoice follows)."""
    from models import Quote

    quote = Quote.from_dict(ctx.data.get("quote"))
    return quote is not None and bool(quote.lines) and \
        method_for([line.product for line in quote.lines]) is not None


def queue_invoice(order: dict) -> None:
    """The order's invoice goes to its buyer, once (the outbox sends it)."""
    Notice.once(f"invoice:{order['_id']}", "invoice", order["user_id"], order=order["_id"],
                lang=_language(order["user_id"]))


# -- pre-checkout and successful payments ----------------------------------------------------
class PaymentDesk:
    """The shop's :class:`engine.payments.PaymentHandler`."""

    def on_pre_checkout(self, query: PreCheckout) -> tuple[bool, str | None]:
        lang = _language(query.user.get("id"), query.user.get("language_code"))
        order = order_of(query.payload)
        if order is None or order.user_id != query.user.get("id"):
            return False, text("payments.refused.unknown", lang)
        number = order.number
        if order.status != Order.AWAITING_PAYMENT:
            key = "paid"
            if order.status == "cancelled":
                expired = order.history and order.history[-1].trigger == "expire"
                key = "expired" if expired else "cancelled"
            return False, text(f"payments.refused.{key}", lang, number=number)
        if order.pay_until is None or order.pay_until < utcnow():
            return False, text("payments.refused.expired", lang, number=number)
        if query.currency != order.pay_currency or query.total_amount != order.pay_amount:
            return False, text("payments.refused.amount", lang, number=number)
        now = utcnow()
        with serialised():  # the yes is recorded: the order is not expired while it lands
            agreed = Order.objects(id=order.pk, status=Order.AWAITING_PAYMENT, paid_charge=None,
                                   pay_until__gte=now).update_one(set__pay_checked=now)
        if not agreed:  # paid, cancelled or expired since the read
            return False, text("payments.refused.expired", lang, number=number)
        return True, None

    def on_payment(self, paid: SuccessfulPayment) -> None:
        order = order_of(paid.payload)
        payment, first = Payment.record(
            id=paid.telegram_charge_id, provider_charge_id=paid.provider_charge_id,
            user_id=paid.user.get("id"), currency=paid.currency,
            total_amount=paid.total_amount, payload=paid.payload[:128],
            order=order.pk if order else None, order_number=order.number if order else None,
            update_id=paid.update_id)
        if not first and payment.state != "received":
            logger.info("payment %s again (update %s): recorded already, %s", payment.pk,
                        paid.update_id, payment.state)
            return
        apply(payment)


def apply(payment: Payment) -> str:
    """Apply a recorded payment to its order (once, from any process); its new state."""
    order = order_of(payment.payload)
    reason = None
    if order is None:
        reason = "unknown"
    elif order.user_id != payment.user_id:
        reason = "unknown"
    elif payment.currency != order.pay_currency or payment.total_amount != order.pay_amount:
        reason = "amount"
    else:
        with serialised():  # the order is this charge's, or another one paid it already
            Order.objects(id=order.pk, status=Order.AWAITING_PAYMENT,
                          paid_charge=None).update_one(set__paid_charge=payment.pk)
            order.reload()
        if order.paid_charge != payment.pk:
            reason = "paid" if order.paid_charge else _ended(order)
        elif order.status == Order.AWAITING_PAYMENT:
            note = text("payments.note", DEFAULT_LANGUAGE,
                        amount=amount_text(payment.currency, payment.total_amount,
                                           DEFAULT_LANGUAGE))
            try:
                with serialised():
                    order = order_lifecycle.change(
                        order.pk, role="system", actor=ACTOR[order.pay_method or "card"],
                        trigger="pay", note=note, expect_version=order.version)
            except order_lifecycle.TransitionRefused:
                with serialised():
                    order.reload()
        if reason is None and order.status in (Order.AWAITING_PAYMENT, "cancelled"):
            reason = _ended(order)  # cancelled or expired between the claim and the change
    if reason is None:
        Payment.mark(payment.pk, {"state": "received"}, state="applied")
        logger.info("payment %s: order #%s paid (%s %s)", payment.pk, order.number,
                    payment.total_amount, payment.currency)
        return "applied"
    Payment.mark(payment.pk, {"state": "received"}, state="unmatched", reason=reason)
    logger.warning("payment %s of user %s (%s %s, payload %r) matches no order awaiting it "
                   "(%s): staff are told to refund it", payment.pk, payment.user_id,
                   payment.total_amount, payment.currency, payment.payload, reason)
    from flows import staff

    desk = staff.feed()
    if desk.enabled:
        Notice.once(f"unmatched:{payment.pk}:staff", "unmatched", desk.chat_id,
                    thread_id=desk.thread_id, payment=payment.pk)
    Notice.once(f"unmatched:{payment.pk}:buyer", "unmatched", payment.user_id,
                payment=payment.pk, lang=_language(payment.user_id))
    return "unmatched"


def _ended(order: Order) -> str:
    """Why an order no longer awaits its payment: it expired, or was cancelled."""
    last = order.history[-1] if order.history else None
    if order.status == "cancelled" and last is not None and last.trigger != "expire":
        return "cancelled"
    return "expired"


def unmatched_message(doc: dict) -> str:
    """What the staff chat, or the buyer, is told of a payment no order awaited."""
    from flows import staff

    with serialised():
        payment = Payment.objects(id=doc["payment"]).first()
    if payment is None:
        return ""
    to_staff = doc["_id"].endswith(":staff")
    lang = staff.language(doc["chat_id"]) if to_staff else (doc.get("lang") or DEFAULT_LANGUAGE)
    amount = amount_text(payment.currency, payment.total_amount, lang)
    number = payment.order_number or "?"
    if not to_staff:
        return text("payments.unmatched_buyer", lang, amount=amount, number=number)
    with serialised():
        user = User.objects(telegram_id=payment.user_id).first()
    buyer = html.escape(user.display_name if user else str(payment.user_id))
    return text("payments.unmatched_staff", lang, amount=amount, number=number, buyer=buyer,
                user_id=payment.user_id, charge=html.escape(payment.pk),
                reason=text(f"payments.reason.{payment.reason or 'unknown'}", lang)) + \
        _refund_state(payment, lang)


def _refund_state(payment: Payment, lang: str) -> str:
    if not payment.refund:
        return ""
    by = f" ({html.escape(payment.refund_by)})" if payment.refund_by else ""
    return text(f"payments.refund_state.{payment.refund}", lang,
                error=html.escape(payment.refund_error or "")) + by


REFUND_PREFIX = "st:rf:"  # the staff chat's refund of a payment (flows/staff.py)


def unmatched_buttons(doc: dict) -> tuple:
    """The staff message's button of a payment no order awaited (:func:`refund_buttons`)."""
    if not doc["_id"].endswith(":staff"):
        return ()
    from flows import staff

    with serialised():
        payment = Payment.objects(id=doc["payment"]).first()
    return refund_buttons(payment, staff.language(doc["chat_id"]))


def order_buttons(order: Order, lang: str) -> tuple:
    """The order card's button when its payment is still to refund (Telegram refused)."""
    return refund_buttons(Payment.of_order(order.pk) if order.paid_charge else None, lang)


def refund_buttons(payment: Payment | None, lang: str) -> tuple:
    """A payment still to refund: refund the Stars (``refundStarPayment``; try again once
    Telegram refused), or record a card payment refunded with the provider; none else."""
    if payment is None or not payment.owed:
        return ()
    label = "refunded_manually" if not payment.stars else \
        "refund_again" if payment.refund == "failed" else "refund_stars"
    return (((text(f"payments.button.{label}", lang),
              REFUND_PREFIX + (payment.ref or short_ref(payment.pk))),),)


def refund_payment(ref: str, by: str) -> tuple[str, Payment | None]:
    """Refund a payment still to refund, from the staff chat or the admin (once whoever
    presses, however often): one no order awaited, or one whose order was refunded and whose
    refund Telegram refused (asked again; an order's first refund is its lifecycle's). Stars
    through :func:`_ask_telegram` (a press finding another's refund under way less than
    :data:`UNDER_WAY` old waits), a card recorded as refunded with the provider. Returns the
    outcome (``done``, ``manual``, ``already``, ``busy``, ``retry``, ``failed``, ``gone``)
    and the payment. Telegram out of reach for another reason (no BOT_TOKEN in this
    process, say) raises, the payment left as it was."""
    payment = Payment.by_ref(ref)
    if payment is None:
        return "gone", None
    if payment.refund in SETTLED:
        return "already", payment
    if payment.state not in ("unmatched", "applied") or \
            payment.state == "applied" and payment.refund not in ("failed", "requested"):
        return "gone", payment  # received, or an order not refunded (its lifecycle's)
    if not payment.stars:
        done = Payment.mark(payment.pk, {"state": payment.state,
                                         "refund": {"$in": [None, "failed"]}},
                            refund="manual", refunded_at=utcnow(), refund_by=by)
        return ("manual" if done else "already"), Payment.by_ref(ref)
    claim = {"state": payment.state, "$or": [
        {"refund": None}, {"refund": "failed"},
        {"refund": "requested", "modified": {"$lt": utcnow() - UNDER_WAY}}]}
    outcome = _ask_telegram(payment, by, claim=claim, role="staff")
    if payment.order is not None and payment.state == "applied" and \
            outcome in ("done", "failed", "retry"):
        from flows import staff

        desk = staff.feed()
        if desk.enabled:  # the order's card shows the outcome (and loses its button)
            Notice.redraw_card(payment.order, desk.chat_id, desk.thread_id)
    return outcome, Payment.by_ref(ref)


def _ask_telegram(payment: Payment, by: str, *, claim: dict, role: str,
                  strict: bool = False) -> str:
    """The one way a Stars payment's refund is asked of Telegram: claimed (``claim``: the
    state it may be asked from; the intent recorded), ``refundStarPayment``, the outcome
    recorded: ``done`` (``CHARGE_ALREADY_REFUNDED`` too), ``failed`` (Telegram refused for
    good: its words kept, asked again later), ``retry`` (no answer: as it was before),
    ``busy`` or ``already`` (not claimed). A refusal, and a refund staff asked again, go
    into the order's history. ``strict``: no answer raises, the intent left (the
    lifecycle's housekeeping asks again); anything else raises, the payment as it was."""
    from engine.sender import SendError

    if not Payment.mark(payment.pk, claim, refund="requested", refund_by=by):
        with serialised():
            now = Payment.objects(id=payment.pk).only("refund").first()
        return "busy" if now is not None and now.refund == "requested" else "already"
    before = {"refund": payment.refund, "refund_error": payment.refund_error}
    try:
        gateway().refund_star_payment(payment.user_id, payment.pk)
    except SendError as err:
        if "CHARGE_ALREADY_REFUNDED" not in err.description:
            if err.code != 400:  # in doubt (a network failure, a 5xx): asked again,
                # Telegram says if it was done (strict: left under way, for the housekeeping)
                logger.warning("refund of payment %s: no answer: %s", payment.pk, err)
                if strict:
                    raise
                Payment.mark(payment.pk, {"refund": "requested"}, **before)
                return "retry"
            # Telegram says no for good (CHARGE_NOT_FOUND, ...): kept to refund, shown
            logger.error("refund of payment %s (order #%s) refused: %s", payment.pk,
                         payment.order_number, err.description)
            Payment.mark(payment.pk, {"refund": "requested"}, refund="failed",
                         refund_error=err.description[:500])
            _note(payment, role, by, "payments.history.refused",
                  error=err.description[:300])
            return "failed"
    except Exception:
        Payment.mark(payment.pk, {"refund": "requested"}, **before)  # nothing was asked
        raise
    Payment.mark(payment.pk, {"refund": "requested"}, refund="done", refunded_at=utcnow(),
                 refund_error=None)
    logger.info("refunded payment %s (%s stars, order #%s) asked by %s", payment.pk,
                payment.total_amount, payment.order_number, by)
    if role == "staff":  # asked again (an order's first refund is its lifecycle's)
        _note(payment, role, by, "payments.history.refunded")
    return "done"


def _note(payment: Payment, role: str, by: str, key: str, **values) -> None:
    """An order's refund asked again, or refused: in the order's history (the shop's
    language, as its other notes); an unmatched payment's order never had it."""
    if payment.state != "applied" or payment.order is None:
        return
    trigger = "refund_refused" if key.endswith(".refused") else "refund_again"
    order_lifecycle.record(payment.order, role=role,
                           actor=by if role == "staff" else ACTOR["stars"], trigger=trigger,
                           note=text(key, DEFAULT_LANGUAGE, **values))


def payment_line(order: Order, lang: str) -> str:
    """The staff card's line of the order's payment (empty: paid on delivery)."""
    if not order.pay_method:
        return ""
    amount = amount_text(order.pay_currency, order.pay_amount or 0, lang)
    payment = Payment.of_order(order.pk) if order.paid_charge else None
    if payment is None:
        if order.status != Order.AWAITING_PAYMENT:
            return ""  # cancelled unpaid: nothing was paid
        return text("payments.card_due", lang, amount=amount,
                    until=order.pay_until.strftime("%d.%m %H:%M") if order.pay_until else "")
    refund = text(f"payments.refund_state.{payment.refund}", lang,
                  error=html.escape(payment.refund_error or "")) if payment.refund else ""
    if payment.owed:  # refused (or cut short): the buyer's money is still the shop's
        refund += text("payments.still_to_refund", lang)
    return text(f"payments.card_paid.{order.pay_method}", lang, amount=amount,
                charge=html.escape(payment.pk)) + refund


# -- housekeeping ------------------------------------------------------------------------------
def expire_unpaid(now=None) -> int:
    """Cancel orders unpaid :data:`GRACE` past their deadline and :data:`LANDING` past the
    last pre-checkout the bot said yes to (stock returned, buyer told, once: the
    lifecycle's compare-and-set); returns how many. A pre-checkout is refused past the
    deadline, so no yes comes after the orders to expire are read."""
    from mongoengine.queryset.visitor import Q

    now = now or utcnow()
    count = 0
    with serialised():
        due = list(Order.objects(Q(pay_checked=None) | Q(pay_checked__lt=now - LANDING),
                                 status=Order.AWAITING_PAYMENT, paid_charge=None,
                                 pay_until__lt=now - GRACE).only("id", "version"))
    for order in due:
        try:
            with serialised():
                order_lifecycle.change(order.pk, role="system", actor="payments",
                                       trigger="expire", expect_version=order.version)
            count += 1
        except order_lifecycle.TransitionRefused:
            continue  # paid or cancelled meanwhile
    return count


def resume_received(older_than: timedelta = timedelta(seconds=30)) -> int:
    """Apply payments a crash left recorded and unapplied; returns how many."""
    with serialised():
        stuck = list(Payment.objects(state="received", created__lt=utcnow() - older_than))
    for payment in stuck:
        apply(payment)
    return len(stuck)


# -- refunds ---------------------------------------------------------------------------------
@action("payments.refund")
def refund(order: dict) -> None:
    """The order is refunded: its Stars go back through Telegram (once, :func:`_ask_telegram`);
    a card payment is recorded as refunded outside Telegram. No answer raises (the
    lifecycle's housekeeping asks again); Telegram's refusal is recorded (the staff card,
    the admin: still to refund, to ask again with :func:`refund_payment`)."""
    payment = Payment.of_order(order["_id"])
    if payment is None or payment.refund in (*SETTLED, "failed"):
        return  # paid on delivery, settled already, or refused: staff ask again
    by = next((e.get("by") for e in reversed(order.get("history") or [])
               if e.get("trigger") == "refund"), None) or ACTOR["stars"]
    if not payment.stars:
        Payment.mark(payment.pk, {"refund": None}, refund="manual", refunded_at=utcnow(),
                     refund_by=by)
        return
    # the order's own refund: asked first, or again after a crash or no answer (its intent
    # left "requested"); a refusal is asked again by staff only
    _ask_telegram(payment, by, role="system", strict=True,
                  claim={"state": "applied", "refund": {"$in": [None, "requested"]}})
