"""Bot API payment methods: sendInvoice, answerPreCheckoutQuery, refundStarPayment.

Checks run in Telegram's order and answer with Telegram's descriptions. Where they come from:

- the Bot API server (tdlib/telegram-bot-api, ``get_input_message_invoice``,
  ``get_labeled_price_parts``, ``process_answer_pre_checkout_query_query``,
  ``process_refund_star_payment_query``): required parameters, the prices JSON, the tips;
- TDLib (``InputInvoice::process_input_message_invoice``): amounts and tips;
- Telegram's server (errors documented for messages.sendMedia, payments.exportInvoice and
  payments.refundStarsCharge): INVOICE_PAYLOAD_INVALID, PAYMENT_PROVIDER_INVALID,
  CURRENCY_TOTAL_AMOUNT_INVALID, STARS_INVOICE_INVALID, BUTTON_POS_INVALID,
  REPLY_MARKUP_BUY_EMPTY, CHARGE_NOT_FOUND, CHARGE_ALREADY_REFUNDED.

The Bot API server lowercases the first letter of its own messages after "Bad Request: ",
so TDLib's "Total price must be positive" reaches the bot as "total price must be positive".
"""

from __future__ import annotations

import json
import re
import time

from .errors import bad_request
from .keyboards import is_inline, parse_reply_markup
from .methods_send import _before_send, _new_message, _replied, _store
from .params import Params
from .payments import STARS, Charge, Invoice, format_amount
from .state import BotState, StoredMessage
from .world import World

__all__ = ["PAY_METHODS", "refunded_payment_message"]

MAX_TITLE = 32
MAX_DESCRIPTION = 255
MAX_PAYLOAD_BYTES = 128
MAX_AMOUNT = 999_999_999_999  # TDLib's check_currency_amount
MAX_SUGGESTED_TIPS = 4
_CURRENCY = re.compile(r"[A-Z]{3}")
_NEEDS = (
    "need_name",
    "need_phone_number",
    "need_email",
    "need_shipping_address",
    "send_phone_number_to_provider",
    "send_email_to_provider",
    "is_flexible",
)


def _required(params: Params, name: str) -> str:
    value = params.text(name)
    if not value:
        raise bad_request(f'parameter "{name}" is required')
    return value


def _prices(params: Params) -> list[dict]:
    raw = _required(params, "prices")
    try:
        prices = json.loads(raw)
    except ValueError:
        raise bad_request("can't parse prices JSON object") from None
    if not isinstance(prices, list):
        raise bad_request("expected an Array of labeled prices")
    parts = []
    for price in prices:
        prefix = "can't parse labeled price: "
        if not isinstance(price, dict):
            raise bad_request(prefix + "LabeledPrice must be an Object")
        label = price.get("label")
        if label is None:
            raise bad_request(prefix + 'Can\'t find field "label"')
        if not isinstance(label, str):
            raise bad_request(prefix + 'Field "label" must be of type String')
        if not label:
            raise bad_request(prefix + "LabeledPrice label must be non-empty")
        amount = price.get("amount")
        if amount is None:
            raise bad_request(prefix + 'Can\'t find field "amount"')
        if isinstance(amount, bool) or not isinstance(amount, (int, str)):
            raise bad_request(prefix + 'Field "amount" must be a valid Number')
        try:
            amount = int(amount)
        except ValueError:
            raise bad_request(prefix + 'Field "amount" must be a valid Number') from None
        parts.append({"label": label, "amount": amount})
    if not parts:
        raise bad_request("there must be at least one price")
    return parts


def _tips(params: Params) -> tuple[int, list[int]]:
    max_tip = 0
    if params.has("max_tip_amount"):
        try:
            max_tip = int(params.text("max_tip_amount"))
        except ValueError:
            raise bad_request('can\'t parse "max_tip_amount" as Number') from None
    suggested: list[int] = []
    if params.has("suggested_tip_amounts"):
        try:
            raw = json.loads(params.text("suggested_tip_amounts"))
        except ValueError:
            raise bad_request("can't parse suggested_tip_amounts JSON object") from None
        if not isinstance(raw, list):
            raise bad_request("expected an Array of suggested tip amounts")
        for amount in raw:
            if isinstance(amount, bool) or not isinstance(amount, (int, str)):
                raise bad_request("suggested tip amount must be of type Number or String")
            try:
                suggested.append(int(amount))
            except ValueError:
                raise bad_request("can't parse suggested tip amount as Number") from None
    return max_tip, suggested


def _check_amounts(prices: list[dict], max_tip: int, suggested: list[int]) -> int:
    """TDLib's checks, in its order; returns the total."""
    for price in prices:
        if abs(price["amount"]) > MAX_AMOUNT:
            raise bad_request("too big amount of the currency specified")
    total = sum(price["amount"] for price in prices)
    if total <= 0:
        raise bad_request("total price must be positive")
    if total > MAX_AMOUNT:
        raise bad_request("total price is too big")
    if max_tip < 0 or max_tip > MAX_AMOUNT:
        raise bad_request("invalid max_tip_amount of the currency specified")
    for tip in suggested:
        if tip <= 0:
            raise bad_request("suggested tip amount must be positive")
        if tip > max_tip:
            raise bad_request("suggested tip amount can't be bigger than max_tip_amount")
    if len(suggested) > MAX_SUGGESTED_TIPS:
        raise bad_request("there can be at most 4 suggested tip amounts")
    return total


def _check_pay_button(markup: dict | None) -> None:
    """An invoice's inline keyboard must start with a pay button (Telegram adds one when
    there is no keyboard)."""
    if markup is None:
        return
    if not is_inline(markup):
        raise bad_request("REPLY_MARKUP_INVALID")
    buttons = [button for row in markup["inline_keyboard"] for button in row]
    if not any(button.get("pay") for button in buttons):
        raise bad_request("REPLY_MARKUP_BUY_EMPTY")
    if not buttons[0].get("pay"):
        raise bad_request("BUTTON_POS_INVALID")


def send_invoice(world: World, bot: BotState, params: Params) -> dict:
    """sendInvoice: an invoice message in a private chat; the payload stays server-side."""
    title = _required(params, "title")
    description = _required(params, "description")
    payload = _required(params, "payload")
    currency = _required(params, "currency")
    prices = _prices(params)
    max_tip, suggested = _tips(params)
    markup = parse_reply_markup(params)
    chat = world.chat_for_api(bot, params.text("chat_id"))
    total = _check_amounts(prices, max_tip, suggested)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if len(title) > MAX_TITLE or len(description) > MAX_DESCRIPTION:
        raise bad_request("MEDIA_INVALID")
    provider_token = params.text("provider_token")
    if currency == STARS:
        if provider_token or len(prices) != 1 or max_tip or suggested:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not _CURRENCY.fullmatch(currency):
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    _check_pay_button(markup)
    replied = _replied(chat, params)
    _before_send(world, bot, chat, markup)
    message = _new_message(bot, chat, replied)
    start_parameter = params.text("start_parameter")
    message["invoice"] = {
        "title": title,
        "description": description,
        "start_parameter": start_parameter,
        "currency": currency,
        "total_amount": total,
    }
    if params.flag("protect_content"):
        message["has_protected_content"] = True
    if markup is None:  # Telegram's own Pay button, the total in major units
        markup = {"inline_keyboard": [[{"text": f"Pay {format_amount(total, currency)}",
                                        "pay": True}]]}
    stored = _store(chat, message, markup)
    invoice = Invoice(
        chat.id,
        stored.message_id,
        title,
        description,
        payload,
        currency,
        prices,
        total,
        start_parameter,
        max_tip,
        frozenset(name for name in _NEEDS if params.flag(name)),
    )
    bot.invoices[(chat.id, stored.message_id)] = invoice
    chat.record(
        "bot",
        "send",
        method="sendInvoice",
        kind="invoice",
        message_id=stored.message_id,
        text=title,
        invoice={**message["invoice"], "payload": payload, "prices": prices},
        reply_markup=markup,
        photo_url=params.text("photo_url") or None,
    )
    return stored.to_json()


def answer_pre_checkout_query(world: World, bot: BotState, params: Params) -> bool:
    """answerPreCheckoutQuery: once, within ``world.precheckout_timeout`` seconds."""
    ok = params.flag("ok")
    error_message = None if ok else _required(params, "error_message")
    query = bot.pre_checkouts.get(params.text("pre_checkout_query_id").strip())
    too_old = query is not None and (
        query.closed or time.monotonic() - query.created > world.precheckout_timeout
    )
    if query is None or query.answered or too_old:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.ok, query.error_message = ok, error_message
    chat = bot.chats.get(query.invoice.chat_id)
    if chat is not None:
        chat.record(
            "bot",
            "answer_pre_checkout",
            method="answerPreCheckoutQuery",
            pre_checkout_query_id=query.id,
            message_id=query.invoice.message_id,
            ok=ok,
            error_message=error_message,
        )
    return True


def refund_star_payment(world: World, bot: BotState, params: Params) -> bool:
    """refundStarPayment: a Stars charge of this user, once; the bot then receives the
    ``refunded_payment`` service message."""
    user_id = params.integer("user_id")
    if user_id <= 0:
        raise bad_request("invalid user_id specified")
    charge_id = _required(params, "telegram_payment_charge_id")
    charge = bot.charges.get(charge_id)
    if charge is None or charge.user_id != user_id or charge.currency != STARS:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    message_id = refunded_payment_message(world, bot, charge)
    chat = bot.chats.get(charge.chat_id)
    if chat is not None:
        chat.record(
            "bot",
            "refund",
            method="refundStarPayment",
            telegram_payment_charge_id=charge_id,
            total_amount=charge.total_amount,
            message_id=message_id,
        )
    return True


def refunded_payment_message(world: World, bot: BotState, charge: Charge) -> int | None:
    """Store and queue the ``refunded_payment`` service message; its message id."""
    chat = bot.chats.get(charge.chat_id)
    if chat is None:
        return None
    refunded: dict = {
        "currency": charge.currency,
        "total_amount": charge.total_amount,
        "invoice_payload": charge.invoice_payload,
        "telegram_payment_charge_id": charge.telegram_payment_charge_id,
    }
    if charge.provider_payment_charge_id:
        refunded["provider_payment_charge_id"] = charge.provider_payment_charge_id
    user = world.user(charge.user_id)
    message = {
        "message_id": chat.new_message_id(),
        "from": user.to_json(),
        "chat": chat.user.chat_json(),
        "date": int(time.time()),
        "refunded_payment": refunded,
    }
    chat.messages[message["message_id"]] = StoredMessage(message, from_bot=False)
    world.enqueue(bot, "message", message, chat.id)
    return int(message["message_id"])


PAY_METHODS = {
    "sendinvoice": send_invoice,
    "answerprecheckoutquery": answer_pre_checkout_query,
    "refundstarpayment": refund_star_payment,
}
