"""The resources of ``/api/v1`` and the one table that routes them.

Each row: the resource class, its URL rule (relative to the blueprint), its endpoint
name, and the path OpenAPI shows (``{id}`` for the item id).
"""

from __future__ import annotations

from typing import NamedTuple

from flask_restful import Api

from api.resources.base import ApiResource
from api.resources.broadcasts import BroadcastItem, BroadcastList
from api.resources.categories import (
    CategoryChildren,
    CategoryItem,
    CategoryList,
    CategorySubtree,
    CategoryTree,
)
from api.resources.media import MediaUpload
from api.resources.news import NewsItem, NewsList
from api.resources.orders import OrderItem, OrderList, OrderTransitions
from api.resources.products import ProductItem, ProductList
from api.resources.users import UserCart, UserItem, UserList, UserOrders
from api.schemas.fields import INT64_MAX

USER_ID = f"<int(max={INT64_MAX}):item_id>"

__all__ = ["ROUTES", "Route", "register"]


class Route(NamedTuple):
    resource: type[ApiResource]
    rule: str
    endpoint: str
    path: str


ROUTES: tuple[Route, ...] = (
    Route(NewsList, "/news", "news_list", "/news"),
    Route(NewsItem, "/news/<objectid:item_id>", "news_item", "/news/{id}"),
    Route(CategoryList, "/categories", "category_list", "/categories"),
    Route(CategoryTree, "/categories/tree", "category_tree", "/categories/tree"),
    Route(CategoryItem, "/categories/<objectid:item_id>", "category_item", "/categories/{id}"),
    Route(CategoryChildren, "/categories/<objectid:item_id>/children", "category_children",
          "/categories/{id}/children"),
    Route(CategorySubtree, "/categories/<objectid:item_id>/subtree", "category_subtree",
          "/categories/{id}/subtree"),
    Route(ProductList, "/products", "product_list", "/products"),
    Route(ProductItem, "/products/<objectid:item_id>", "product_item", "/products/{id}"),
    Route(UserList, "/users", "user_list", "/users"),
    Route(UserItem, f"/users/{USER_ID}", "user_item", "/users/{id}"),
    Route(UserOrders, f"/users/{USER_ID}/orders", "user_orders", "/users/{id}/orders"),
    Route(UserCart, f"/users/{USER_ID}/cart", "user_cart", "/users/{id}/cart"),
    Route(OrderList, "/orders", "order_list", "/orders"),
    Route(OrderItem, "/orders/<objectid:item_id>", "order_item", "/orders/{id}"),
    Route(OrderTransitions, "/orders/<objectid:item_id>/transitions", "order_transitions",
          "/orders/{id}/transitions"),
    Route(BroadcastList, "/broadcasts", "broadcast_list", "/broadcasts"),
    Route(BroadcastItem, "/broadcasts/<objectid:item_id>", "broadcast_item",
          "/broadcasts/{id}"),
    Route(MediaUpload, "/media", "media", "/media"),
)


def register(api: Api) -> None:
    """Add every resource of :data:`ROUTES` to ``api``."""
    for route in ROUTES:
        api.add_resource(route.resource, route.rule, endpoint=route.endpoint)
