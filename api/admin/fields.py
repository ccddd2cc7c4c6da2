"""Form fields of the admin that the model's own do not give: money in roubles, a parent
picked from the category tree, a text in another language, a picture uploaded."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from bson import ObjectId
from markupsafe import Markup
from wtforms import DecimalField, FileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from api.admin.i18n import lazy, t
from api.schemas.fields import media_dir
from api.schemas.products import MAX_PRICE
from engine.media import MAX_BYTES, PictureRefused
from models import Category, Translation

__all__ = ["MoneyField", "PictureUpload", "TranslatedField", "TreeSelectField",
           "category_tree", "check_picture", "kopecks", "roubles"]

CENT = Decimal("0.01")


def roubles(minor: int | None) -> Decimal | None:
    return None if minor is None else (Decimal(minor) / 100).quantize(CENT)


def kopecks(amount: Decimal | str) -> int:
    """Roubles (at most two decimals, not negative, at most the API's ``MAX_PRICE``) ->
    integer kopecks; ValueError else. A comma is a decimal point (as Russians type it)."""
    try:
        value = Decimal(str(amount).strip().replace(",", ".").replace("\u00a0", "")
                        .replace(" ", ""))
    except InvalidOperation:
        raise ValueError(t("money.invalid", value=amount, limit=MAX_PRICE // 100)) from None
    if not value.is_finite() or value < 0 or value * 100 > MAX_PRICE:
        # past MAX_PRICE also before quantize, which cannot hold 1e30 (InvalidOperation)
        raise ValueError(t("money.invalid", value=amount, limit=MAX_PRICE // 100))
    with localcontext() as context:
        context.prec = 40
        if value != value.quantize(CENT, ROUND_HALF_UP):
            raise ValueError(t("money.invalid", value=amount, limit=MAX_PRICE // 100))
    return int(value * 100)


class MoneyField(DecimalField):
    """An amount kept in kopecks (``IntField``), edited in roubles with two decimals."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("places", 2)
        super().__init__(*args, **kwargs)
        self.type = "DecimalField"  # inline list editing knows how to edit that type

    def process_data(self, value) -> None:
        self.data = roubles(value) if isinstance(value, int) else value

    def process_formdata(self, valuelist) -> None:
        # what was typed, checked by kopecks(): "10,50" and "1 990" too (DecimalField
        # refuses them), and an error message that says what an amount is
        if valuelist and valuelist[0].strip():
            try:
                self.data = roubles(kopecks(valuelist[0]))
            except ValueError as err:
                self.data = None
                raise ValueError(str(err)) from None
        else:
            self.data = None

    def pre_validate(self, form) -> None:
        if self.data is not None:
            try:
                kopecks(self.data)
            except ValueError as err:
                raise ValidationError(str(err)) from None

    def populate_obj(self, obj, name: str) -> None:
        setattr(obj, name, None if self.data is None else kopecks(self.data))


def category_tree(exclude: Category | None = None) -> list[tuple[str, str]]:
    """Every category as (id, label indented by depth), depth first in display order;
    ``exclude`` and its subcategories are left out (they cannot become its parent)."""
    children: dict[object, list[Category]] = {}
    for category in Category.objects.order_by("position", "name"):
        children.setdefault(category.parent.pk if category.parent else None, []).append(
            category)
    skip = exclude.pk if exclude is not None else None
    out: list[tuple[str, str]] = []

    def walk(parent, depth: int) -> None:
        for category in children.get(parent, []):
            if category.pk == skip:
                continue
            out.append((str(category.pk), "\u2003" * depth + ("└ " if depth else "")
                        + category.name))
            if depth < 32:
                walk(category.pk, depth + 1)

    walk(None, 0)
    return out


class TreeSelectField(SelectField):
    """A category picked from the tree (``choices`` set per form by the view)."""

    def __init__(self, label=None, validators=None, *, root: bool = True, **kwargs) -> None:
        super().__init__(label, validators, coerce=str, choices=[], validate_choice=False,
                         **kwargs)
        self.root = root

    def set_tree(self, exclude: Category | None = None) -> None:
        self.choices = [SelectChoice(value, label) for value, label in
                        ([("", t("category.root"))] if self.root else []) +
                        category_tree(exclude)]

    def process_data(self, value) -> None:
        self.data = str(value.pk) if isinstance(value, Category) else (value or "")

    def pre_validate(self, form) -> None:
        if not self.data:
            if not self.root:
                raise ValidationError(t("category.required"))
            return
        if not ObjectId.is_valid(self.data) or \
                not Category.objects(id=self.data).only("id").first():
            raise ValidationError(t("category.missing"))

    def populate_obj(self, obj, name: str) -> None:
        setattr(obj, name, Category.objects(id=self.data).first() if self.data else None)


class TranslatedField(StringField):
    """``translations[lang].<attribute>`` of a catalog item, as a plain field."""

    def __init__(self, label=None, validators=None, *, lang: str, attribute: str,
                 **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.lang, self.attribute = lang, attribute

    def prefill(self, obj) -> None:
        translation = (obj.translations or {}).get(self.lang)
        self.data = getattr(translation, self.attribute, None) or ""

    def populate_obj(self, obj, name: str) -> None:
        translations = dict(obj.translations or {})
        translation = translations.get(self.lang) or Translation()
        setattr(translation, self.attribute, (self.data or "").strip() or None)
        if any(getattr(translation, f, None) for f in ("name", "description",
                                                     "characteristics")):
            translations[self.lang] = translation
        else:
            translations.pop(self.lang, None)
        obj.translations = translations


class TranslatedArea(TranslatedField):
    widget = TextAreaField.widget


def check_picture(form, field) -> None:
    """The same rule as the API's ``image``: a file_id, an http(s) URL or a picture of the
    media directory (``MEDIA_DIR``)."""
    if field.data:
        try:
            media_dir().resolve(field.data)
        except PictureRefused as err:
            raise ValidationError(t("picture.refused", reason=err.reason)) from None


class PictureUpload(FileField):
    """A picture stored into the media directory (checked and named as ``POST /media``
    does); it becomes the item's ``image``. The current picture is shown above it, and a
    chosen one at once, before it is uploaded (shop_admin/base.html's script)."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label if label is not None else lazy("picture.upload"), validators,
                         **kwargs)

    def pre_validate(self, form) -> None:
        self.stored = None
        upload = self.data
        if upload is None or not getattr(upload, "filename", ""):
            return
        data = upload.read(MAX_BYTES + 1)
        try:
            self.stored = media_dir().save(data)
        except PictureRefused as err:
            raise ValidationError(t("picture.refused", reason=err.reason)) from None
        except OSError:
            raise ValidationError(t("picture.unwritable")) from None

    def populate_obj(self, obj, name: str) -> None:
        pass  # the view puts ``stored`` into ``image`` once every field is populated

    def __call__(self, **kwargs):
        from flask import url_for

        kwargs.setdefault("accept", "image/png,image/jpeg,image/gif,image/webp")
        current = getattr(self, "current", None)
        src = url_for("admin.media", picture=current) if current and "://" not in current else ""
        preview = Markup('<img class="preview" id="picture-preview" alt="" src="{}"{}>'
                         ).format(src, Markup("" if src else " hidden"))
        return preview + super().__call__(**kwargs)
