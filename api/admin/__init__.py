"""The web admin at ``/admin`` of the API's app: Flask-Admin over the shop's documents.

``init_admin(app)`` mounts it (``api.create_app`` does). Staff log in with an account made
by ``python run_api.py create-admin EMAIL``; ``admin`` accounts may do everything,
``staff`` accounts the catalog, orders, news, broadcasts and users but not the accounts.
Sessions are signed with ``SECRET_KEY`` (``ADMIN_SECRET_KEY``); see docs/admin.md.
"""

from __future__ import annotations

import logging
import os
import secrets

from flask import Blueprint, Flask, render_template_string
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel

from api.admin.accounts import ROLES, AccountError, StaffAccount
from api.admin.i18n import current_language, lazy, t
from api.admin.security import ADMIN_URL

logger = logging.getLogger(__name__)

__all__ = ["ADMIN_URL", "ROLES", "AccountError", "StaffAccount", "init_admin"]

DISABLED = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>503</title></head>
<body style="font-family: sans-serif; margin: 3rem;"><h1>503</h1><p>{{ reason }}</p>
</body></html>"""


def _secret_key(app: Flask) -> bool:
    """Whether sessions can be signed: ``SECRET_KEY``, else ``ADMIN_SECRET_KEY`` (config or
    environment); in development and tests a key made for this process (with a warning:
    every restart then logs everyone out, and processes do not share it)."""
    key = app.config.get("SECRET_KEY") or app.config.get("ADMIN_SECRET_KEY") or \
        os.environ.get("ADMIN_SECRET_KEY")
    if key:
        app.config["SECRET_KEY"] = key
        return True
    if app.config.get("TESTING") or app.config.get("ADMIN_DEV"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        if not app.config.get("TESTING"):
            logger.warning("ADMIN_SECRET_KEY is not set: the admin's sessions are signed with "
                           "a key made for this process (set it in production)")
        return True
    return False


def _disabled(app: Flask) -> None:
    logger.error("ADMIN_SECRET_KEY is not set: the admin at %s is off (the API is not "
                 "affected); set it to a long random string to turn it on", ADMIN_URL)

    def off(path: str = ""):
        return render_template_string(DISABLED, reason=t("admin.disabled")), 503

    app.add_url_rule(f"{ADMIN_URL}/", "admin_off", off)
    app.add_url_rule(f"{ADMIN_URL}/<path:path>", "admin_off_path", off,
                     methods=("GET", "POST"))


def init_admin(app: Flask) -> Admin | None:
    """Mount the admin on ``app`` (after the API: its error handler is taken over for the
    admin's pages only); None when it is off for want of a secret key."""
    from api.admin import errors, security
    from api.admin.catalog import CategoryView, ProductView
    from api.admin.home import HomeView
    from api.admin.news import BroadcastView, NewsView
    from api.admin.orders import OrderView
    from api.admin.payments import PaymentView
    from api.admin.people import AccountView, ShopperView
    from models import Broadcast, Category, News, Order, Payment, Product, User

    if not _secret_key(app):
        _disabled(app)
        return None
    Babel(app, locale_selector=current_language)
    security.install(app)
    errors.install(app)
    app.register_blueprint(Blueprint("shop_admin", __name__, template_folder="templates"))
    app.jinja_env.globals.update(tr=t, tr_lang=current_language)
    admin = Admin(app, name=lazy("admin.name"), url=ADMIN_URL,
                  index_view=HomeView(name=lazy("menu.home"), url=ADMIN_URL),
                  theme=Bootstrap4Theme(base_template="shop_admin/base.html", fluid=True))
    catalog, people = lazy("menu.catalog"), lazy("menu.people")
    admin.add_view(CategoryView(Category, name=lazy("menu.categories"), category=catalog,
                                endpoint="category"))
    admin.add_view(ProductView(Product, name=lazy("menu.products"), category=catalog,
                               endpoint="product"))
    admin.add_view(OrderView(Order, name=lazy("menu.orders"), endpoint="order"))
    admin.add_view(PaymentView(Payment, name=lazy("menu.payments"), endpoint="payment"))
    admin.add_view(NewsView(News, name=lazy("menu.news"), endpoint="news"))
    admin.add_view(BroadcastView(Broadcast, name=lazy("menu.broadcasts"),
                                 endpoint="broadcast"))
    admin.add_view(ShopperView(User, name=lazy("menu.users"), category=people,
                               endpoint="shopper"))
    admin.add_view(AccountView(StaffAccount, name=lazy("menu.accounts"), category=people,
                               endpoint="account"))
    return admin
