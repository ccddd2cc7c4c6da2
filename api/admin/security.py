"""Who may see what: Flask-Login sessions, roles per view, CSRF on every admin form.

Every admin view mixes in :class:`Guarded`: logged out, it redirects to the login page
(remembering where to come back); logged in without the view's role, it answers 403.
CSRF is Flask-WTF's, checked for every unsafe request under ``/admin`` (the REST API,
authenticated by bearer tokens, is left alone).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from api.admin.accounts import StaffAccount

__all__ = ["ADMIN_URL", "Guarded", "csrf", "install", "login_manager", "safe_next"]

ADMIN_URL = "/admin"
login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_account(session_id: str) -> StaffAccount | None:
    return StaffAccount.by_session_id(session_id)


def _check_csrf() -> None:
    if request.path == ADMIN_URL or request.path.startswith(ADMIN_URL + "/"):
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            csrf.protect()


def install(app: Flask) -> None:
    """Attach Flask-Login and the admin's CSRF check to ``app``."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked for /admin only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day on one page
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    csrf.init_app(app)
    app.before_request(_check_csrf)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a page of the admin, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith(ADMIN_URL) \
                and not target.startswith("//"):
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
