"""People: the shop's users (search, the blocked flag, their orders) and, for admins
only, the admin's own accounts."""

from __future__ import annotations

from flask import flash
from flask_login import current_user
from wtforms import PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from api.admin.accounts import MIN_PASSWORD, ROLES, AccountError, login_email
from api.admin.i18n import current_language, lazy, t
from api.admin.orders import status_label
from api.admin.views import ShopModelView
from models import Order, format_money

__all__ = ["AccountView", "ShopperView"]


class ShopperView(ShopModelView):
    """Shoppers: searchable; only the blocked flag is edited (in the list too); a
    shopper's page lists their orders."""

    can_create = can_delete = False
    can_view_details = True
    details_template = "shop_admin/shopper.html"
    column_list = ("telegram_id", "first_name", "last_name", "username", "phone", "email",
                   "language", "blocked", "created")
    column_labels = {"telegram_id": lazy("field.telegram_id"),
                     "first_name": lazy("field.first_name"),
                     "last_name": lazy("field.last_name"), "username": lazy("field.username"),
                     "phone": lazy("field.phone"), "email": lazy("field.email"),
                     "language": lazy("field.language"), "blocked": lazy("user.blocked"),
                     "created": lazy("field.created")}
    column_searchable_list = ("username", "first_name", "last_name", "phone", "email")
    column_filters = ("blocked", "language")
    column_editable_list = ("blocked",)
    column_default_sort = ("created", True)
    form_columns = ("blocked",)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            lang = current_language()
            kwargs["orders"] = [
                {"id": str(order.pk), "number": order.number, "status":
                 status_label(order.status, lang), "total": format_money(order.total, lang),
                 "created": order.created}
                for order in Order.for_user(kwargs["model"].telegram_id)]
        return super().render(template, **kwargs)


class AccountView(ShopModelView):
    """Accounts of the admin (admins only): an email, a role, active or not, a password
    set here (hashed; never shown)."""

    roles = ("admin",)
    column_list = ("email", "role", "active", "last_login", "created")
    column_labels = {"email": lazy("field.email"), "role": lazy("field.role"),
                     "active": lazy("field.active"), "last_login": lazy("field.last_login"),
                     "created": lazy("field.created"), "password": lazy("login.password")}
    column_formatters = {"role": lambda v, c, m, n: t(f"role.{m.role}")}
    column_searchable_list = ("email",)
    form_columns = ("email", "role", "active", "password")
    form_extra_fields = {
        "password": PasswordField(lazy("login.password"), [Optional()],
                                  description=lazy("account.password_help",
                                                   length=MIN_PASSWORD)),
        "role": SelectField(lazy("field.role"), default="staff", choices=[
            SelectChoice(role, lazy(f"role.{role}")) for role in ROLES])}

    def on_model_change(self, form, model, is_created):
        try:
            model.email = login_email(model.email)
        except ValueError as err:
            raise AccountError(t("account.bad_email", reason=getattr(err, "reason", err))) \
                from None
        if form.password.data:
            try:
                model.set_password(form.password.data)
            except AccountError:
                raise AccountError(t("account.short_password", length=MIN_PASSWORD)) from None
        elif is_created:
            raise AccountError(t("account.password_required"))
        if not is_created and model.pk == current_user.pk and \
                (model.role != "admin" or not model.active):
            raise AccountError(t("account.not_yourself"))

    def on_model_delete(self, model):
        if model.pk == current_user.pk:
            raise AccountError(t("account.not_yourself"))

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, AccountError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)
