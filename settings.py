"""Settings read from the environment (and an optional ``.env`` file).

Every setting of design.md §5 lives here, with its default; nothing else in the
project reads ``os.environ`` for these names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_MONGO_URI = "mongomock://localhost/shop"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
# the demo catalog's pictures: the one directory pictures are uploaded from by default
DEFAULT_MEDIA_DIR = str(Path(__file__).resolve().parent / "models" / "demo_data" / "images")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _ids(value: str | None, name: str = "ADMIN_IDS") -> frozenset[int]:
    ids = set()
    for part in _split(value):
        try:
            ids.add(int(part))
        except ValueError:
            raise ValueError(f"{name}: {part!r} is not a Telegram id (expected "
                             "integers)") from None
    return frozenset(ids)


def _chat(value: str | None, name: str) -> int | None:
    if not (value or "").strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a Telegram id (expected an integer, "
                         "such as -1001234567890 for a supergroup)") from None


def _staff_chat(value: str | None) -> int | None:
    chat = _chat(value, "STAFF_CHAT_ID")
    if chat is not None and chat > 0:
        raise ValueError(f"STAFF_CHAT_ID: {chat} is a private chat (a user's id); the staff "
                         "feed needs a group or supergroup, whose ids are negative (such as "
                         "-1001234567890): add the bot to the staff group and use its id")
    return chat


def _rate(value: str | None) -> float:
    try:
        rate = float(value) if value else 25.0
    except ValueError:
        rate = 0.0
    if not 0 < rate < float("inf"):
        raise ValueError(f"BROADCAST_RATE: {value!r} is not a rate (expected messages per "
                         "second above 0, such as 25)")
    return rate


def _positive(value: str | None, name: str, default: int) -> int:
    if not (value or "").strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError(f"{name}: {value!r} is not a whole number above 0")
    return number


def _currency(value: str | None) -> str:
    code = (value or "RUB").strip().upper()
    if len(code) != 3 or not code.isalpha() or code == "XTR":
        raise ValueError(f"PAYMENT_CURRENCY: {value!r} is not a currency for a payment "
                         "provider (expected a 3-letter ISO 4217 code such as RUB; Telegram "
                         "Stars are turned on with STARS=1)")
    return code


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """The process's configuration; build it with :func:`load`."""

    bot_token: str | None = None
    mongo_uri: str = DEFAULT_MONGO_URI
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    webhook_secret: str | None = None
    api_tokens: frozenset[str] = field(default_factory=frozenset)
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    broadcast_rate: float = 25.0
    media_dir: str = DEFAULT_MEDIA_DIR
    # this bot process is the only one serving updates (polling, or a webhook run by one
    # process): it owns conversations, one database round trip per update (docs/scaling.md)
    bot_exclusive: bool = False
    # the staff order feed: the group (or supergroup) new orders are posted to, its forum
    # topic, and who besides ADMIN_IDS may change orders there (docs/operations.md)
    staff_chat_id: int | None = None
    staff_thread_id: int | None = None
    staff_ids: frozenset[int] = field(default_factory=frozenset)
    # payments in Telegram (docs/payments.md): a provider's token from @BotFather (cards,
    # in payment_currency), Telegram Stars for orders of digital products, at stars_rate
    # minor units of the shop's currency per star; an unpaid order's stock is held for
    # payment_hold_minutes
    payment_provider_token: str | None = None
    payment_currency: str = "RUB"
    stars: bool = False
    stars_rate: int = 150
    payment_hold_minutes: int = 15

    @property
    def embedded_store(self) -> bool:
        """True when ``MONGO_URI`` names the in-process mongomock store."""
        return self.mongo_uri.startswith("mongomock://")


def load(env: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
    """Read settings from ``env`` (default: the process environment, after ``.env``)."""
    if env is None:
        if dotenv:
            load_dotenv(override=False)
        env = dict(os.environ)
    return Settings(
        bot_token=env.get("BOT_TOKEN") or None,
        mongo_uri=env.get("MONGO_URI") or DEFAULT_MONGO_URI,
        telegram_api_url=(env.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
        webhook_secret=env.get("WEBHOOK_SECRET") or None,
        api_tokens=frozenset(_split(env.get("API_TOKENS"))),
        admin_ids=_ids(env.get("ADMIN_IDS")),
        broadcast_rate=_rate(env.get("BROADCAST_RATE")),
        media_dir=str(Path(env.get("MEDIA_DIR") or DEFAULT_MEDIA_DIR).resolve()),
        bot_exclusive=(env.get("BOT_EXCLUSIVE") or "").strip().lower() in ("1", "true", "yes"),
        staff_chat_id=_staff_chat(env.get("STAFF_CHAT_ID")),
        staff_thread_id=_chat(env.get("STAFF_THREAD_ID"), "STAFF_THREAD_ID"),
        staff_ids=_ids(env.get("STAFF_IDS"), "STAFF_IDS"),
        payment_provider_token=(env.get("PAYMENT_PROVIDER_TOKEN") or "").strip() or None,
        payment_currency=_currency(env.get("PAYMENT_CURRENCY")),
        stars=_flag(env.get("STARS")),
        stars_rate=_positive(env.get("STARS_RATE"), "STARS_RATE", 150),
        payment_hold_minutes=_positive(env.get("PAYMENT_HOLD_MINUTES"),
                                       "PAYMENT_HOLD_MINUTES", 15),
    )
