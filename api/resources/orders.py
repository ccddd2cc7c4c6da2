"""``/orders``: placed orders, read-only (personal data: a token is needed).

Orders are made by the bot from a cart; ``POST``, ``PUT``, ``PATCH`` and ``DELETE``
are answered 405 with ``Allow: GET, HEAD, OPTIONS``.
"""

from __future__ import annotations

from mongoengine import Q

from api.resources.base import Store
from api.resources.crud import Listing, Reading
from api.schemas import OrderQuery, OrderSchema
from models import Order

__all__ = ["OrderItem", "OrderList", "OrderStore"]


class OrderStore(Store):
    document = Order
    schema = OrderSchema
    query = OrderQuery
    noun = "order"

    def filters(self, query: dict) -> Q:
        condition = Q()
        for name in ("user_id", "status", "number"):
            if name in query:
                condition &= Q(**{name: query[name]})
        if "created_from" in query:
            condition &= Q(created__gte=query["created_from"])
        if "created_to" in query:
            condition &= Q(created__lte=query["created_to"])
        return condition


class OrderList(Listing):
    store = OrderStore()
    private = True
    tag = "orders"


class OrderItem(Reading):
    store = OrderList.store
    private = True
    tag = "orders"
