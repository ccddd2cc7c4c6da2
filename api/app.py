"""The app factory: ``create_app(config=None)``.

The API lives in a blueprint at ``/api/v1``; ``/healthz`` on the root says whether the
database answers. The factory connects to the database only when nothing is connected
yet (``run_api.py`` and the tests connect first).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import mongoengine
from flask import Blueprint, Flask, Response
from flask_restful import Api
from pymongo.errors import PyMongoError
from werkzeug.routing import BaseConverter

import models
import settings
from api.admin import init_admin
from api.auth import normalise_tokens
from api.errors import error_response
from api.http import json_response
from api.openapi import docs_blueprint
from api.rawquery import RawUtf8Query
from api.resources import register

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
DEFAULTS = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes of a request body; more is 413
}

__all__ = ["PREFIX", "create_app"]


class ObjectIdConverter(BaseConverter):
    """``<objectid:item_id>``: 24 hexadecimal characters, so ``/categories/tree`` is not an id.

    A malformed id matches no route and is answered 404 like a missing one.
    """

    regex = "[0-9a-fA-F]{24}"


class JsonErrorsApi(Api):
    """flask-restful's Api whose errors are always our JSON.

    flask-restful catches exceptions of its resources before Flask's error handlers and,
    with ``TESTING`` or ``PROPAGATE_EXCEPTIONS``, re-raises them; routing every error
    here keeps the answer the same in every mode.
    """

    def handle_error(self, e: Exception) -> Response:
        return error_response(e)


class SerialisedApp:
    """WSGI middleware: one request at a time while the embedded store is in use.

    mongomock is not thread-safe; with a real MongoDB this adds nothing.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not models.is_embedded():
            return self.app(environ, start_response)
        with models.serialised():
            # consume the body inside the lock: it may still read the database; then
            # close it, as a WSGI server would (a file served, such as the admin's static
            # files, is closed there)
            body = self.app(environ, start_response)
            try:
                return list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()


def _connected() -> bool:
    try:
        mongoengine.get_connection()
    except mongoengine.ConnectionFailure:
        return False
    return True


def healthz() -> Response:
    """``GET /healthz``: 200 when the database answers a ping, else 503."""
    try:
        mongoengine.get_db().command("ping")
    except (PyMongoError, mongoengine.ConnectionFailure) as err:
        logger.warning("health check failed: %s", err)
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the API's Flask app.

    ``config`` may set any Flask option and ``API_TOKENS`` (a comma-separated string or
    an iterable; default from the ``API_TOKENS`` setting), ``MONGO_URI`` (used only
    when no connection exists yet; default from the settings), ``MEDIA_DIR`` (where
    pictures are uploaded to and named from; default from the settings) and
    ``MAX_CONTENT_LENGTH`` (default 1 MiB; uploads of pictures may be larger).
    """
    config = dict(config or {})
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config)
    if not {"API_TOKENS", "MONGO_URI", "MEDIA_DIR"} <= set(config):
        loaded = settings.load()
        app.config.setdefault("API_TOKENS", loaded.api_tokens)
        app.config.setdefault("MONGO_URI", loaded.mongo_uri)
        app.config.setdefault("MEDIA_DIR", loaded.media_dir)
    app.config["API_TOKENS"] = normalise_tokens(app.config["API_TOKENS"])
    if not _connected():
        models.connect(app.config["MONGO_URI"])

    # the order lifecycle's actions (stock, refunds, notifications) registered and checked
    # now: a name no module declares stops the start, not the first refund
    from flows.order_lifecycle import lifecycle

    lifecycle()
    app.url_map.converters["objectid"] = ObjectIdConverter
    blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    api = JsonErrorsApi(blueprint, catch_all_404s=True)
    register(api)
    docs_blueprint(blueprint)
    app.register_blueprint(blueprint)
    app.add_url_rule("/healthz", "healthz", healthz)
    # errors outside flask-restful's resources (404s, the docs routes, /healthz)
    app.register_error_handler(Exception, error_response)
    init_admin(app)  # /admin: HTML pages (it keeps this JSON handler for everything else)
    app.wsgi_app = RawUtf8Query(SerialisedApp(app.wsgi_app))
    if not app.config["API_TOKENS"]:
        logger.warning("API_TOKENS is empty: writes and personal data are refused (403)")
    return app
