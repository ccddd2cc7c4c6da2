"""``/users``: shoppers, keyed by Telegram id (read, update, delete; created by the bot).

Personal data: every request needs a token. A user's orders are at
``/users/{id}/orders`` and the cart at ``/users/{id}/cart``. Deleting a user deletes
the cart too; orders are kept (they are the shop's records).
"""

from __future__ import annotations

from mongoengine import Q

from api.errors import NotFound, unknown_item
from api.http import load_query, representation
from api.pagination import paginate
from api.resources.base import ApiResource, Store, search
from api.resources.crud import Deleting, Listing, Reading, Updating
from api.resources.orders import OrderList
from api.schemas import (
    NO_QUERY,
    CartSchema,
    OrderSchema,
    UserOrderQuery,
    UserQuery,
    UserSchema,
    page_schema,
)
from api.schemas.fields import INT64_MAX
from models import Cart, User

__all__ = ["UserCart", "UserItem", "UserList", "UserOrders", "UserStore"]


class UserStore(Store):
    document = User
    schema = UserSchema
    query = UserQuery
    noun = "user"

    def parse_id(self, raw):
        if isinstance(raw, int) and 0 <= raw <= INT64_MAX:
            return raw
        raise NotFound(unknown_item(self.noun, raw))

    def filters(self, query: dict) -> Q:
        condition = Q()
        for name in ("blocked", "language"):
            if name in query:
                condition &= Q(**{name: query[name]})
        if "q" in query:
            condition &= search(query["q"], "username", "first_name", "last_name")
        return condition

    def after_delete(self, doc: User) -> None:
        Cart.objects(user_id=doc.telegram_id).delete()


class UserList(Listing):
    store = UserStore()
    private = True
    tag = "users"


class UserItem(Reading, Updating, Deleting):
    store = UserList.store
    private = True
    tag = "users"


class UserOrders(ApiResource):
    """``GET /users/{id}/orders``: the user's orders, filtered and paginated."""

    store = UserList.store
    private = True
    tag = "users"
    query_schema = UserOrderQuery()
    openapi = {"summary": "List the orders of a user",
               "description": "Paginated, newest first by default; filters as for /orders.",
               "query": UserOrderQuery, "response": page_schema(OrderSchema)}

    def get(self, item_id):
        query = load_query(self.query_schema)
        user = self.store.get(item_id)
        orders = OrderList.store
        queryset = orders.queryset(query, base=Q(user_id=user.telegram_id))
        return representation(paginate(queryset, query["page"], query["page_size"],
                                       orders.dump_many))


class UserCart(ApiResource):
    """``GET /users/{id}/cart``: the cart at today's prices (read-only)."""

    store = UserList.store
    private = True
    tag = "users"
    cart_schema = CartSchema()
    openapi = {"summary": "Get the cart of a user",
               "description": "At today's prices, in kopecks; lines of deleted products are "
                              "left out. Reading it does not create it.",
               "response": CartSchema}

    def get(self, item_id):
        load_query(NO_QUERY)
        user = self.store.get(item_id)
        cart = Cart.objects(user_id=user.telegram_id).first()
        lines = cart.lines() if cart is not None else []
        data = {
            "user_id": user.telegram_id,
            "items": [{"product": line.product.pk, "name": line.product.name,
                       "quantity": line.quantity, "unit_price": line.unit_price,
                       "line_total": line.total, "stock": line.product.stock}
                      for line in lines],
            "count": sum(line.quantity for line in lines),
            "total": sum(line.total for line in lines),
            "modified": cart.modified if cart is not None else None,
        }
        return representation(self.cart_schema.dump(data))
