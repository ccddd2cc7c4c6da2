"""The Telegram adapter: telebot handlers that feed the engine, and the telebot sender.

The only place that catches broadly around user updates is :meth:`Engine.handle`; the
handlers here just normalise updates into events.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

import requests
import telebot
from telebot import apihelper, types
from telebot.apihelper import ApiTelegramException

from engine import events, payments, side, updates
from engine.media import MediaDir
from engine.render import Inline, RemoveKeyboard, ReplyKeyboard
from engine.sender import Blocked, Markup, SendError

logger = logging.getLogger(__name__)
ALL_CONTENT_TYPES = ["text", "contact", "audio", "document", "animation", "photo", "sticker",
                     "video", "video_note", "voice", "location", "venue", "dice", "poll"]
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"]


def use_api_url(base: str) -> None:
    """Point telebot at a Bot API server (``TELEGRAM_API_URL``): ``{base}/bot{token}/{method}``."""
    apihelper.API_URL = base.rstrip("/") + "/bot{0}/{1}"
    apihelper.FILE_URL = base.rstrip("/") + "/file/bot{0}/{1}"


class EngineBot(telebot.TeleBot):
    """A TeleBot that keeps each update's id on its message, for exactly-once processing.

    Fetched updates are checked (:func:`engine.updates.parse`) before telebot reads them:
    a malformed one is logged, confirmed and ignored, and never stops the polling loop.
    """

    def get_updates(self, offset=None, limit=None, timeout=20, allowed_updates=None,
                    long_polling_timeout=20):
        raw = apihelper.get_updates(self.token, offset=offset, limit=limit, timeout=timeout,
                                    allowed_updates=allowed_updates,
                                    long_polling_timeout=long_polling_timeout)
        return [u for u in map(updates.parse, raw or []) if u is not None]

    def process_new_updates(self, updates):
        """Dispatch a batch, its pre-checkout queries first: telebot would take messages
        first, and a successful payment's work could hold a query past its 10 seconds."""
        for update in updates:
            for payload in (update.message, update.callback_query, update.pre_checkout_query):
                if payload is not None:
                    payload.engine_update_id = update.update_id
        urgent = [u for u in updates if u.pre_checkout_query is not None]
        if urgent and len(urgent) < len(updates):
            super().process_new_updates(urgent)
            updates = [u for u in updates if u.pre_checkout_query is None]
        return super().process_new_updates(updates)


def to_telebot(markup: Markup):
    if isinstance(markup, Inline):
        keyboard = types.InlineKeyboardMarkup()
        for row in markup.rows:
            keyboard.row(*(types.InlineKeyboardButton(b.label, callback_data=b.data) for b in row))
        return keyboard
    if isinstance(markup, ReplyKeyboard):
        keyboard = types.ReplyKeyboardMarkup(resize_keyboard=True)
        for row in markup.rows:
            keyboard.row(*(types.KeyboardButton(label, request_contact=contact or None)
                           for label, contact in row))
        return keyboard
    if isinstance(markup, RemoveKeyboard):
        return types.ReplyKeyboardRemove()
    return None


def markup_json(markup: Markup) -> str | None:
    """``markup`` as the Bot API's JSON, built directly (what :func:`to_telebot` then
    telebot's ``to_json`` would make, at a fraction of the cost: it is on every call)."""
    if isinstance(markup, Inline):
        derived = markup.derived  # a cached screen's (never changed): made once
        if derived is not None and "json" in derived:
            return derived["json"]
        made = json.dumps({"inline_keyboard": [[{"text": b.label, "callback_data": b.data}
                                                 for b in row] for row in markup.rows]})
        if derived is not None:
            derived["json"] = made
        return made
    if isinstance(markup, ReplyKeyboard):
        return json.dumps({"keyboard": [[{"text": label, "request_contact": True} if contact
                                         else {"text": label} for label, contact in row]
                                        for row in markup.rows], "resize_keyboard": True})
    if isinstance(markup, RemoveKeyboard):
        return '{"remove_keyboard": true}'
    return None


class _NoPreview(types.LinkPreviewOptions):
    """Link previews off, serialised once."""

    def __init__(self) -> None:
        super().__init__(is_disabled=True)
        self._json = super().to_json()

    def to_json(self) -> str:
        return self._json


NO_PREVIEW = _NoPreview()


class TelebotSender:
    """Sends through telebot; waits out 429s, treats "not modified" as success.

    Pictures are checked by :class:`~engine.media.MediaDir` before anything is sent: a
    file is uploaded only from ``media_dir`` (once per process; the ``file_id`` Telegram
    returns is used from then on); any other reference is refused with
    :class:`~engine.media.PictureRefused`.
    """

    def __init__(self, bot: telebot.TeleBot, *, media_dir: str | os.PathLike | None = None,
                 max_retries: int = 3, max_wait: float = 10.0) -> None:
        self.bot = bot
        self.media = MediaDir(media_dir)
        self.max_retries = max_retries
        # a shopper's update holds its conversation's lease while it waits: a longer flood
        # wait gives up (the update fails and can be retried) rather than outlive the lease
        self.max_wait = max_wait
        self.file_ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def _call(self, func: Callable, *args, **kwargs):
        for attempt in range(self.max_retries + 1):
            try:
                return func(*args, **kwargs)
            except ApiTelegramException as err:
                description = err.description or str(err)
                if err.error_code == 400 and "message is not modified" in description:
                    return None
                retry = (err.result_json or {}).get("parameters", {}).get("retry_after", 1)
                if err.error_code == 429 and attempt < self.max_retries and \
                        float(retry) <= self.max_wait:
                    logger.warning("429 from Telegram: waiting %ss", retry)
                    time.sleep(float(retry))
                    continue
                if err.error_code == 403:
                    raise Blocked(403, description) from None
                raise SendError(err.error_code, description) from None
        raise SendError(429, "Too Many Requests: retries exhausted")

    def _photo(self, ref: str):
        if ref in self.file_ids:
            return self.file_ids[ref], None
        picture = self.media.resolve(ref)  # PictureRefused: the caller sends no picture
        if picture.kind == "file":
            handle = open(picture.value, "rb")  # noqa: SIM115 - closed by the caller after the upload
            return handle, ref
        return ref, None

    def _remember(self, ref: str | None, message) -> None:
        if ref and message is not None and getattr(message, "photo", None):
            with self._lock:
                self.file_ids[ref] = message.photo[-1].file_id

    def send(self, chat_id, text, photo, markup, parse_mode) -> int:
        if photo:
            media, ref = self._photo(photo)
            try:
                message = self._call(self.bot.send_photo, chat_id, media, caption=text,
                                     parse_mode=parse_mode, reply_markup=markup_json(markup))
            finally:
                if ref:
                    media.close()
            self._remember(ref, message)
        else:
            message = self._call(self.bot.send_message, chat_id, text, parse_mode=parse_mode,
                                 reply_markup=markup_json(markup),
                                 link_preview_options=NO_PREVIEW)
        return message.message_id

    def edit(self, chat_id, message_id, text, photo, markup, parse_mode) -> None:
        if photo:
            media, ref = self._photo(photo)
            try:
                message = self._call(
                    self.bot.edit_message_media,
                    types.InputMediaPhoto(media, caption=text, parse_mode=parse_mode),
                    chat_id=chat_id, message_id=message_id, reply_markup=markup_json(markup))
            finally:
                if ref:
                    media.close()
            if message is not True:
                self._remember(ref, message)
        else:
            self._call(self.bot.edit_message_text, text, chat_id=chat_id, message_id=message_id,
                       parse_mode=parse_mode, reply_markup=markup_json(markup),
                       link_preview_options=NO_PREVIEW)

    def delete(self, chat_id, message_id) -> None:
        self._call(self.bot.delete_message, chat_id, message_id)

    def answer(self, callback_id, text=None, alert=False) -> None:
        self._call(self.bot.answer_callback_query, callback_id, text=text, show_alert=alert)

    # -- payments (engine/payments.py) ---------------------------------------------------
    def send_invoice(self, chat_id: int, invoice: payments.Invoice) -> int:
        """``sendInvoice``; the sent message's id."""
        message = self._call(
            self.bot.send_invoice, chat_id, invoice.title, invoice.description,
            invoice.payload, invoice.provider_token, invoice.currency,
            [types.LabeledPrice(label, amount) for label, amount in invoice.prices],
            photo_url=invoice.photo_url)
        return message.message_id

    def answer_pre_checkout(self, query_id: str, ok: bool,
                            error_message: str | None = None) -> None:
        """``answerPreCheckoutQuery`` (at once: never retried past Telegram's 10 seconds)."""
        try:
            self.bot.answer_pre_checkout_query(query_id, ok, error_message=error_message)
        except ApiTelegramException as err:
            raise SendError(err.error_code, err.description or str(err)) from None

    def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        """``refundStarPayment``; :class:`SendError` with Telegram's words when refused."""
        self._call(self.bot.refund_star_payment, user_id, charge_id)


class OrderedWorkers:
    """Runs events on ``n`` threads, each user's events always on the same one, in order."""

    def __init__(self, handle: Callable[[events.Event], None], n: int = 4) -> None:
        self.handle = handle
        self.queues = [queue.SimpleQueue() for _ in range(n)]
        self.threads = [threading.Thread(target=self._run, args=(q,), daemon=True,
                                         name=f"engine-worker-{i}")
                        for i, q in enumerate(self.queues)]
        for thread in self.threads:
            thread.start()

    def _run(self, q: queue.SimpleQueue) -> None:
        while (event := q.get()) is not None:
            self.handle(event)

    def submit(self, event: events.Event) -> None:
        self.queues[event.user_id % len(self.queues)].put(event)

    def stop(self) -> None:
        for q in self.queues:
            q.put(None)
        for thread in self.threads:
            thread.join(timeout=30)


def username(bot: telebot.TeleBot) -> str | None:
    """The bot's username (``getMe``, asked once), or ``None`` when Telegram cannot say."""
    try:
        return bot.user.username
    except (ApiTelegramException, requests.RequestException) as err:
        logger.warning("getMe failed, commands addressed by name are ignored: %s", err)
        return None


class TelebotReplier:
    """The :class:`~engine.side.Replier` of side handlers, through telebot: messages in
    forum topics, replies, forced replies (429s waited out as the sender does)."""

    def __init__(self, sender: TelebotSender) -> None:
        self.sender = sender
        self.bot = sender.bot

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None:
        self.sender.answer(callback_id, text, alert)

    def say(self, chat_id, text, *, thread_id=None, reply_to=None, force_reply=False,
            buttons=None, parse_mode="HTML") -> int:
        markup = markup_json(side.inline(buttons)) if buttons else None
        if force_reply:  # selective: only the people the text mentions (or replies to)
            markup = json.dumps({"force_reply": True, "selective": True})
        reply = types.ReplyParameters(reply_to, allow_sending_without_reply=True) \
            if reply_to else None
        message = self.sender._call(self.bot.send_message, chat_id, text,
                                    parse_mode=parse_mode, reply_markup=markup,
                                    message_thread_id=thread_id, reply_parameters=reply,
                                    link_preview_options=NO_PREVIEW)
        return message.message_id

    def edit(self, chat_id, message_id, text, *, buttons=None, parse_mode="HTML") -> None:
        self.sender.edit(chat_id, message_id, text, None, side.inline(buttons), parse_mode)


def attach(bot: telebot.TeleBot, submit: Callable[[events.Event], None],
           sides: list[side.SideHandler] | tuple = (),
           on_side_failure: Callable[[], None] | None = None,
           pays: payments.PaymentHandler | None = None, answerer=None,
           aside: Callable[[int | None, Callable[[], bool]], None] | None = None) -> None:
    """Register the thin handlers: every private message and button press becomes an event.

    ``sides`` (:mod:`engine.side`) take, instead of the engine, the presses whose data
    starts with their prefix and the messages of the group chats they watch; they run in
    the dispatching thread. ``on_side_failure()`` is called when one of them failed (the
    webhook then answers 5xx, so that Telegram delivers the update again).

    ``pays`` (:mod:`engine.payments`) takes pre-checkout queries (answered at once through
    ``answerer``'s ``answer_pre_checkout``, in the dispatching thread: never queued behind
    a user's other updates) and successful payments; a payment it could not record counts
    as a failure too.

    ``aside(update_id, work)`` (polling: :class:`engine.polling.Aside`), when given, runs
    the side handlers' and the successful payments' work instead of the dispatching thread
    (it may call Telegram, or retry), which then only answers pre-checkout queries and hands
    the rest on; ``work()`` returns False when the update failed.
    """
    bot_id = int(bot.token.split(":", 1)[0]) if bot.token.split(":", 1)[0].isdigit() else None

    def failed() -> None:
        if on_side_failure is not None:
            on_side_failure()

    def run(payload, work: Callable[[], bool]) -> None:
        if aside is not None:
            aside(getattr(payload, "engine_update_id", None), work)
        elif not work():
            failed()

    @bot.message_handler(content_types=ALL_CONTENT_TYPES,
                         func=lambda m: m.chat.type == "private" and m.from_user is not None)
    def on_message(message) -> None:
        name = None
        if message.content_type == "text" and events.addressee(message.text or ""):
            name = username(bot)  # asked only for a /command@name
        submit(events.from_message(message, name))

    if sides:
        @bot.message_handler(content_types=ALL_CONTENT_TYPES,
                             func=lambda m: side.owner_of_message(sides, m) is not None)
        def on_side_message(message) -> None:
            run(message, lambda: side.dispatch_message(side.owner_of_message(sides, message),
                                                       message, bot_id))

    @bot.message_handler(content_types=["successful_payment"])
    def on_paid(message) -> None:
        if pays is None:
            logger.error("a successful payment arrived and no payment handler is configured: "
                         "charge %s of user %s (%s %s)",
                         message.successful_payment.telegram_payment_charge_id,
                         message.from_user.id if message.from_user else None,
                         message.successful_payment.total_amount,
                         message.successful_payment.currency)
            return
        run(message, lambda: payments.dispatch_payment(pays, message))

    @bot.pre_checkout_query_handler(func=lambda query: True)
    def on_pre_checkout(query) -> None:
        if pays is None:
            (answerer or _Answerer(bot)).answer_pre_checkout(query.id, False,
                                                             payments.FALLBACK_ERROR)
            return
        if not payments.dispatch_pre_checkout(pays, query, answerer or _Answerer(bot)):
            failed()

    @bot.callback_query_handler(func=lambda query: True)
    def on_callback(query) -> None:
        handler = side.owner_of_press(sides, query.data)
        if handler is None:
            submit(events.from_callback(query))
        else:
            run(query, lambda: side.dispatch_press(handler, query, getattr(
                handler, "replier", None) or _Answerer(bot)))


class _Answerer:
    """Answers a failed press when the handler has no replier of its own."""

    def __init__(self, bot: telebot.TeleBot) -> None:
        self.bot = bot

    def answer(self, callback_id: str, text: str | None = None, alert: bool = False) -> None:
        self.bot.answer_callback_query(callback_id, text=text, show_alert=alert)

    def answer_pre_checkout(self, query_id: str, ok: bool,
                            error_message: str | None = None) -> None:
        self.bot.answer_pre_checkout_query(query_id, ok, error_message=error_message)
