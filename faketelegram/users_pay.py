"""A buyer paying an invoice: the pre-checkout query, the bot's answer, the successful payment.

As in Telegram: the buyer presses Pay, the bot gets a ``pre_checkout_query`` and has
``World.precheckout_timeout`` seconds (Telegram: 10) to answer; on ``ok`` the payment goes
through and the bot gets a message with ``successful_payment``; on a refusal, or no answer in
time, no money moves. :func:`pay` waits for the answer without holding the world's lock, so
the bot's answerPreCheckoutQuery (by polling or webhook) is served meanwhile.
"""

from __future__ import annotations

import time

from .errors import ControlError
from .payments import Charge, Invoice, PreCheckout, charge_ids
from .state import BotState, Chat, StoredMessage, User
from .world import World

__all__ = ["pay"]


def pay(
    world: World,
    bot: BotState,
    user_id: int,
    message_id: int | None = None,
    *,
    timeout: float = 10.0,
    twice: bool = False,
    skip_pre_checkout: bool = False,
    order_info: dict | None = None,
) -> dict:
    """The user pays an invoice of the bot in their private chat (by default the latest
    unpaid one); see :meth:`~.users_handle.FakeUser.pay` for the result."""
    if twice:
        first = pay(
            world,
            bot,
            user_id,
            message_id,
            timeout=timeout,
            skip_pre_checkout=skip_pre_checkout,
            order_info=order_info,
        )
        target = message_id if message_id is not None else first["message_id"]
        second = pay(
            world,
            bot,
            user_id,
            target,
            timeout=timeout,
            skip_pre_checkout=skip_pre_checkout,
            order_info=order_info,
        )
        return {"payments": [first, second]}
    with world.cond:
        user, chat = _buyer(world, bot, user_id)
        invoice = _invoice(bot, chat, message_id)
        info = _order_info(user, invoice, order_info)
        if skip_pre_checkout:
            query = None
        else:
            query = PreCheckout(world.new_pre_checkout_id(), user_id, invoice, time.monotonic())
            bot.pre_checkouts[query.id] = query
            chat.record(
                "user",
                "pre_checkout",
                message_id=invoice.message_id,
                pre_checkout_query_id=query.id,
                currency=invoice.currency,
                total_amount=invoice.total_amount,
            )
            payload: dict = {
                "id": query.id,
                "from": user.to_json(),
                "currency": invoice.currency,
                "total_amount": invoice.total_amount,
                "invoice_payload": invoice.payload,
            }
            if info:
                payload["order_info"] = info
            world.enqueue(bot, "pre_checkout_query", payload, chat.id)
    if query is not None:
        wait = max(0.0, min(timeout, world.precheckout_timeout))
        world.wait_until(lambda: query.answered, wait)
    with world.cond:
        result: dict = {
            "message_id": invoice.message_id,
            "pre_checkout": query.to_json() if query is not None else None,
            "successful_payment": None,
            "update_id": None,
        }
        if query is not None:
            query.closed = True  # the buyer stopped waiting: a later answer is too late
            if not query.ok:
                if query.ok is None:
                    chat.record(
                        "user",
                        "payment_failed",
                        message_id=invoice.message_id,
                        pre_checkout_query_id=query.id,
                        reason="no answer in time",
                    )
                return result
        charge = _charge(world, bot, user, chat, invoice, info)
        result["successful_payment"] = charge["successful_payment"]
        result["update_id"] = charge["update_id"]
        return result


def _buyer(world: World, bot: BotState, user_id: int) -> tuple[User, Chat]:
    user = world.user(user_id)
    if bot.token in user.blocked:
        raise ControlError(f"user {user_id} has blocked @{bot.user.username}; unblock them first")
    chat = bot.chats.get(user_id)
    if chat is None:
        raise ControlError(f"user {user_id} has no chat with @{bot.user.username}, so no invoice")
    return user, chat


def _invoice(bot: BotState, chat: Chat, message_id: int | None) -> Invoice:
    invoices = [i for (chat_id, _), i in bot.invoices.items() if chat_id == chat.id]
    if message_id is not None:
        invoice = bot.invoices.get((chat.id, int(message_id)))
        if invoice is None:
            shown = ", ".join(str(i.message_id) for i in invoices) or "none"
            raise ControlError(
                f"message {message_id} in chat {chat.id} is not an invoice (invoices: {shown})"
            )
    else:
        unpaid = [i for i in invoices if i.paid == 0]
        if not unpaid:
            raise ControlError(
                f"chat {chat.id} has no unpaid invoice"
                + (" (give message_id to pay a paid one again)" if invoices else "")
            )
        invoice = unpaid[-1]
    stored = chat.messages.get(invoice.message_id)
    if stored is None or stored.deleted:
        raise ControlError(f"invoice message {invoice.message_id} was deleted by the bot")
    return invoice


def _order_info(user: User, invoice: Invoice, given: dict | None) -> dict:
    """What the buyer fills in for the invoice's need_* flags (``given`` overrides)."""
    info: dict = {}
    needs = invoice.needs
    if "need_name" in needs:
        info["name"] = " ".join(filter(None, (user.first_name, user.last_name)))
    if needs & {"need_phone_number", "send_phone_number_to_provider"}:
        info["phone_number"] = (user.phone_number or "+10000000000").lstrip("+")
    if needs & {"need_email", "send_email_to_provider"}:
        info["email"] = f"user{user.id}@example.com"
    if needs & {"need_shipping_address", "is_flexible"}:
        info["shipping_address"] = {
            "country_code": "RU",
            "state": "",
            "city": "Moscow",
            "street_line1": "Tverskaya 1",
            "street_line2": "",
            "post_code": "125009",
        }
    info.update(given or {})
    return info


def _charge(
    world: World, bot: BotState, user: User, chat: Chat, invoice: Invoice, info: dict
) -> dict:
    number = world.new_charge_number()
    telegram_id, provider_id = charge_ids(invoice.currency, number, bot.token)
    payment: dict = {
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
        "invoice_payload": invoice.payload,
    }
    if info:
        payment["order_info"] = info
    payment["telegram_payment_charge_id"] = telegram_id
    payment["provider_payment_charge_id"] = provider_id
    message = {
        "message_id": chat.new_message_id(),
        "from": user.to_json(),
        "chat": chat.user.chat_json(),
        "date": int(time.time()),
        "successful_payment": payment,
    }
    chat.messages[message["message_id"]] = StoredMessage(message, from_bot=False)
    invoice.paid += 1
    bot.charges[telegram_id] = Charge(
        user.id,
        chat.id,
        invoice.currency,
        invoice.total_amount,
        invoice.payload,
        telegram_id,
        provider_id,
        message["date"],
        message["message_id"],
        extra={"order_info": info} if info else {},
    )
    chat.record(
        "user",
        "payment",
        message_id=message["message_id"],
        invoice_message_id=invoice.message_id,
        currency=invoice.currency,
        total_amount=invoice.total_amount,
        telegram_payment_charge_id=telegram_id,
    )
    update = world.enqueue(bot, "message", message, chat.id)
    return {
        "successful_payment": dict(payment),
        "update_id": update["update_id"] if update is not None else None,
    }
