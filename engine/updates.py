"""Raw updates checked before telebot reads them: a malformed one is acknowledged and dropped.

Telegram's updates are well formed, but a webhook is an HTTP endpoint, and telebot reads
whatever it is given (``"message": {}`` is a ``KeyError``, a text user id reaches the
store). So every update goes through :func:`parse`: the parts the engine uses (the message
or the button press, with their ids, chat and sender) must have Telegram's shape, ids must
be integers of at most 52 significant bits (Telegram's own bound), and only those parts
reach telebot. Anything else is logged once as malformed and becomes an empty update of
the same ``update_id``: acknowledged (a webhook answers 200, polling confirms its offset),
nothing done.
"""

from __future__ import annotations

import logging
from typing import Any

from telebot import types

logger = logging.getLogger(__name__)

MAX_ID = 2**53  # "at most 52 significant bits" (Bot API, on every id)
# the kinds the engine's handlers take (pre-checkout queries: engine/payments.py)
HANDLED = ("message", "callback_query", "pre_checkout_query")

__all__ = ["HANDLED", "MAX_ID", "parse", "problem"]


class _Malformed(ValueError):
    pass


def _int(value: Any, where: str, *, minimum: int = -MAX_ID) -> int:
    # bool is an int in Python, not in JSON
    if type(value) is not int or not minimum <= value < MAX_ID:
        raise _Malformed(f"{where} is {value!r}, expected an integer id")
    return value


def _str(value: Any, where: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _Malformed(f"{where} is {value!r}, expected a string")


def _dict(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise _Malformed(f"{where} is {type(value).__name__}, expected an object")
    return value


def _user(value: Any, where: str) -> None:
    user = _dict(value, where)
    _int(user.get("id"), f"{where}.id")
    if type(user.get("is_bot")) is not bool:
        raise _Malformed(f"{where}.is_bot is {user.get('is_bot')!r}, expected a boolean")
    _str(user.get("first_name"), f"{where}.first_name")
    for name in ("last_name", "username", "language_code"):
        _str(user.get(name), f"{where}.{name}", optional=True)


def _message(value: Any, where: str, *, sender: bool) -> None:
    message = _dict(value, where)
    _int(message.get("message_id"), f"{where}.message_id", minimum=0)
    _int(message.get("date"), f"{where}.date", minimum=0)
    chat = _dict(message.get("chat"), f"{where}.chat")
    _int(chat.get("id"), f"{where}.chat.id")
    _str(chat.get("type"), f"{where}.chat.type")
    if sender or "from" in message:
        _user(message.get("from"), f"{where}.from")
    _str(message.get("text"), f"{where}.text", optional=True)
    if "successful_payment" in message:
        _paid(message["successful_payment"], f"{where}.successful_payment")
    if "contact" in message:
        contact = _dict(message["contact"], f"{where}.contact")
        _str(contact.get("phone_number"), f"{where}.contact.phone_number")
        _str(contact.get("first_name"), f"{where}.contact.first_name")
        if contact.get("user_id") is not None:
            _int(contact["user_id"], f"{where}.contact.user_id")


def _amount(value: Any, where: str) -> None:
    if type(value) is not int or not 0 < value < MAX_ID:
        raise _Malformed(f"{where} is {value!r}, expected a positive integer amount")


def _paid(value: Any, where: str) -> None:
    paid = _dict(value, where)
    _str(paid.get("currency"), f"{where}.currency")
    _amount(paid.get("total_amount"), f"{where}.total_amount")
    _str(paid.get("invoice_payload"), f"{where}.invoice_payload")
    _str(paid.get("telegram_payment_charge_id"), f"{where}.telegram_payment_charge_id")
    _str(paid.get("provider_payment_charge_id"), f"{where}.provider_payment_charge_id",
         optional=True)
    if not paid["telegram_payment_charge_id"]:
        raise _Malformed(f"{where}.telegram_payment_charge_id is empty")


def _pre_checkout(value: Any, where: str) -> None:
    query = _dict(value, where)
    _str(query.get("id"), f"{where}.id")
    _user(query.get("from"), f"{where}.from")
    _str(query.get("currency"), f"{where}.currency")
    _amount(query.get("total_amount"), f"{where}.total_amount")
    _str(query.get("invoice_payload"), f"{where}.invoice_payload")


def _callback(value: Any, where: str) -> None:
    query = _dict(value, where)
    _str(query.get("id"), f"{where}.id")
    _user(query.get("from"), f"{where}.from")
    _str(query.get("chat_instance"), f"{where}.chat_instance")
    _str(query.get("data"), f"{where}.data", optional=True)
    if query.get("message") is not None:
        _message(query["message"], f"{where}.message", sender=False)


def problem(raw: dict) -> str | None:
    """What is malformed in the parts of ``raw`` (an update with a valid id) the engine
    reads, or ``None``."""
    try:
        if "message" in raw:
            _message(raw["message"], "message", sender=True)
        if "callback_query" in raw:
            _callback(raw["callback_query"], "callback_query")
        if "pre_checkout_query" in raw:
            _pre_checkout(raw["pre_checkout_query"], "pre_checkout_query")
    except _Malformed as err:
        return str(err)
    return None


def update_id(raw: object) -> int | None:
    """The update's id, or ``None`` when ``raw`` is not an update at all."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("update_id")
    return value if type(value) is int and 0 <= value < MAX_ID else None


def parse(raw: object) -> types.Update | None:
    """A telebot ``Update`` of ``raw``'s handled parts; an empty one when they are malformed.

    ``None`` when ``raw`` has no valid ``update_id`` (then it cannot even be acknowledged
    by its id: a webhook answers 400).
    """
    uid = update_id(raw)
    if uid is None:
        logger.warning("malformed update ignored: no integer update_id (%.200r)", raw)
        return None
    kept = {"update_id": uid, **{k: raw[k] for k in HANDLED if raw.get(k) is not None}}
    reason = problem(kept)
    if reason is None:
        try:
            return types.Update.de_json(kept)
        # telebot's reading of the rest (entities, media) fails with any of these
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            reason = f"{type(err).__name__}: {err}"
    logger.warning("update %s malformed (%s): acknowledged, ignored", uid, reason)
    return types.Update.de_json({"update_id": uid})
