"""Placing an order for a quote: stock taken and order written succeed or fail together.

MongoDB-compatible servers make one document's update atomic, not several (FerretDB v2 has no
multi-document transactions), so placing is a short saga whose every step is idempotent and
recorded where the next attempt finds it:

1. ``claim``: the order is inserted ``pending`` under the quote's unique ``checkout_key`` and
   leased; a second attempt (a double press, a redelivered update, another process) finds it
   and waits for it, resumes it when its lease expired, or returns it when it is placed.
2. ``hold``, per line: one conditional update of the product takes the units *and* records
   a hold naming the order, only if the stock suffices, the price and discount are the
   quoted ones and the order holds none yet; so a retry never takes twice.
3. ``complete``: the order gets its number and becomes ``new`` (conditional on being
   ``pending`` under our lease): from here on it exists for the shopper and the shop.
4. ``settle``: the holds are dropped (the units stay taken) and the bought quantities leave
   the cart; ``settled`` records it.

A refusal at step 2 (stock short, price moved, product gone) puts back exactly what this
order holds (``release``: each hold's units return once, with the hold) and deletes the
pending order. A crash leaves a pending order whose lease expires: the next attempt with
the same key resumes it, and :func:`recover_stale` rolls back those nobody resumed.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from mongoengine import NotUniqueError

from models.base import utcnow
from models.cart import Cart
from models.counter import Counter
from models.errors import CheckoutBusy, EmptyCart, OutOfStock, QuoteChanged
from models.order import Order, OrderItem
from models.product import Product
from models.quote import Change, Quote, QuoteLine

LEASE = timedelta(seconds=30)
WAIT = 10.0  # seconds a second attempt waits for the first before saying "busy"


def place(user_id: int, quote: Quote, *, email: str | None = None, phone: str | None = None,
          address: str | None = None, payment: dict | None = None) -> Order:
    """Place ``quote`` for ``user_id`` once, whatever fails or repeats around it.

    With ``payment`` (the order's ``pay_*`` fields: method, currency, amount, until, nonce)
    the order is placed ``awaiting_payment``: its units stay taken until it is paid, or
    until it expires and they are returned (flows/payments.py).

    Raises :class:`EmptyCart` for an empty quote, :class:`OutOfStock` (``items`` lists the
    short lines) or :class:`QuoteChanged` (``changes``) with nothing taken, and
    :class:`CheckoutBusy` when another process is placing the same quote right now.
    """
    if not quote.lines:
        raise EmptyCart("nothing to order")
    precheck(quote)
    order, token = claim(user_id, quote, email=email, phone=phone, address=address)
    if token is None:  # placed already (by an earlier attempt)
        if not order.settled:
            settle(order, quote)
        return order
    try:
        refusal: Exception | None = None
        try:
            for line in quote.lines:
                hold(order, line)
        except (OutOfStock, QuoteChanged) as err:
            refusal = err
        if refusal is not None:
            release(order, quote)
            Order.objects(id=order.pk, status=Order.PENDING, lease=token).delete()
            raise refusal
        complete(order, token, payment)
    finally:
        # a failure in between leaves the order pending for the next attempt, at once
        Order.objects(id=order.pk, status=Order.PENDING, lease=token).update_one(
            unset__lease=True, unset__lease_until=True)
    settle(order, quote)
    return order


def precheck(quote: Quote) -> None:
    """Refuse at once, naming every line, what would be refused line by line anyway."""
    if Order.objects(checkout_key=quote.key).only("id").first() is not None:
        return  # being placed or placed: the steps below know what to do
    products = _products(quote)
    changes, short = [], []
    for line in quote.lines:
        product = products.get(line.product)
        if product is None:
            changes.append(Change("gone", line))
        elif product.final_price != line.unit_price or product.price != line.price:
            changes.append(Change("price", line, line.unit_price, product.final_price))
        elif product.stock < line.quantity:
            short.append({"name": product.name, "names": product.names(),
                          "stock": product.stock, "product": line.product,
                          "wanted": line.quantity})
    if changes:
        raise QuoteChanged("the quote no longer holds", changes=changes)
    if short:
        raise OutOfStock(f"not enough stock for {', '.join(i['name'] for i in short)}",
                         items=short, name=short[0]["name"], stock=short[0]["stock"])


def claim(user_id: int, quote: Quote, **contact: str | None) -> tuple[Order, str | None]:
    """The quote's order and our lease token on it; the token is ``None`` when it is placed."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + WAIT
    items = [OrderItem(product=line.product, name=line.name, names=line.names,
                       unit_price=line.unit_price, quantity=line.quantity,
                       line_total=line.total) for line in quote.lines]
    while True:
        now = utcnow()
        order = Order.objects(checkout_key=quote.key).first()
        if order is None:
            order = Order(checkout_key=quote.key, user_id=user_id, items=items,
                          total=quote.total, status=Order.PENDING, lease=token,
                          lease_until=now + LEASE, **contact)
            try:
                order.save(force_insert=True)
                return order, token
            except NotUniqueError:
                continue  # another attempt inserted it first: look again
        if order.user_id != user_id:
            raise QuoteChanged("the quote belongs to another user", changes=[])
        if order.status != Order.PENDING:
            return order, None
        leased = Order.objects(__raw__={
            "_id": order.pk, "status": Order.PENDING,
            "$or": [{"lease": None}, {"lease_until": {"$lt": now}}]}).modify(
            new=True, set__lease=token, set__lease_until=now + LEASE)
        if leased is not None:
            return leased, token
        if time.monotonic() > deadline:
            raise CheckoutBusy(f"order {quote.key} is being placed by another process")
        time.sleep(0.05)


def hold(order: Order, line: QuoteLine) -> None:
    """Take ``line``'s units for ``order`` once, at the quoted price; else say why not."""
    taken = Product.objects(__raw__={
        "_id": _oid(line.product), "stock": {"$gte": line.quantity}, "price": line.price,
        "discount": line.discount, "holds.order": {"$ne": order.pk}}).update_one(__raw__={
            "$inc": {"stock": -line.quantity},
            "$push": {"holds": {"order": order.pk, "quantity": line.quantity,
                                "at": utcnow()}}})
    if taken:
        return
    product = Product.objects(id=line.product).first()
    if product is None:
        raise QuoteChanged(f"{line.name!r} left the catalog", changes=[Change("gone", line)])
    if any(h.order == order.pk for h in product.holds):
        return  # an earlier attempt took them
    if product.final_price != line.unit_price or product.price != line.price:
        raise QuoteChanged(f"the price of {line.name!r} changed", changes=[
            Change("price", line, line.unit_price, product.final_price)])
    raise OutOfStock(f"only {product.stock} of {product.name!r} in stock", items=[{
        "name": product.name, "names": product.names(), "stock": product.stock,
        "product": line.product, "wanted": line.quantity}])


def release(order: Order, quote: Quote) -> None:
    """Put back what ``order`` holds: each hold's units return once, with the hold."""
    for line in quote.lines:
        product = Product.objects(id=line.product).only("holds").first()
        for held in (h for h in (product.holds if product else []) if h.order == order.pk):
            Product.objects(__raw__={"_id": product.pk, "holds.order": order.pk}).update_one(
                __raw__={"$inc": {"stock": held.quantity},
                         "$pull": {"holds": {"order": order.pk}}})


def complete(order: Order, token: str, payment: dict | None = None) -> None:
    """Number the order and make it ``new`` (``awaiting_payment`` with ``payment``, the
    ``pay_*`` fields): it is placed."""
    number = Counter.next("order")
    status = Order.AWAITING_PAYMENT if payment else "new"
    extra = {f"set__{name}": value for name, value in (payment or {}).items()}
    done = Order.objects(id=order.pk, status=Order.PENDING, lease=token).modify(
        new=True, set__number=number, set__status=status, unset__lease=True, **extra,
        unset__lease_until=True,
        # the lifecycle's actions on creation are still to run (flows/order_lifecycle.py:
        # created(), or the housekeeping's resume after a crash): the staff chat's card
        set__after_pending=["created"])
    if done is None:
        raise CheckoutBusy(f"order {order.checkout_key} changed hands while being placed")
    order.number, order.status = number, status
    for name, value in (payment or {}).items():
        setattr(order, name, value)


def settle(order: Order, quote: Quote) -> None:
    """Drop the holds (the units stay taken) and take the bought lines out of the cart."""
    for line in quote.lines:
        Product.objects(__raw__={"_id": _oid(line.product), "holds.order": order.pk}).update_one(
            __raw__={"$pull": {"holds": {"order": order.pk}}})
    cart = Cart.objects(user_id=order.user_id).first()
    if cart is not None:
        products = _products(quote)
        cart.take([(products[line.product], line.quantity) for line in quote.lines
                   if line.product in products])
    Order.objects(id=order.pk).update_one(set__settled=True)
    order.settled = True


def return_stock(order_id) -> None:
    """Put back what a cancelled order bought, once whatever repeats: each product records
    the order in the same conditional update that returns its units (the last 200 such
    marks are kept: a repeat comes within minutes, from the lifecycle's ``resume``)."""
    order = Order.objects(id=order_id).only("items").first()
    if order is None:
        return
    for item in order.items:
        Product.objects(__raw__={"_id": item.product, "returns": {"$ne": order.pk}}).update_one(
            __raw__={"$inc": {"stock": item.quantity},
                     "$push": {"returns": {"$each": [order.pk], "$slice": -200}}})


def recover_stale(older_than: timedelta = timedelta(minutes=5),
                  now: datetime | None = None) -> int:
    """Roll back pending orders whose placing stopped (a crash) and nobody resumed.

    Returns how many were rolled back. Safe to run at any time from any process: an order
    is taken under its lease first, so one being placed right now is left alone.
    """
    now = now or utcnow()
    count = 0
    for order in Order.objects(status=Order.PENDING, created__lt=now - older_than):
        token = uuid.uuid4().hex
        leased = Order.objects(__raw__={
            "_id": order.pk, "status": Order.PENDING,
            "$or": [{"lease": None}, {"lease_until": {"$lt": now}}]}).modify(
            new=True, set__lease=token, set__lease_until=utcnow() + LEASE)
        if leased is None:
            continue
        quote = Quote(leased.checkout_key or "", tuple(
            QuoteLine(product=str(item.product), name=item.name, names=dict(item.names or {}),
                      price=0, discount=0, unit_price=item.unit_price, quantity=item.quantity)
            for item in leased.items))
        release(leased, quote)
        Order.objects(id=leased.pk, status=Order.PENDING, lease=token).delete()
        count += 1
    return count


def _products(quote: Quote) -> dict[str, Product]:
    return {str(p.pk): p for p in Product.objects(id__in=[line.product for line in quote.lines])}


def _oid(value: str):
    from bson import ObjectId

    return ObjectId(value)
