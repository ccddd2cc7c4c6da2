"""Webhook mode: ``gunicorn run_bot:app`` serves Telegram's updates over HTTPS (behind nginx).

Each update is processed inside its request, so a 2xx means it was handled (nothing is lost
when a worker restarts: Telegram redelivers what got no 2xx, and an update that could not be
processed, with the database unreachable say, is answered 503 so that it comes again),
duplicates are skipped by ``update_id``, and a user's concurrent updates wait for each
other's lease.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from typing import TYPE_CHECKING, Any

from engine.run.application import Application

if TYPE_CHECKING:
    from flask import Flask

logger = logging.getLogger(__name__)


def webhook_path(token: str) -> str:
    """The secret URL path of the webhook: derived from the token, stable across restarts."""
    return "/telegram/" + hashlib.sha256(token.encode()).hexdigest()[:32]


def create_app(app: Application, settings: Any) -> Flask:
    """The Flask app with the webhook endpoint and ``/healthz`` for ``app``'s engine.

    ``/healthz`` is 200 with the flows' version when the application's ``health()`` passes,
    503 with the error when it raises.
    """
    from flask import Flask, abort, jsonify, request

    from engine.telegram import EngineBot, TelebotReplier, TelebotSender, attach, use_api_url
    from engine.updates import parse as parse_update

    if not settings.bot_token:
        raise RuntimeError("BOT_TOKEN is not set: the webhook needs it")
    if not settings.webhook_secret:
        raise RuntimeError("WEBHOOK_SECRET is not set: the webhook refuses unsigned requests")
    use_api_url(settings.telegram_api_url)
    bot = EngineBot(settings.bot_token, threaded=False)
    sender = TelebotSender(bot, media_dir=settings.media_dir)
    engine = app.start(settings, sender)
    if getattr(settings, "bot_exclusive", False):
        # BOT_EXCLUSIVE=1: this one process serves every update (gunicorn -w 1): it owns
        # the conversations it saves, one round trip per update (docs/scaling.md)
        import atexit

        engine.store.own()
        atexit.register(engine.store.close)  # the worker's clean exit withdraws ownership
    failures = threading.local()

    def handle(event) -> None:
        if not engine.handle(event):
            failures.count = getattr(failures, "count", 0) + 1

    def side_failed() -> None:
        failures.count = getattr(failures, "count", 0) + 1

    sides = app.side_handlers(settings, TelebotReplier(sender)) if app.side_handlers else []
    pays = app.payments(settings) if app.payments else None
    attach(bot, handle, sides, on_side_failure=side_failed, pays=pays, answerer=sender)
    web = Flask(__name__)
    web.config["MAX_CONTENT_LENGTH"] = 1 << 20
    secret = settings.webhook_secret.encode()

    @web.post(webhook_path(settings.bot_token))
    def webhook():
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(given, secret):
            abort(403)
        # a malformed update is acknowledged (200) and ignored; one without an integer
        # update_id is not an update at all (400)
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # JSON nested thousands deep: not an update
            body = None
        update = parse_update(body)
        if update is None:
            abort(400)
        failures.count = 0
        bot.process_new_updates([update])
        if failures.count:
            # not processed (the database unreachable, say): Telegram will deliver it again
            return "", 503
        return "", 200

    @web.get("/healthz")
    def healthz():
        if app.health is not None:
            try:
                app.health()
            except Exception as err:  # any failure (the database, mostly) fails the check
                logger.warning("health check: database unreachable: %s", err)
                return jsonify(status="error", database=str(err)), 503
        return jsonify(status="ok", flows=engine.flowset.version, states=len(engine.flowset.states))

    web.extensions["engine"] = engine
    return web


def set_webhook(app: Application, settings: Any, url: str, max_connections: int = 1) -> str:
    """Register ``url`` (the public base) + the secret path with Telegram, and the commands.

    Polling registers the command menu at every start; in webhook mode nothing else would.
    """
    import telebot

    from engine.run.commands import register_commands
    from engine.telegram import ALLOWED_UPDATES, use_api_url

    use_api_url(settings.telegram_api_url)
    full = url.rstrip("/") + webhook_path(settings.bot_token)
    bot = telebot.TeleBot(settings.bot_token, threaded=False)
    bot.set_webhook(url=full, secret_token=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES, max_connections=max_connections)
    register_commands(bot, app.flows())
    return full


def delete_webhook(settings: Any) -> None:
    """Remove the webhook: Telegram keeps updates for ``getUpdates`` (polling) again."""
    import telebot

    from engine.telegram import use_api_url

    use_api_url(settings.telegram_api_url)
    telebot.TeleBot(settings.bot_token, threaded=False).delete_webhook()
