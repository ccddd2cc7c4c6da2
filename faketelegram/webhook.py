"""Delivering updates to a bot's webhook, as Telegram does.

Each update is POSTed as JSON, with the ``X-Telegram-Bot-Api-Secret-Token`` header when the
webhook has a secret token. Updates go one at a time in queue order, so every chat's updates
arrive in order (Telegram parallelises across chats up to ``max_connections``; the fake keeps
one connection, which is stricter, never looser). A non-2xx answer or a network error is
recorded for getWebhookInfo (``last_error_date``, ``last_error_message``) and the update is
retried with a growing delay until it is accepted, the webhook changes, or the server stops.
A 2xx answer whose JSON body names a ``method`` runs that method, as Telegram allows.
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
from .state import BotState
from .world import World

__all__ = ["WebhookWorker"]

logger = logging.getLogger(__name__)


class WebhookWorker(threading.Thread):
    """Delivers one bot's updates to the webhook set in one setWebhook call, until it changes."""

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
        self.timeout = timeout
        self.first_delay, self.max_delay = retry_delays
        # Never through a proxy: webhooks of tests are local.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _current(self) -> bool:
        hook = self.bot.webhook
        return (
            hook is not None
            and hook.generation == self.generation
            and not self.world.stopping.is_set()
        )

    def run(self) -> None:
        """Deliver until the webhook is removed or replaced, or the server stops."""
        delay = self.first_delay
        while True:
            with self.world.cond:
                while self._current() and not self.bot.pending:
                    self.world.cond.wait(0.5)
                if not self._current():
                    return
                pending = self.bot.pending[0]
                pending.delivered = True
                hook = self.bot.webhook
                assert hook is not None
                url, secret = hook.url, hook.secret_token
            status, body, error = self._post(url, secret, pending.update)
            reply_call = None
            failed = not 200 <= status < 300
            with self.world.cond:
                if not self._current():
                    pending.delivered = False
                    return
                self.bot.last_activity = time.monotonic()
                if not failed:
                    if pending in self.bot.pending:
                        self.bot.pending.remove(pending)
                    reply_call = _method_call(body)
                    delay = self.first_delay
                else:
                    pending.delivered = False
                    hook.last_error_date = int(time.time())
                    hook.last_error_message = error or f"Wrong response from the webhook: {status}"
                    logger.info("webhook %s failed (%s); retrying in %.1f s", url, error, delay)
                self.world.cond.notify_all()
            if reply_call is not None:
                self.api.execute(self.bot, reply_call[0], reply_call[1])
            if failed:
                if self.world.sleep(delay):
                    return
                delay = min(delay * 2, self.max_delay)

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
