"""Marshmallow schemas: every input of the API is loaded through one of these."""

from __future__ import annotations

from api.schemas.base import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    NO_QUERY,
    BaseSchema,
    ErrorSchema,
    PageQuery,
    page_schema,
)
from api.schemas.broadcasts import BroadcastQuery, BroadcastSchema
from api.schemas.categories import (
    CategoryForestSchema,
    CategoryQuery,
    CategorySchema,
    CategoryTreeSchema,
    ChildrenQuery,
)
from api.schemas.media import MediaSchema, MediaUploadSchema
from api.schemas.news import NewsQuery, NewsSchema
from api.schemas.orders import OrderQuery, OrderSchema, OrderTransitionSchema, UserOrderQuery
from api.schemas.products import ProductQuery, ProductSchema
from api.schemas.users import CartSchema, UserQuery, UserSchema

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "NO_QUERY",
    "BaseSchema",
    "BroadcastQuery",
    "BroadcastSchema",
    "CartSchema",
    "CategoryForestSchema",
    "CategoryQuery",
    "CategorySchema",
    "CategoryTreeSchema",
    "ChildrenQuery",
    "ErrorSchema",
    "MediaSchema",
    "MediaUploadSchema",
    "NewsQuery",
    "NewsSchema",
    "OrderQuery",
    "OrderSchema",
    "OrderTransitionSchema",
    "PageQuery",
    "ProductQuery",
    "ProductSchema",
    "UserOrderQuery",
    "UserQuery",
    "UserSchema",
    "page_schema",
]
