"""What every model page of the admin shares: the login guard, errors shown as messages,
money shown as money."""

from __future__ import annotations

import logging

from flask import flash
from flask_admin import babel
from flask_admin.contrib.mongoengine import ModelView
from markupsafe import Markup
from mongoengine.errors import NotUniqueError
from mongoengine.errors import ValidationError as DocumentInvalid

from api.admin.i18n import current_language, t
from api.admin.security import Guarded
from constants import text
from engine.media import PictureRefused
from models import ModelError, format_money

logger = logging.getLogger(__name__)

__all__ = ["ShopModelView", "explain", "money_column"]


def explain(error: Exception) -> str:
    """A refusal of the data layer in the admin's language, as far as it has one."""
    lang = current_language()
    if isinstance(error, ModelError):
        try:
            return text(error.text_key, lang, **error.values)
        except (KeyError, IndexError):
            return f"{error}" + (f" {error.detail}" if error.detail else "")
    if isinstance(error, PictureRefused):
        return t("picture.refused", reason=error.reason)
    if isinstance(error, NotUniqueError):
        return t("error.not_unique")
    if isinstance(error, DocumentInvalid):
        fields = error.to_dict() if error.errors else {}
        if fields:
            return "; ".join(f"{name}: {message}" for name, message in sorted(fields.items()))
        return str(error)
    return str(error)


def money_column(attribute: str):
    """A list column formatter: kopecks shown as roubles in the page's language."""
    def formatter(view, context, model, name):
        value = getattr(model, attribute)
        return "" if value is None else format_money(value, current_language())
    return formatter


def picture_thumb(view, context, model, name):
    from flask import url_for

    if not model.image or "://" in model.image:
        return ""
    return Markup('<img class="thumb" alt="" src="{}">').format(
        url_for("admin.media", picture=model.image))


def _gettext(string: str, **variables) -> str:
    # the page-size button says "20 items": Flask-Admin's Russian has a plural out of place
    return t("page_size.word") if string == "items" and not variables else \
        babel.gettext(string, **variables)


def _ngettext(singular: str, plural: str, num: int, **variables) -> str:
    # the page-size menu: Flask-Admin formats the number into the message itself
    # ('{} items'.format(20)), so no catalog has it; ours says it in the page's language
    if singular == f"{num} item" and not variables:
        return t("page_size.items", count=num)
    return babel.ngettext(singular, plural, num, **variables)


class ShopModelView(Guarded, ModelView):
    """A model page for logged-in staff; refusals of the data layer become messages."""

    page_size = 20
    can_set_page_size = True
    form_excluded_columns = ("created", "modified")

    def render(self, template, **kwargs):
        self._template_args.update(_gettext=_gettext, _ngettext=_ngettext)
        return super().render(template, **kwargs)

    def search_placeholder(self) -> str:
        return t("search.placeholder")

    def on_model_change(self, form, model, is_created) -> None:
        # an uploaded picture wins over the `image` field populated after it
        stored = getattr(getattr(form, "picture", None), "stored", None)
        if stored:
            model.image = stored

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, (ModelError, PictureRefused, NotUniqueError, DocumentInvalid)):
            flash(explain(exc), "error")
            return True
        return super().handle_view_exception(exc)
