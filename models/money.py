"""Money: integer minor units (kopecks) in storage, formatted per language for display."""

from __future__ import annotations

from constants import text


def discounted(price: int, discount: int) -> int:
    """``price`` less ``discount`` percent, rounded half up to the kopeck (exact integers)."""
    return (price * (100 - discount) + 50) // 100


def format_money(minor: int, lang: str | None = None) -> str:
    """``129900`` -> ``1 299 ₽``; kopecks are shown only when there are some."""
    rubles, kopecks = divmod(minor, 100)
    sep = "," if lang == "en" else "\u00a0"
    amount = f"{rubles:,}".replace(",", sep)
    if kopecks:
        amount += ("." if lang == "en" else ",") + f"{kopecks:02d}"
    return text("money.format", lang, amount=amount)


# Digits after the point (ISO 4217 minor units) where they are not 2: Telegram's amounts are
# in minor units ("total_amount": 5000 is 5000 JPY, 1500 is 1.500 KWD); Stars are whole
EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", "XTR"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}


def exponent(currency: str) -> int:
    """How many of ``currency``'s minor units make one (as a power of ten): 2 unless listed."""
    return EXPONENTS.get(currency, 2)


def format_minor(amount: int, currency: str) -> str:
    """An amount in ``currency``'s minor units with its code: ``12.50 EUR``, ``1250 JPY``,
    ``1.500 KWD``."""
    digits = exponent(currency)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if digits == 0:
        return f"{sign}{amount} {currency}"
    whole, minor = divmod(amount, 10**digits)
    return f"{sign}{whole}.{minor:0{digits}d} {currency}"
