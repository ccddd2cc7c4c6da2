"""``/products``: the catalog's products (CRUD, public reads). Prices are kopecks."""

from __future__ import annotations

from mongoengine import Q

from api.resources.base import Store, search
from api.resources.common import characteristics, translations
from api.resources.crud import Creating, Deleting, Listing, Reading, Updating
from api.schemas import ProductQuery, ProductSchema
from api.schemas.common import OTHER_LANGUAGES
from models import Category, Product

__all__ = ["ProductItem", "ProductList", "ProductStore"]


class ProductStore(Store):
    document = Product
    schema = ProductSchema
    query = ProductQuery
    noun = "product"
    unique = ("sku",)

    def filters(self, query: dict) -> Q:
        condition = Q()
        if "category" in query:
            category = Category.objects(pk=query["category"]).first()
            # an unknown category simply has no products
            ids = category.subtree_ids() if category is not None else []
            condition &= Q(category__in=ids)
        if "in_stock" in query:
            condition &= Q(stock__gt=0) if query["in_stock"] else Q(stock__lte=0)
        if "discounted" in query:
            condition &= Q(discount__gt=0) if query["discounted"] else Q(discount__in=[0, None])
        if "min_price" in query:
            condition &= Q(price__gte=query["min_price"])
        if "max_price" in query:
            condition &= Q(price__lte=query["max_price"])
        if "sku" in query:
            condition &= Q(sku=query["sku"])
        if "q" in query:
            condition &= search(query["q"], "name",
                                *(f"translations.{lang}.name" for lang in OTHER_LANGUAGES))
        return condition

    def values(self, data: dict) -> dict:
        values = dict(data)
        if "category" in values:
            values["category"] = self.resolve(Category, "category", values["category"])
        if "characteristics" in values:
            values["characteristics"] = characteristics(values["characteristics"])
        if "translations" in values:
            values["translations"] = translations(values["translations"])
        return values

    def apply(self, doc: Product, data: dict) -> None:
        image = doc.image
        super().apply(doc, data)
        if doc.image != image:
            doc.image_file_id = None  # Telegram's cached upload shows the old picture


class ProductList(Listing, Creating):
    store = ProductStore()
    item_endpoint = "api_v1.product_item"
    tag = "products"


class ProductItem(Reading, Updating, Deleting):
    store = ProductList.store
    tag = "products"
