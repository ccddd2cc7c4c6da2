"""The catalog's pages: the category tree and the products (CSV in ``api.admin.products_csv``)."""

from __future__ import annotations

from flask import has_request_context
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from markupsafe import Markup
from wtforms import TextAreaField
from wtforms.validators import NumberRange, Optional

from api.admin.fields import (
    MoneyField,
    PictureUpload,
    TranslatedArea,
    TranslatedField,
    TreeSelectField,
    check_picture,
)
from api.admin.i18n import lazy, t
from api.admin.products_csv import CsvTransfer
from api.admin.views import ShopModelView, money_column, picture_thumb
from api.schemas.common import OTHER_LANGUAGES
from api.schemas.products import MAX_STOCK
from models import Category

__all__ = ["CategoryView", "ProductView", "translation_fields"]


def translation_fields(line: str = "name", area: str = "description") -> dict:
    """A one-line and a text field for every language besides the default one: the
    document's ``name`` and ``description`` translations, labelled ``field.<line>_in`` and
    ``field.<area>_in`` (a news item's title and content are those of its translations)."""
    out = {}
    for lang in OTHER_LANGUAGES:
        out[f"{line}_{lang}"] = TranslatedField(lazy(f"field.{line}_in", lang=lang.upper()),
                                                lang=lang, attribute="name")
        out[f"{area}_{lang}"] = TranslatedArea(lazy(f"field.{area}_in", lang=lang.upper()),
                                               lang=lang, attribute="description")
    return out


class TranslatedForms:
    """Prefills the translation fields of a catalog item's form from the item."""

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        for field in form:
            if hasattr(field, "prefill") and model is not None:
                field.prefill(model)


def _path(view, context, model, name):
    """The category with its ancestors, as breadcrumbs, indented by its depth."""
    chain = [c.name for c in model.ancestors()]
    crumbs = " › ".join(chain)
    return Markup('<span class="text-muted">{}</span>').format(crumbs + " ›") if chain else ""


class CategoryView(TranslatedForms, ShopModelView):
    """Categories: the parent is picked from the tree; the model refuses loops
    (``Category.save`` checks the ancestry under the tree's lock, as for the API)."""

    column_list = ("name", "path", "slug", "position")
    column_labels = {"name": lazy("field.name"), "path": lazy("field.path"),
                     "slug": lazy("field.slug"), "position": lazy("field.position"),
                     "parent": lazy("field.parent"), "description": lazy("field.description")}
    column_formatters = {"path": _path}
    column_sortable_list = ("name", "slug", "position")
    column_searchable_list = ("name", "slug")
    column_default_sort = [("position", False), ("name", False)]
    form_columns = ("name", "slug", "parent", "position", "description",
                    *translation_fields())
    form_overrides = {"description": TextAreaField}
    form_extra_fields = {"parent": TreeSelectField(lazy("field.parent")),
                         **translation_fields()}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.parent.set_tree()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.parent.set_tree(exclude=obj)
        return form

    def delete_model(self, model) -> bool:
        # Category.delete refuses a category still holding something (CategoryNotEmpty)
        return super().delete_model(model)


class CategoryFilter(BaseMongoEngineFilter):
    """Products of a category and of its subcategories."""

    def __init__(self) -> None:
        from api.admin.fields import category_tree

        super().__init__("category", lazy("field.category"), options=category_tree)

    def get_options(self, view):
        # the tree changes while the app runs: read when a page is drawn, not at start
        return super().get_options(view) if has_request_context() else []

    def apply(self, query, value):
        category = Category.objects(id=value).first()
        return query.filter(category__in=category.subtree_ids() if category else [])

    def operation(self):
        return lazy("filter.in")


class YesNoFilter(BaseMongoEngineFilter):
    """A yes/no question about a product (``yes`` and ``no`` are conditions)."""

    yes: dict = {}
    no: dict = {}

    def __init__(self, column: str, name) -> None:
        super().__init__(column, name, options=lambda: [("1", t("filter.yes")),
                                                        ("0", t("filter.no"))])

    def apply(self, query, value):
        return query.filter(**(self.yes if value == "1" else self.no))

    def operation(self):
        return lazy("filter.is")


class InStockFilter(YesNoFilter):
    yes, no = {"stock__gt": 0}, {"stock__lte": 0}


class DiscountedFilter(YesNoFilter):
    yes, no = {"discount__gt": 0}, {"discount__in": [0, None]}


class ProductView(CsvTransfer, TranslatedForms, ShopModelView):
    """Products: search, filters, price and stock edited in the list, a picture uploaded
    into the media directory with its preview, translations, CSV import and export."""

    column_list = ("image", "name", "sku", "category", "price", "discount", "final_price",
                   "stock")
    column_labels = {"image": lazy("field.image"), "name": lazy("field.name"),
                     "sku": lazy("field.sku"), "category": lazy("field.category"),
                     "price": lazy("field.price"), "discount": lazy("field.discount"),
                     "final_price": lazy("field.final_price"), "stock": lazy("field.stock"),
                     "description": lazy("field.description"), "picture": lazy("field.picture"),
                     "position": lazy("field.position"),
                     "characteristics": lazy("field.characteristics")}
    column_formatters = {"image": picture_thumb, "price": money_column("price"),
                         "final_price": money_column("final_price")}
    column_sortable_list = ("name", "sku", "price", "discount", "stock")
    column_searchable_list = ("name", "sku", "description")
    column_filters = (CategoryFilter(), InStockFilter("stock", lazy("filter.in_stock")),
                      DiscountedFilter("discount", lazy("filter.discounted")))
    column_editable_list = ("price", "stock")
    column_default_sort = [("position", False), ("name", False)]
    form_columns = ("name", "sku", "category", "price", "discount", "stock", "picture",
                    "image", "description", "characteristics", "position",
                    *translation_fields())
    form_overrides = {"price": MoneyField, "description": TextAreaField}
    form_args = {"image": {"validators": [Optional(), check_picture],
                           "description": lazy("field.image_help")},
                 "stock": {"validators": [NumberRange(min=0, max=MAX_STOCK)]}}
    form_extra_fields = {"category": TreeSelectField(lazy("field.category"), root=False),
                         "picture": PictureUpload(),
                         **translation_fields()}
    list_template = "shop_admin/products.html"

    @expose("/")
    def index_view(self):
        self._refresh_filters_cache()  # the category filter's choices: the tree as it is now
        return super().index_view()

    def on_model_change(self, form, model, is_created) -> None:
        super().on_model_change(form, model, is_created)
        if not is_created and "image" in model._get_changed_fields():
            model.image_file_id = None  # else the bot sends Telegram's copy of the old one

    def _trees(self, form, obj=None):
        form.category.set_tree()
        form.picture.current = obj.image if obj is not None else None
        return form

    def create_form(self, obj=None):
        return self._trees(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._trees(super().edit_form(obj), obj)

