"""``/orders``: placed orders (personal data: a token is needed).

Orders are made by the bot from a cart; their only change is a status change, through
``POST /orders/{id}/transitions`` (the lifecycle of flows/order_lifecycle.yaml, as staff).
``POST``, ``PUT``, ``PATCH`` and ``DELETE`` on orders are answered 405.
"""

from __future__ import annotations

from mongoengine.queryset.visitor import Q

from api.errors import Conflict, PreconditionFailed
from api.http import check_if_match, load_body, load_query, representation
from api.resources.base import ApiResource, Store
from api.resources.crud import Listing, Reading
from api.schemas import NO_QUERY, OrderQuery, OrderSchema, OrderTransitionSchema
from models import Order

__all__ = ["OrderItem", "OrderList", "OrderStore", "OrderTransitions"]


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


class OrderTransitions(ApiResource):
    """``POST /orders/{id}/transitions {"to": ..., "note": ...}``: change the status."""

    store = OrderList.store
    private = True
    tag = "orders"
    openapi = {"summary": "Change the status of an order",
               "description": "As staff, along the order's lifecycle (new -> confirmed -> "
                              "shipped -> delivered; cancelled, with a note, from new or "
                              "confirmed). 409 lists the statuses allowed now; with If-Match, "
                              "412 when the order changed since it was read.",
               "body": OrderTransitionSchema, "response": OrderSchema}

    def post(self, item_id):
        from flows.order_lifecycle import TransitionRefused, change

        load_query(NO_QUERY)
        data = load_body(OrderTransitionSchema())
        order = self.store.get(item_id)
        conditional = check_if_match(self.store.dump(order))
        try:
            changed = change(order.pk, role="staff", actor="api", dest=data["to"],
                             note=data.get("note"),
                             expect_version=order.version if conditional else None)
        except TransitionRefused as err:
            if err.conflict and conditional:
                raise PreconditionFailed() from None
            allowed = sorted({dest for _, dest in err.allowed})
            label = f"#{order.number}" if order.number else str(order.pk)
            raise Conflict(
                f"Order {label} is {order.status!r}: {err}.",
                errors={"to": [f"Must be one of the statuses allowed now: "
                               f"{', '.join(allowed) or 'none'}."
                               if "note" not in str(err) else "A note (the reason) is "
                               "required for this change."]}) from None
        return representation(self.store.dump(changed))
