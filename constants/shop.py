"""Shop-wide constants that are not texts."""

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

CURRENCY = "RUB"  # prices are stored in kopecks (integer minor units)

ORDER_STATUSES = ("new", "confirmed", "shipped", "delivered", "cancelled")

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
