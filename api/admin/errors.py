"""Error pages: HTML under ``/admin``, the API's JSON everywhere else.

The API answers every error as JSON (``api.errors.error_response``, registered for
``Exception``); the admin replaces that one handler with :func:`dispatch`, which hands
everything outside ``/admin`` to it unchanged.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from api.admin.i18n import t
from api.admin.security import ADMIN_URL
from api.errors import error_response
from constants import DEFAULT_LANGUAGE
from constants.admin import ADMIN_TEXTS

logger = logging.getLogger(__name__)

__all__ = ["dispatch", "install"]


def _in_admin() -> bool:
    return request.path == ADMIN_URL or request.path.startswith(ADMIN_URL + "/")


def _page(error: HTTPException, detail: str | None = None):
    key = f"error.{error.code}"
    if detail is None:
        detail = t(key) if key in ADMIN_TEXTS[DEFAULT_LANGUAGE] else error.description
    body = render_template("shop_admin/error.html", code=error.code, name=error.name,
                           detail=detail, admin_url=ADMIN_URL + "/")
    return body, error.code


def dispatch(error: Exception):
    """The app's handler of every error: an admin page, or the API's JSON."""
    if not _in_admin():
        return error_response(error)
    if isinstance(error, HTTPException) and (error.code is None or error.code < 400):
        return error  # redirects raised by routing
    if isinstance(error, CSRFError):
        return _page(error, t("error.csrf"))
    if isinstance(error, HTTPException):
        return _page(error)
    logger.exception("admin page %s failed", request.path, exc_info=error)
    return _page(InternalServerError())


def _no_such_page(rest: str = ""):
    abort(404)


def install(app: Flask) -> None:
    """Take over the app's error handler, and match every other ``/admin/...`` URL: an
    unmatched URL would be answered by flask-restful (``catch_all_404s``) in JSON."""
    app.register_error_handler(Exception, dispatch)
    app.add_url_rule(f"{ADMIN_URL}/<path:rest>", "admin_no_such_page", _no_such_page,
                     methods=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"))
