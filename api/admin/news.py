"""News and broadcasts: creating a news item queues its broadcast (``News.save``, as for
the API); a preview shows the message as it will be sent; a broadcast's page follows its
progress live (it polls ``/admin/broadcast/progress/<id>``)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from wtforms import DateTimeLocalField, TextAreaField

from api.admin.catalog import TranslatedForms, translation_fields
from api.admin.fields import PictureUpload, check_picture
from api.admin.i18n import current_language, lazy, t
from api.admin.telegram_html import telegram_html
from api.admin.views import ShopModelView
from constants import text
from models import Broadcast, News

__all__ = ["BroadcastView", "NewsView", "progress"]



def broadcast_status(status: str) -> str:
    return text(f"broadcast.status.{status}", current_language())


def progress(broadcast: Broadcast) -> dict:
    """A broadcast's counters, as its page shows them."""
    counts = broadcast.counts()
    done = broadcast.processed
    return {"id": str(broadcast.pk), "status": broadcast.status,
            "status_label": broadcast_status(broadcast.status), **counts,
            "percent": 100 if broadcast.status == "done" else
            (round(100 * done / broadcast.total) if broadcast.total else 0),
            "finished": broadcast.status in ("done", "cancelled")}


def _broadcast_of(view, context, model, name):
    broadcast = Broadcast.objects(news=model.pk).only("id", "status").first()
    if broadcast is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(
        url_for("broadcast.details_view", id=str(broadcast.pk)),
        broadcast_status(broadcast.status))


class NewsView(TranslatedForms, ShopModelView):
    """News items; saving a new one queues its broadcast to every shopper."""

    column_list = ("title", "published", "broadcast")
    column_labels = {"title": lazy("field.title"), "published": lazy("field.published"),
                     "broadcast": lazy("field.broadcast"), "content": lazy("field.content"),
                     "image": lazy("field.image"), "picture": lazy("field.picture")}
    column_formatters = {"broadcast": _broadcast_of}
    column_sortable_list = ("title", "published")
    column_searchable_list = ("title", "content")
    column_default_sort = ("published", True)
    form_columns = ("title", "content", "published", "picture", "image",
                    *translation_fields("title", "content"))
    form_overrides = {"content": TextAreaField, "published": DateTimeLocalField}
    form_args = {"image": {"validators": [check_picture],
                           "description": lazy("field.image_help")},
                 "content": {"render_kw": {"rows": 8}}}
    form_excluded_columns = ("created", "modified", "announce", "translations")
    form_extra_fields = {"picture": PictureUpload(), **translation_fields("title", "content")}
    create_template = "shop_admin/news_create.html"
    edit_template = "shop_admin/news_edit.html"

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.picture.current = None
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.picture.current = obj.image if obj is not None else None
        return form

    def after_model_change(self, form, model, is_created):
        if is_created:
            broadcast = Broadcast.objects(news=model.pk).only("id").first()
            if broadcast is not None:
                flash(Markup('{} <a href="{}" id="broadcast-link">{}</a>').format(
                    t("news.queued"), url_for("broadcast.details_view", id=str(broadcast.pk)),
                    t("news.watch")), "success")

    @expose("/preview/", methods=("POST",))
    def preview(self):
        """The message the broadcast will send, per language, from the form as typed."""
        from flows.broadcast import render_news

        item = News(title=request.form.get("title") or "…",
                    content=request.form.get("content") or "…")
        form = self.create_form()
        for field in form:
            if hasattr(field, "prefill"):
                field.populate_obj(item, field.name)
        published = request.form.get("published")
        if not published:
            from models import utcnow

            item.published = utcnow()
        texts, photo = render_news(item)
        return jsonify({"texts": {lang: str(telegram_html(text)) for lang, text in texts.items()},
                        "photo": photo})


class BroadcastView(ShopModelView):
    """Broadcasts and their counters; a page per broadcast with live progress and Stop."""

    can_create = can_edit = can_delete = False
    can_view_details = True
    details_template = "shop_admin/broadcast.html"
    column_list = ("created", "origin", "status", "total", "sent", "blocked", "failed",
                   "unknown")
    column_labels = {"created": lazy("field.created"), "origin": lazy("field.origin"),
                     "status": lazy("field.status"), "total": lazy("broadcast.total"),
                     "sent": lazy("broadcast.sent"), "blocked": lazy("broadcast.blocked"),
                     "failed": lazy("broadcast.failed"), "unknown": lazy("broadcast.unknown")}
    column_formatters = {"status": lambda v, c, m, n: broadcast_status(m.status)}
    column_filters = ("status", "origin")
    column_default_sort = ("created", True)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            broadcast = kwargs["model"]
            news = News.objects(id=broadcast.news).first() if broadcast.news else None
            kwargs.update(broadcast=broadcast, news=news, state=progress(broadcast),
                          status=broadcast_status, telegram_html=telegram_html)
        return super().render(template, **kwargs)

    @expose("/progress/<item_id>")
    def progress(self, item_id: str):
        broadcast = self.get_one(item_id)
        if broadcast is None:
            abort(404)
        return jsonify(progress(broadcast))

    @expose("/stop/", methods=("POST",))
    def stop(self):
        broadcast = self.get_one(request.form.get("id", ""))
        if broadcast is None:
            abort(404)
        if broadcast.cancel(t("broadcast.stopped_by", who=_who())):
            flash(t("broadcast.stopped"), "success")
        else:
            flash(t("broadcast.not_active"), "error")
        return redirect(url_for(".details_view", id=str(broadcast.pk)))


def _who() -> str:
    from flask_login import current_user

    return current_user.email
