"""The catalog's data sources and conditions."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId

from engine import Html, UserError, action, condition, data_source
from models import Category, Product


def _category(value) -> Category | None:
    try:
        return Category.objects(id=ObjectId(str(value))).first() if value else None
    except InvalidId:
        return None


@data_source("catalog.category")
def category(ctx) -> dict:
    """The current category (none at the root) with its breadcrumbs."""
    current = _category(ctx.params.get("category"))
    if current is None:
        return {"id": "", "name": "", "path": ""}
    names = [c.title(ctx.lang) for c in [*current.ancestors(), current]]
    return {"id": str(current.pk), "name": current.title(ctx.lang),
            "path": " › " + " › ".join(names),
            "count": Product.objects(category=current).count()}


@data_source("catalog.children")
def children(ctx) -> list[dict]:
    parent = _category(ctx.params.get("category"))
    nodes = Category.roots() if parent is None else parent.subcategories
    return [{"id": str(c.pk), "name": c.title(ctx.lang)} for c in nodes]


@condition("catalog.has_subcategories")
def has_subcategories(ctx) -> bool:
    chosen = _category(ctx.args.get("category"))
    return chosen is not None and Category.objects(parent=chosen).first() is not None


@action("catalog.require_category")
def require_category(ctx) -> None:
    """A button of a category deleted since (or forged data) gets an answer, not a blank list."""
    if _category(ctx.args.get("category")) is None:
        raise UserError("catalog.gone")


@data_source("catalog.products")
def products(ctx) -> list[dict]:
    """The category's products as messages: picture, caption, availability."""
    current = _category(ctx.params.get("category"))
    if current is None:
        return []
    return [{"id": str(p.pk), "caption": Html(p.caption(ctx.lang)),
             "image": p.image_file_id or p.image or "", "in_stock": p.in_stock}
            for p in Product.objects(category=current).order_by("position", "name")]
