"""Who may see what: Flask-Login sessions, roles per view, CSRF on every admin form.

Every admin view mixes in :class:`Guarded`: logged out, it redirects to the login page
(remembering where to come back); logged in without the view's role, it answers 403.
CSRF is Flask-WTF's, checked for every unsafe request under ``/admin`` (the REST API,
authenticated by bearer tokens, is left alone).
"""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from api.admin.accounts import StaffAccount
from engine.run.env import flag

__all__ = ["ADMIN_URL", "Guarded", "csrf", "install", "login_manager", "safe_next"]

ADMIN_URL = "/admin"
login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_account(session_id: str) -> StaffAccount | None:
    return StaffAccount.by_session_id(session_id)


# a form of the admin may carry a picture (engine.media.MAX_BYTES) or a CSV file
# (products_csv.MAX_BYTES): more than the API's 1 MiB MAX_CONTENT_LENGTH
UPLOAD_LIMIT = 12 * 1024 * 1024


def _check_csrf() -> None:
    if request.path == ADMIN_URL or request.path.startswith(ADMIN_URL + "/"):
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            # before the form is read (by the CSRF check): each field checks its own limit
            request.max_content_length = max(UPLOAD_LIMIT, request.max_content_length or 0)
            csrf.protect()


def _flag(name: str, value: str, default: bool = False) -> bool:
    # the rule of every yes/no setting (settings.py, engine.run.Settings): one parser
    return flag(value, name, default)


def cookie_settings(app: Flask) -> None:
    """The session cookie's flags from the environment (docs/admin.md, Settings):
    ``ADMIN_COOKIE_SECURE`` (default off: on for a site served over HTTPS),
    ``ADMIN_COOKIE_HTTPONLY`` (default on), ``ADMIN_COOKIE_SAMESITE`` (``Lax`` by default,
    or ``Strict``), ``ADMIN_SESSION_HOURS`` (a login lasts that long at most; default 12).
    The app's config, where given, wins. A bad value stops the start with its name."""
    env = os.environ
    config = app.config
    if env.get("ADMIN_COOKIE_SECURE", "").strip() and "ADMIN_COOKIE_SECURE" not in config:
        config["SESSION_COOKIE_SECURE"] = _flag("ADMIN_COOKIE_SECURE",
                                                env["ADMIN_COOKIE_SECURE"])
    elif "ADMIN_COOKIE_SECURE" in config:
        config["SESSION_COOKIE_SECURE"] = bool(config["ADMIN_COOKIE_SECURE"])
    httponly = config.get("ADMIN_COOKIE_HTTPONLY", env.get("ADMIN_COOKIE_HTTPONLY", ""))
    config["SESSION_COOKIE_HTTPONLY"] = True if httponly is None else \
        (httponly if isinstance(httponly, bool) else _flag("ADMIN_COOKIE_HTTPONLY", httponly,
                                                           default=True))
    samesite = (config.get("ADMIN_COOKIE_SAMESITE") or env.get("ADMIN_COOKIE_SAMESITE")
                or config.get("SESSION_COOKIE_SAMESITE") or "Lax").strip().capitalize()
    if samesite not in ("Lax", "Strict"):
        # None would send the cookie with other sites' requests: CSRF's first line gone
        raise ValueError(f"ADMIN_COOKIE_SAMESITE={samesite!r}: expected Lax or Strict")
    config["SESSION_COOKIE_SAMESITE"] = samesite
    hours = config.get("ADMIN_SESSION_HOURS", env.get("ADMIN_SESSION_HOURS", "")) or 12
    try:
        lifetime = timedelta(hours=float(hours))
    except ValueError:
        raise ValueError(f"ADMIN_SESSION_HOURS={hours!r}: expected a number of hours") \
            from None
    if lifetime <= timedelta(0):
        raise ValueError(f"ADMIN_SESSION_HOURS={hours!r}: expected more than 0")
    # Flask refuses a signed session cookie older than this, whatever the browser keeps
    config["PERMANENT_SESSION_LIFETIME"] = lifetime


def install(app: Flask) -> None:
    """Attach Flask-Login and the admin's CSRF check to ``app``."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked for /admin only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day on one page
    cookie_settings(app)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    csrf.init_app(app)
    app.before_request(_check_csrf)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a page of the admin, never another site."""
    if target and target.isprintable():  # no CR/LF or other control characters
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith(ADMIN_URL) \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("admin.index")


class Guarded:
    """A view for logged-in accounts of ``roles`` only."""

    roles: tuple[str, ...] = ("admin", "staff")

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.role in self.roles)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
