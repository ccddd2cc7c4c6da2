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

from flask import Flask, abort, jsonify, request

logger = logging.getLogger(__name__)


def webhook_path(token: str) -> str:
    """The secret URL path of the webhook: derived from the token, stable across restarts."""
    return "/telegram/" + hashlib.sha256(token.encode()).hexdigest()[:32]


def create_app(settings) -> Flask:
    """The Flask app with the webhook endpoint and ``/healthz``."""
    from engine.telegram import EngineBot, TelebotSender, attach, use_api_url
    from engine.updates import parse as parse_update
    from flows.app import build_engine

    if not settings.bot_token:
        raise RuntimeError("BOT_TOKEN is not set: the webhook needs it")
    if not settings.webhook_secret:
        raise RuntimeError("WEBHOOK_SECRET is not set: the webhook refuses unsigned requests")
    use_api_url(settings.telegram_api_url)
    bot = EngineBot(settings.bot_token, threaded=False)
    engine = build_engine(settings, TelebotSender(bot, media_dir=settings.media_dir))
    failures = threading.local()

    def handle(event) -> None:
        if not engine.handle(event):
            failures.count = getattr(failures, "count", 0) + 1

    attach(bot, handle)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    secret = settings.webhook_secret.encode()

    @app.post(webhook_path(settings.bot_token))
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

    @app.get("/healthz")
    def healthz():
        import models

        try:
            with models.serialised():
                models.User.objects.limit(1).first()
        except Exception as err:  # any database failure makes the check fail
            logger.warning("health check: database unreachable: %s", err)
            return jsonify(status="error", database=str(err)), 503
        return jsonify(status="ok", flows=engine.flows.version, states=len(engine.flows.states))

    app.extensions["engine"] = engine
    return app


def set_webhook(settings, url: str, max_connections: int = 1) -> str:
    """Register ``url`` (the public base) + the secret path with Telegram, and the commands.

    Polling registers the command menu at every start; in webhook mode nothing else would.
    """
    import telebot

    from engine import load_flows
    from engine.telegram import ALLOWED_UPDATES, use_api_url
    from flows.app import FLOWS_DIR, register_commands

    use_api_url(settings.telegram_api_url)
    full = url.rstrip("/") + webhook_path(settings.bot_token)
    bot = telebot.TeleBot(settings.bot_token, threaded=False)
    bot.set_webhook(url=full, secret_token=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES, max_connections=max_connections)
    register_commands(bot, load_flows(FLOWS_DIR))
    return full


def delete_webhook(settings) -> None:
    import telebot

    from engine.telegram import use_api_url

    use_api_url(settings.telegram_api_url)
    telebot.TeleBot(settings.bot_token, threaded=False).delete_webhook()
