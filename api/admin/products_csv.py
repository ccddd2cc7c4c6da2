"""Products to and from CSV: export everything; import validated row by row, all or nothing.

An import first checks every row (the columns, each value, the category, the picture, the
product as the model validates it, the same id or sku twice) and writes nothing if any row
is rejected: the report lists each rejected row with its line and what is wrong. When
every row is good the products are written one by one; should a write still fail (the
database, or someone else's change meanwhile), the rows already written are put back as
they were, so a file is never left half-imported.

Columns: ``id`` (update that product), ``sku`` (update the product with it, else create),
``name``, ``category`` (its slug or id), ``price`` (roubles, at most two decimals),
``discount`` (percent), ``stock``, ``description``, ``image`` (a picture of the media
directory, an http(s) URL or a file_id) and ``name_<lang>``/``description_<lang>`` for
each other language. Comma or semicolon separated, UTF-8 (with or without a BOM).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field

from bson import ObjectId
from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from mongoengine.errors import ValidationError as DocumentInvalid

from api.admin.fields import kopecks, roubles
from api.admin.i18n import t
from api.admin.views import explain
from api.schemas.common import OTHER_LANGUAGES
from api.schemas.fields import media_dir
from api.schemas.products import MAX_STOCK
from engine.media import PictureRefused
from models import Category, Product, Translation

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "CsvTransfer", "ImportReport", "RejectedRow", "export_products",
           "import_products"]

COLUMNS = ("id", "sku", "name", "category", "price", "discount", "stock", "description",
           "image", *(f"{kind}_{lang}" for lang in OTHER_LANGUAGES
                      for kind in ("name", "description")))
REQUIRED = ("name", "category", "price")
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024  # of a CSV file
# what an import may change, as stored (for putting a product back as it was)
FIELDS = ("sku", "name", "category", "price", "discount", "stock", "description", "image",
          "translations")


@dataclass
class RejectedRow:
    line: int
    label: str
    errors: list[str]


@dataclass
class ImportReport:
    """What an import did: ``rejected`` rows (then nothing was written), or the counts."""

    rejected: list[RejectedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file as a whole
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.problems


# a cell a spreadsheet would run as a formula ("=HYPERLINK(...)", "+1+cmd|..."): exported
# behind an apostrophe (OWASP's advice; spreadsheets show the text as typed), and the
# apostrophe taken off again on import, so that an export imports back unchanged
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def to_cell(value: object) -> str:
    """A value as an exported cell, never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def from_cell(text: str) -> str:
    """An imported cell: :func:`to_cell` undone."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text[1:]) else text


def export_products() -> str:
    """Every product as CSV (the columns of :data:`COLUMNS`), in catalog order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for product in Product.objects.order_by("category", "position", "name"):
        category = product.category
        row = {"id": str(product.pk), "sku": product.sku or "", "name": product.name,
               "category": (category.slug or str(category.pk)) if category else "",
               "price": str(roubles(product.price)), "discount": product.discount or 0,
               "stock": product.stock, "description": product.description or "",
               "image": product.image or ""}
        for lang in OTHER_LANGUAGES:
            translation = (product.translations or {}).get(lang)
            row[f"name_{lang}"] = getattr(translation, "name", None) or ""
            row[f"description_{lang}"] = getattr(translation, "description", None) or ""
        writer.writerow([to_cell(row[column]) for column in COLUMNS])
    return out.getvalue()


def _reader(text: str) -> csv.DictReader:
    head = text.split("\n", 1)[0]
    delimiter = ";" if head.count(";") > head.count(",") else ","
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)


def _category(value: str, cache: dict) -> Category | None:
    if value not in cache:
        found = Category.objects(slug=value).first()
        if found is None and ObjectId.is_valid(value):
            found = Category.objects(id=value).first()
        cache[value] = found
    return cache[value]


def _integer(value: str, name: str, low: int, high: int | None, errors: list[str]) -> int:
    try:
        number = int(value)
    except ValueError:
        errors.append(t("csv.not_integer", column=name, value=value))
        return low
    if number < low or (high is not None and number > high):
        errors.append(t("csv.out_of_range", column=name, value=value, low=low,
                        high=high if high is not None else "∞"))
    return number


def _plan(row: dict, categories: dict, errors: list[str]) -> Product | None:
    """The product this row makes or changes (unsaved), or None; ``errors`` gets why not."""
    values = {k: from_cell((v or "").strip()) for k, v in row.items() if k is not None}
    for name in REQUIRED:
        if not values.get(name):
            errors.append(t("csv.required", column=name))
    product = None
    if values.get("id"):
        product = Product.objects(id=values["id"]).first() \
            if ObjectId.is_valid(values["id"]) else None
        if product is None:
            errors.append(t("csv.no_such_product", value=values["id"]))
    elif values.get("sku"):
        product = Product.objects(sku=values["sku"]).first()
    product = product or Product()
    if "sku" in values:
        product.sku = values["sku"] or None
    if values.get("name"):
        product.name = values["name"]
    if values.get("category"):
        category = _category(values["category"], categories)
        if category is None:
            errors.append(t("csv.no_such_category", value=values["category"]))
        elif product.category is None or product.category.pk != category.pk:
            product.category = category
    if values.get("price"):
        try:
            product.price = kopecks(values["price"])
        except ValueError as err:
            errors.append(f"price: {err}")
    if "discount" in values:
        product.discount = _integer(values["discount"] or "0", "discount", 0, 100, errors)
    if "stock" in values:
        product.stock = _integer(values["stock"] or "0", "stock", 0, MAX_STOCK, errors)
    if "description" in values:
        product.description = values["description"]
    if "image" in values:
        if values["image"]:
            try:
                media_dir().resolve(values["image"])
            except PictureRefused as err:
                errors.append(t("picture.refused", reason=err.reason))
        if (values["image"] or None) != product.image:
            product.image_file_id = None  # Telegram's cached upload is the old picture
        product.image = values["image"] or None
    translations = dict(product.translations or {})
    for lang in OTHER_LANGUAGES:
        name, description = f"name_{lang}", f"description_{lang}"
        if name in values or description in values:
            current = translations.get(lang) or Translation()
            if name in values:
                current.name = values[name] or None
            if description in values:
                current.description = values[description] or None
            if current.name or current.description or current.characteristics:
                translations[lang] = current
            else:
                translations.pop(lang, None)
    product.translations = translations
    if not errors:
        try:
            product.validate()
        except DocumentInvalid as err:
            errors.extend(f"{name}: {message}" for name, message in
                          sorted((err.to_dict() or {"": str(err)}).items()))
    return None if errors else product


def _label(row: dict) -> str:
    return (row.get("sku") or row.get("name") or row.get("id") or "").strip()


def import_products(text: str) -> ImportReport:
    """Check every row of ``text`` (CSV); write all of them, or none (see the module)."""
    report = ImportReport()
    reader = _reader(text)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown:
        report.problems.append(t("csv.unknown_columns", columns=", ".join(unknown),
                                 known=", ".join(COLUMNS)))
    if missing:
        report.problems.append(t("csv.missing_columns", columns=", ".join(missing)))
    if report.problems:
        return report
    planned: list[Product] = []
    seen: dict[str, int] = {}
    categories: dict = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            report.problems.append(t("csv.too_many", limit=MAX_ROWS))
            return report
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        errors: list[str] = []
        if None in row:  # more cells than columns
            errors.append(t("csv.extra_cells"))
        for key in ("id", "sku"):
            value = (row.get(key) or "").strip()
            if value and f"{key}:{value}" in seen:
                errors.append(t("csv.duplicate", column=key, value=value,
                                line=seen[f"{key}:{value}"]))
            elif value:
                seen[f"{key}:{value}"] = number
        product = _plan(row, categories, errors)
        if errors:
            report.rejected.append(RejectedRow(number, _label(row), errors))
        elif product is not None:
            planned.append(product)
    if not planned and not report.rejected:
        report.problems.append(t("csv.empty"))
    if report.ok:
        _write_all(planned, report)
    return report


def _write_all(products: list[Product], report: ImportReport) -> None:
    """Save every product; if one fails, put back those saved, then raise."""
    collection = Product._get_collection()
    stored = {name: Product._fields[name].db_field for name in FIELDS}
    done: list[tuple[ObjectId, dict | None]] = []
    try:
        for product in products:
            before = None
            if product.pk is not None:
                old = collection.find_one({"_id": product.pk}, list(stored.values())) or {}
                before = {db: old.get(db) for db in stored.values()}
            product.save()
            done.append((product.pk, before))
            if before is None:
                report.created += 1
            else:
                report.updated += 1
    except Exception:
        for pk, before in reversed(done):
            if before is None:
                collection.delete_one({"_id": pk})
            else:
                kept = {k: v for k, v in before.items() if v is not None}
                gone = {k: "" for k, v in before.items() if v is None}
                collection.update_one({"_id": pk}, {**({"$set": kept} if kept else {}),
                                                    **({"$unset": gone} if gone else {})})
        report.created = report.updated = 0
        raise


class CsvTransfer:
    """The products page's ``/import/`` (a form, then the report) and ``/export.csv``."""

    @expose("/export.csv")
    def export_csv(self):
        body = "\ufeff" + export_products()  # the BOM: spreadsheets then read it as UTF-8
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=products.csv"})

    @expose("/import/", methods=("GET", "POST"))
    def import_csv(self):
        report = None
        if request.method == "POST":
            upload = request.files.get("file")
            raw = upload.read(MAX_BYTES + 1) if upload is not None else b""
            if not raw:
                flash(t("csv.no_file"), "error")
            elif len(raw) > MAX_BYTES:
                flash(t("csv.too_big", limit=MAX_BYTES // (1024 * 1024)), "error")
            else:
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    flash(t("csv.not_utf8"), "error")
                else:
                    report = self._import(text)
                    if report is not None and report.ok:
                        flash(t("csv.done", created=report.created, updated=report.updated),
                              "success")
                        return redirect(url_for(".index_view"))
        return self.render("shop_admin/products_import.html", report=report, columns=COLUMNS)

    def _import(self, text: str) -> ImportReport | None:
        try:
            return import_products(text)
        except Exception as err:  # broad on purpose: whatever failed, it was put back
            logger.exception("product import failed while writing; put back")
            flash(t("csv.write_failed", error=explain(err)), "error")
            return None
