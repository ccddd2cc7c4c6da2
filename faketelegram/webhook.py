"""Delivering updates to a bot's webhook, as Telegram does.

Each update is POSTed as JSON, with the ``X-Telegram-Bot-Api-Secret-Token`` header when the
webhook has a secret token. Up to ``max_connections`` (setWebhook's, 1-100, default 40)
updates are in flight at once, as with Telegram, whose Bot API server keeps a queue per
chat and sends a queue's next update only once the previous one was answered. The queues
are the Bot API server's own (:func:`queue_of`, after the ``webhook_queue_id`` of each kind
in telegram-bot-api's ``Client.cpp``): a chat's messages (new and edited, channel posts) one
queue, the same user's button presses another, their shipping and pre-checkout queries a
third; the bot's own membership of a chat, reactions and boosts each beside the chat's
messages, not behind them; a member change and a join request by that user; a poll and its
answers by the poll. Within a queue, updates go one at a time in the order they were
queued; across queues, in parallel. A non-2xx answer or a network error is recorded for
getWebhookInfo (``last_error_date``, ``last_error_message``) and the update is retried, its
queue held, with a growing delay until it is accepted, the webhook changes, or the server
stops. A 2xx answer whose JSON body names a ``method`` runs that method (before the
queue's next update goes), as Telegram allows.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

from .api import BotApi
from .params import Params
from .state import BotState, PendingUpdate
from .world import World

__all__ = ["WebhookWorker"]

logger = logging.getLogger(__name__)


def _id(payload: dict, *path: str):
    for name in path:
        payload = payload.get(name) if isinstance(payload, dict) else None
    return payload


# kind -> (queue, the path of its key in the update's payload)
_QUEUES = {
    **dict.fromkeys(("message", "edited_message", "channel_post", "edited_channel_post"),
                    ("chat", ("chat", "id"))),
    **dict.fromkeys(("business_message", "edited_business_message",
                     "deleted_business_messages"), ("business", ("chat", "id"))),
    "inline_query": ("inline_query", ("from", "id")),
    "chosen_inline_result": ("chosen_inline_result", ("from", "id")),
    "callback_query": ("callback_query", ("from", "id")),
    # one queue for both: a user's shipping query and their pre-checkout never overlap
    **dict.fromkeys(("shipping_query", "pre_checkout_query"), ("payment_query", ("from", "id"))),
    "purchased_paid_media": ("purchased_paid_media", ("from", "id")),
    "poll": ("poll", ("id",)),
    "poll_answer": ("poll", ("poll_id",)),
    "my_chat_member": ("my_chat_member", ("chat", "id")),
    "chat_member": ("member", ("old_chat_member", "user", "id")),
    "chat_join_request": ("member", ("from", "id")),
    **dict.fromkeys(("chat_boost", "removed_chat_boost"), ("chat_boost", ("chat", "id"))),
    "message_reaction": ("message_reaction", ("chat", "id")),
    "message_reaction_count": ("message_reaction_count", ("chat", "id")),
    "business_connection": ("business_connection", ("user", "id")),
}


def queue_of(update: dict) -> tuple | None:
    """The queue an update is delivered in, one at a time and in order: ``("chat", id)``
    for a chat's messages, ``("callback_query", user id)`` for a user's button presses, and
    so on (see the module); None, ordered with nothing, for a kind the table lacks."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        queue = _QUEUES.get(kind)
        if queue is None:
            return None
        key = _id(payload, *queue[1])
        return (queue[0], key) if key is not None else None
    return None


class WebhookWorker(threading.Thread):
    """Delivers one bot's updates to the webhook set in one setWebhook call, until it changes:
    it hands each update that may go now (its queue idle, fewer than ``max_connections``
    in flight) to a connection of its own."""

    def __init__(
        self,
        world: World,
        api: BotApi,
        bot: BotState,
        *,
        timeout: float = 10.0,
        retry_delays: tuple[float, float] = (0.1, 2.0),
    ) -> None:
        super().__init__(name=f"faketg-webhook-{bot.user.id}", daemon=True)
        assert bot.webhook is not None
        self.world, self.api, self.bot = world, api, bot
        self.generation = bot.webhook.generation
        self.max_connections = bot.webhook.max_connections
        self.timeout = timeout
        self.first_delay, self.max_delay = retry_delays
        self.busy: set = set()  # queues with an update in flight (under world.cond)
        self.connections = 0  # updates in flight (under world.cond)
        # Never through a proxy: webhooks of tests are local.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _current(self) -> bool:
        hook = self.bot.webhook
        return (
            hook is not None
            and hook.generation == self.generation
            and not self.world.stopping.is_set()
        )

    def _next(self) -> tuple[PendingUpdate, tuple | None] | None:
        """The first queued update that may go now, and its queue (under world.cond)."""
        blocked = set(self.busy)
        for pending in self.bot.pending:
            queue = queue_of(pending.update)
            if queue is not None and queue in blocked:
                continue
            if pending.delivered:  # in flight (a redelivery's twin, or a replaced webhook's)
                if queue is not None:
                    blocked.add(queue)
                continue
            return pending, queue
        return None

    def run(self) -> None:
        """Dispatch until the webhook is removed or replaced, or the server stops."""
        while True:
            with self.world.cond:
                while True:
                    if not self._current():
                        return
                    found = self._next() if self.connections < self.max_connections else None
                    if found is not None:
                        break
                    self.world.cond.wait(0.5)
                pending, queue = found
                pending.delivered = True
                self.connections += 1
                if queue is not None:
                    self.busy.add(queue)
            threading.Thread(target=self._deliver, args=(pending, queue), daemon=True,
                             name=f"{self.name}-{pending.update_id}").start()

    def _deliver(self, pending: PendingUpdate, queue: tuple | None) -> None:
        """One connection: post ``pending`` until it is accepted (or the webhook is gone),
        then free its queue."""
        delay = self.first_delay
        try:
            while True:
                with self.world.cond:
                    if not self._gone(pending):
                        hook = self.bot.webhook
                        assert hook is not None
                        url, secret = hook.url, hook.secret_token
                    else:
                        return
                status, body, error = self._post(url, secret, pending.update)
                failed = not 200 <= status < 300
                with self.world.cond:
                    if self._gone(pending):
                        return
                    self.bot.last_activity = time.monotonic()
                    if failed:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = (
                            error or f"Wrong response from the webhook: {status}")
                        logger.info("webhook %s failed (%s); retrying in %.1f s", url, error,
                                    delay)
                    elif pending in self.bot.pending:
                        self.bot.pending.remove(pending)
                    self.world.cond.notify_all()
                if not failed:
                    reply_call = _method_call(body)
                    if reply_call is not None:
                        self.api.execute(self.bot, reply_call[0], reply_call[1])
                    return
                if self.world.sleep(delay):
                    return
                delay = min(delay * 2, self.max_delay)
        finally:
            with self.world.cond:
                self.connections -= 1
                self.busy.discard(queue)
                self.world.cond.notify_all()

    def _gone(self, pending: PendingUpdate) -> bool:
        """Whether this webhook is no longer the bot's (under world.cond). The update is then
        left to whoever comes next: a new webhook (setWebhook marked it undelivered) or
        getUpdates (marked undelivered here, when the webhook was deleted)."""
        if self._current():
            return False
        if self.bot.webhook is None:
            pending.delivered = False
        return True

    def _post(self, url: str, secret: str, update: dict) -> tuple[int, bytes, str | None]:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(
            url,
            data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(), None
        except urllib.error.HTTPError as failure:
            with failure:
                failure.read()
            return (
                failure.code,
                b"",
                f"Wrong response from the webhook: {failure.code} {failure.reason}",
            )
        except (urllib.error.URLError, OSError) as failure:
            reason = getattr(failure, "reason", failure)
            return 0, b"", str(reason) or type(failure).__name__


def _method_call(body: bytes) -> tuple[str, Params] | None:
    """A method call in a webhook's answer: ``{"method": "sendMessage", ...}``."""
    if not body:
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("method"), str):
        return None
    values = {key: value for key, value in data.items() if key != "method"}
    return data["method"], Params(values)
