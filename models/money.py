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
