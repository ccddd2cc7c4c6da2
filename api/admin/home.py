"""The admin's home: the dashboard, logging in and out, the language, media previews."""

from __future__ import annotations

import math

from flask import Response, abort, flash, redirect, request, session, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user, login_user, logout_user
from wtforms import EmailField, Form, PasswordField
from wtforms.validators import InputRequired

from api.admin import throttle
from api.admin.accounts import StaffAccount
from api.admin.i18n import LANG_KEY, lazy, t
from api.admin.payments import to_refund
from api.admin.security import safe_next
from api.schemas.fields import media_dir
from constants import LANGUAGES
from engine.media import PictureRefused, sniff
from models import Broadcast, Order, Product, utcnow

__all__ = ["HomeView", "LoginForm"]


class LoginForm(Form):
    email = EmailField(lazy("login.email"), validators=[InputRequired()])
    password = PasswordField(lazy("login.password"), validators=[InputRequired()])


class HomeView(AdminIndexView):
    """``/admin``: what needs attention; ``/admin/login``, ``/logout``, ``/language/<code>``,
    ``/media/<name>`` (a picture of the media directory, for previews)."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for(".login", next=request.full_path.rstrip("?")))
        counts = {
            "new_orders": Order.objects(status="new").count(),
            "confirmed_orders": Order.objects(status="confirmed").count(),
            "paid_orders": Order.objects(status="paid").count(),
            "unmatched_payments": to_refund().count(),
            "out_of_stock": Product.objects(stock__lte=0).count(),
            "broadcasts": Broadcast.objects(status__in=["queued", "running"]).count(),
        }
        return self.render("shop_admin/index.html", counts=counts)

    @expose("/login/", methods=("GET", "POST"))
    def login(self):
        form = LoginForm(request.form)
        if request.method == "POST" and form.validate():
            email, address = form.email.data, throttle.client_address()
            wait = throttle.locked_for(email, address)
            if wait:
                flash(t("login.locked", minutes=math.ceil(wait / 60)), "error")
                return self.render("shop_admin/login.html", form=form), 429
            account = StaffAccount.find(email)
            if StaffAccount.verify(account, form.password.data) and login_user(account):
                throttle.succeeded(email)
                StaffAccount.objects(id=account.pk).update_one(set__last_login=utcnow())
                session.permanent = False
                return redirect(safe_next(request.args.get("next")))
            throttle.failed(email, address)
            flash(t("login.failed"), "error")
        return self.render("shop_admin/login.html", form=form)

    @expose("/logout/", methods=("POST",))
    def logout(self):
        logout_user()
        flash(t("login.logged_out"), "info")
        return redirect(url_for(".login"))

    @expose("/language/<code>", methods=("POST",))
    def language(self, code: str):
        if code not in LANGUAGES:
            abort(404)
        session[LANG_KEY] = code
        return redirect(safe_next(request.form.get("next")))

    @expose("/media/<path:picture>")
    def media(self, picture: str):
        if not current_user.is_authenticated:
            abort(401)
        try:
            path = media_dir().path(picture)
        except PictureRefused:
            abort(404)
        # the bytes, not send_file's open file: the embedded store's middleware collects
        # the body into a list and would leave such a file unclosed
        data = path.read_bytes()
        kind = sniff(data[:16]) or "png"
        return Response(data, mimetype=f"image/{'jpeg' if kind == 'jpg' else kind}",
                        headers={"Cache-Control": "private, max-age=3600"})
