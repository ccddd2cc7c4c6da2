"""Payments as the fake Telegram keeps them: invoices sent, pre-checkout queries, charges.

Guarded by :class:`~.world.World`'s lock like the rest of the state. An invoice keeps what the
Bot API never shows the buyer's side (its payload, the price parts, the provider token's
presence); a charge is one successful payment, refundable once when it is in Telegram Stars.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

__all__ = ["STARS", "Charge", "Invoice", "PreCheckout", "charge_ids", "format_amount"]

STARS = "XTR"  # Telegram Stars: no provider, provider_payment_charge_id is empty

# Digits after the point (ISO 4217 minor units) where they are not 2; amounts in the Bot API
# are in minor units ("total_amount": 89000 is 890.00 RUB, 5000 is 5000 JPY).
_EXPONENTS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF", STARS),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}


@dataclass
class Invoice:
    """An invoice message the bot sent (``sendInvoice``), and how often it was paid."""

    chat_id: int
    message_id: int
    title: str
    description: str
    payload: str
    currency: str
    prices: list[dict]
    total_amount: int
    start_parameter: str = ""
    max_tip_amount: int = 0
    needs: frozenset[str] = frozenset()  # need_name, need_email, ... as given
    paid: int = 0  # successful payments of this invoice

    def to_json(self) -> dict:
        """A summary for the control API, payload included (the bot's own data)."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "title": self.title,
            "description": self.description,
            "payload": self.payload,
            "currency": self.currency,
            "prices": [dict(price) for price in self.prices],
            "total_amount": self.total_amount,
            "paid": self.paid,
        }


@dataclass
class PreCheckout:
    """A pre-checkout query waiting for (or given) its answerPreCheckoutQuery."""

    id: str
    user_id: int
    invoice: Invoice
    created: float  # time.monotonic()
    ok: bool | None = None  # None: not answered
    error_message: str | None = None
    closed: bool = False  # the buyer stopped waiting: a later answer is too late

    @property
    def answered(self) -> bool:
        """Whether the bot answered it."""
        return self.ok is not None

    def to_json(self) -> dict:
        """What ``pay`` reports about it."""
        return {"id": self.id, "ok": self.ok, "error_message": self.error_message}


@dataclass
class Charge:
    """One successful payment."""

    user_id: int
    chat_id: int
    currency: str
    total_amount: int
    invoice_payload: str
    telegram_payment_charge_id: str
    provider_payment_charge_id: str
    date: int
    message_id: int  # the successful_payment service message
    refunded: bool = False
    extra: dict = field(default_factory=dict)  # order_info, shipping_option_id

    def to_json(self) -> dict:
        """The control API's view of the charge."""
        return {
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "currency": self.currency,
            "total_amount": self.total_amount,
            "invoice_payload": self.invoice_payload,
            "telegram_payment_charge_id": self.telegram_payment_charge_id,
            "provider_payment_charge_id": self.provider_payment_charge_id,
            "refunded": self.refunded,
            "date": self.date,
            "message_id": self.message_id,
        }


def charge_ids(currency: str, number: int, salt: str) -> tuple[str, str]:
    """Fresh (telegram_payment_charge_id, provider_payment_charge_id) for payment ``number``.

    Stars charges look like Telegram's (``stx`` and URL-safe letters) and have no provider
    charge; other currencies get ``tg_charge_N`` and ``provider_charge_N``. Deterministic, so
    a test run is repeatable; ``salt`` (the bot token) keeps bots apart.
    """
    if currency == STARS:
        digest = hashlib.sha256(f"{salt}:{number}".encode()).digest()
        letters = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return "stx" + letters[:40], ""
    return f"tg_charge_{number}", f"provider_charge_{number}"


def format_amount(amount: int, currency: str) -> str:
    """An amount in minor units as a person reads it: ``890.00 RUB``, ``5000 JPY``,
    ``1.500 KWD``, ``⭐️50`` for Telegram Stars (the text of Telegram's Pay button)."""
    if currency == STARS:
        return f"⭐️{amount}"
    exponent = _EXPONENTS.get(currency, 2)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if exponent == 0:
        return f"{sign}{amount} {currency}"
    whole, minor = divmod(amount, 10**exponent)
    return f"{sign}{whole}.{minor:0{exponent}d} {currency}"
