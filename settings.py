"""The shop's settings, read from the environment (and an optional ``.env`` file).

``load()`` reads every setting of the shop's bot and API processes, with its default; the
README's Settings table lists them all (tests/test_docs.py checks that it does). Yes/no
settings, whole numbers and rates are parsed by :mod:`engine.run.env`, the engine's run
modes' own rules, so a value means the same here as for any bot on the engine, and a bad
one stops the start naming the variable.

Read elsewhere, by design, and listed here so that none is a surprise:

- the web admin's (``api/admin``), which take the Flask app's config first and the
  environment second, so that tests and embedders configure them per app:
  ``ADMIN_SECRET_KEY`` (``api/admin/__init__.py``), ``ADMIN_COOKIE_SECURE``,
  ``ADMIN_COOKIE_HTTPONLY``, ``ADMIN_COOKIE_SAMESITE`` and ``ADMIN_SESSION_HOURS``
  (``api/admin/security.py``, its yes/no ones with :func:`engine.run.env.flag`),
  ``ADMIN_LOGIN_ATTEMPTS`` and ``ADMIN_LOGIN_LOCK_MINUTES`` (``api/admin/throttle.py``);
- ``ADMIN_PASSWORD``, the input of one command rather than a setting of a process
  (``api/admin/cli.py``, ``python run_api.py create-admin``);
- the engine's own, for any bot on it: ``ENGINE_COVERAGE_FILE`` (``engine/runtime.py``,
  replay coverage of the real process), and :meth:`engine.run.Settings.from_env`
  (``engine/run/application.py``), which reads the run modes' settings for bots without a
  loader of their own (the cafe); the shop reads those names here instead;
- ``flows/payments.py`` looks at the payment settings' raw text only to notice a change
  (a replay script's ``env:``) and parses them with :func:`load`;
- the cafe example's ``CAFE_NOW`` (``examples/cafe/flows/cafe.py``), not the shop's;
- ``deploy/gunicorn.conf.py`` reads ``MONGO_URI`` and ``BOT_EXCLUSIVE`` the way this module
  does, without importing the project (its master must not hold the apps' code), and its
  own ``GUNICORN_*``, ``WEB_CONCURRENCY`` and ``LOG_LEVEL``;
- tests, benchmarks and replay tools (``tests/``, ``bench/``, ``engine/replay``) read or set
  ``MONGO_URI`` for the processes they start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from engine.run.application import MAX_WORKERS, WORKERS
from engine.run.env import flag, rate, whole_number

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


def _currency(value: str | None) -> str:
    code = (value or "RUB").strip().upper()
    if len(code) != 3 or not code.isalpha() or code == "XTR":
        raise ValueError(f"PAYMENT_CURRENCY: {value!r} is not a currency for a payment "
                         "provider (expected a 3-letter ISO 4217 code such as RUB; Telegram "
                         "Stars are turned on with STARS=1)")
    return code


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
    # polling: the ordered worker threads updates are handled on (docs/scaling.md)
    workers: int = WORKERS
    # run_api.py: load the demo catalog at start (the embedded store has nothing else)
    api_demo: bool = False

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
        broadcast_rate=rate(env.get("BROADCAST_RATE"), "BROADCAST_RATE", 25.0),
        media_dir=str(Path(env.get("MEDIA_DIR") or DEFAULT_MEDIA_DIR).resolve()),
        bot_exclusive=flag(env.get("BOT_EXCLUSIVE"), "BOT_EXCLUSIVE"),
        staff_chat_id=_staff_chat(env.get("STAFF_CHAT_ID")),
        staff_thread_id=_chat(env.get("STAFF_THREAD_ID"), "STAFF_THREAD_ID"),
        staff_ids=_ids(env.get("STAFF_IDS"), "STAFF_IDS"),
        payment_provider_token=(env.get("PAYMENT_PROVIDER_TOKEN") or "").strip() or None,
        payment_currency=_currency(env.get("PAYMENT_CURRENCY")),
        stars=flag(env.get("STARS"), "STARS"),
        stars_rate=whole_number(env.get("STARS_RATE"), "STARS_RATE", 150),
        payment_hold_minutes=whole_number(env.get("PAYMENT_HOLD_MINUTES"),
                                          "PAYMENT_HOLD_MINUTES", 15),
        workers=whole_number(env.get("BOT_WORKERS"), "BOT_WORKERS", WORKERS, high=MAX_WORKERS),
        api_demo=flag(env.get("API_DEMO"), "API_DEMO"),
    )
