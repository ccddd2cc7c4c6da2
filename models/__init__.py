"""The shop's data: mongoengine documents on an abstract timestamped base.

``from models import Category, Product, User, Cart, Order, News``; open the database
with :func:`connect` (the only place that does).
"""

from models import placing
from models.base import TimestampedDocument, TimestampedQuerySet, utcnow
from models.broadcast import Broadcast, BroadcastWorker
from models.broadcast_batches import BatchRecipients, BroadcastBatch
from models.cart import Cart, CartItem, CartLine
from models.category import Category
from models.counter import Counter
from models.db import connect, disconnect, is_embedded, serialised
from models.errors import (
    Busy,
    CategoryNotEmpty,
    CheckoutBusy,
    EmptyCart,
    ModelError,
    OutOfStock,
    QuantityAtMinimum,
    QuoteChanged,
    TreeConflict,
    ValidationError,
)
from models.i18n import Characteristic, Translation
from models.lock import Lock
from models.money import format_money
from models.news import News
from models.order import Order, OrderItem
from models.outbox import Notice, StaffChat, StaffPrompt
from models.payment import Payment
from models.product import Product, StockHold
from models.quote import Change, Quote, QuoteLine, compare, differences, quote_cart
from models.user import User
from models.validation import InvalidValue, normalise_email, normalise_phone

DOCUMENTS = (Category, Product, User, Cart, Order, News, Counter, Lock, Broadcast, BroadcastBatch,
             BatchRecipients, BroadcastWorker, Notice, StaffChat,
             StaffPrompt, Payment)

__all__ = [
    "DOCUMENTS",
    "BatchRecipients",
    "Broadcast",
    "Busy",
    "BroadcastBatch",
    "BroadcastWorker",
    "Cart",
    "CartItem",
    "CartLine",
    "Category",
    "CategoryNotEmpty",
    "Change",
    "Characteristic",
    "CheckoutBusy",
    "Counter",
    "EmptyCart",
    "InvalidValue",
    "Lock",
    "ModelError",
    "News",
    "Notice",
    "Order",
    "OrderItem",
    "OutOfStock",
    "Payment",
    "Product",
    "QuantityAtMinimum",
    "Quote",
    "QuoteChanged",
    "QuoteLine",
    "StaffChat",
    "StaffPrompt",
    "StockHold",
    "TimestampedDocument",
    "TimestampedQuerySet",
    "Translation",
    "TreeConflict",
    "User",
    "ValidationError",
    "compare",
    "connect",
    "differences",
    "disconnect",
    "format_money",
    "is_embedded",
    "normalise_email",
    "normalise_phone",
    "placing",
    "quote_cart",
    "serialised",
    "utcnow",
]
