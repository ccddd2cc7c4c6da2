"""``/orders``: placed orders, read-only (personal data: a token is needed).

Orders are made by the bot from a cart; ``POST``, ``PUT``, ``PATCH`` and ``DELETE``
are answered 405 with ``Allow: GET, HEAD, OPTIONS``.
"""

from __future__ import annotations

from mongoengine.queryset.visitor import Q

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

    exact = ("user_id", "status", "number")
    ranges = ("created",)

    def filters(self, query: dict) -> Q:
        """Orders still being placed (``pending``: stock being taken, no number yet, maybe
        rolled back) are listed only when asked for with ``status=pending``."""
        condition = super().filters(query)
        if "status" not in query:
            condition &= Q(status__ne=Order.PENDING)
        return condition


class OrderList(Listing):
    store = OrderStore()
    private = True
    tag = "orders"


class OrderItem(Reading):
    store = OrderList.store
    private = True
    tag = "orders"
