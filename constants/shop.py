"""Shop-wide constants that are not texts."""

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

CURRENCY = "RUB"  # prices are stored in kopecks (integer minor units)

# "pending": being placed (stock being taken, no number yet; see models/placing.py);
# "awaiting_payment": placed with an invoice, its stock held until paid or expired
ORDER_STATUSES = ("pending", "new", "awaiting_payment", "paid", "confirmed", "shipped",
                  "delivered", "cancelled", "refunded")

EMOJI = {
    "catalog": "🛍",
    "cart": "🛒",
    "news": "📰",
    "profile": "👤",
    "orders": "📦",
    "back": "⬅️",
    "plus": "➕",
    "minus": "➖",
    "remove": "❌",
    "ok": "✅",
}
