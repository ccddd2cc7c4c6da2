"""The shop bot assembled: its flows, database, services, demo catalog, housekeeping and
broadcasts, as the engine's run modes take them (``run_bot.py``: ``engine.run.main(shop)``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import models
import settings
from engine import Engine, MemoryStore, MongoStore, load_flows
from engine.periodic import Periodic
from engine.run import Application
from engine.sender import Sender
from flows.broadcast import ShopQueue, compose
from flows.notify import OutboxQueue

logger = logging.getLogger(__name__)
FLOWS_DIR = Path(__file__).resolve().parent
ROOT = FLOWS_DIR.parent


@dataclass(frozen=True)
class Services:
    """What the shop's actions get as ``ctx.services``: the admins' Telegram ids."""

    admin_ids: frozenset[int] = frozenset()


def mark_blocked(user_id: int) -> None:
    """Telegram said 403: remember the user blocked the bot (broadcasts skip them)."""
    with models.serialised():
        models.User.objects(telegram_id=user_id).update_one(set__blocked=True)


def connect(settings) -> None:
    models.connect(settings.mongo_uri)


def build_engine(settings, sender: Sender) -> Engine:
    """Load and check the flows, and build the engine on the connected database.

    On the embedded store conversations live in a :class:`MemoryStore` (mongomock scans a
    whole collection per query, so per-update cost would grow with the number of users);
    on a real server they live in the ``conversations`` collection.
    """
    if models.is_embedded():
        store = MemoryStore()
    else:
        import mongoengine

        store = MongoStore(mongoengine.get_db()["conversations"])
    from flows import order_lifecycle, payments, staff

    staff.configure(staff.Feed.from_settings(settings))
    payments.configure(payments.PaymentConfig.from_settings(settings))
    payments.configure_gateway(sender)  # refunds of Stars go out through the bot's sender
    warn_unwatched_payments(payments.config(), staff.feed())
    order_lifecycle.lifecycle()  # its actions checked now, not at the first change
    return Engine(load_flows(FLOWS_DIR), store, sender, unit_of_work=models.serialised,
                  on_blocked=mark_blocked, services=Services(admin_ids=settings.admin_ids))


def warn_unwatched_payments(config, feed) -> bool:
    """Log a warning when payments are taken with no staff chat (STAFF_CHAT_ID): a payment
    no order awaits then reaches staff only on the admin's Payments page; True if so."""
    if not (config.provider_token or config.stars) or feed.enabled:
        return False
    logger.warning("payments are on (%s) but STAFF_CHAT_ID is not set: paid orders and "
                   "payments no order awaits (to refund) are not announced to staff; watch "
                   "the web admin's Orders and Payments pages, or set STAFF_CHAT_ID "
                   "(docs/payments.md)",
                   " and ".join(filter(None, ("card" if config.provider_token else "",
                                              "Stars" if config.stars else ""))))
    return True


def load_demo() -> None:
    from models import demo

    demo.load(verbose=True)


def housekeeping() -> list[Periodic]:
    """The shop's periodic jobs: checkouts a crash abandoned give their stock back, order
    changes a crash interrupted finish what they had to do (stock returned once), payments
    a crash left unapplied are applied, unpaid orders past their time expire."""
    from flows import order_lifecycle, payments

    def recover() -> None:
        with models.serialised():
            count = models.placing.recover_stale()
            resumed = order_lifecycle.resume()
        if count:
            logger.warning("rolled back %d checkout(s) abandoned mid-way", count)
        if resumed:
            logger.warning("finished %d order change(s) a crash interrupted", resumed)
        # payments: those a crash left recorded only are applied; unpaid orders past their
        # time are cancelled, their stock returned (flows/payments.py)
        applied = payments.resume_received()
        expired = payments.expire_unpaid()
        if applied:
            logger.warning("applied %d payment(s) a crash left recorded only", applied)
        if expired:
            logger.info("cancelled %d order(s) not paid in time", expired)
    return [Periodic(recover, 60.0, "recover-checkouts")]


def side_handlers(settings, replier) -> list:
    """The staff chat's presses and messages (STAFF_CHAT_ID), beside the conversations."""
    from flows import staff

    desk = staff.Feed.from_settings(settings)
    return [staff.StaffDesk(replier, desk)] if desk.enabled else []


def payment_desk(settings):
    """Pre-checkout queries and successful payments (flows/payments.py)."""
    from flows import payments

    return payments.PaymentDesk()


def record_env(settings) -> dict[str, str]:
    """The payment settings a script recorded in the console replays with (its ``env:``):
    none when payments are off; a placeholder for the provider's token, never the token."""
    if not (settings.payment_provider_token or settings.stars):
        return {}
    env = {"PAYMENT_PROVIDER_TOKEN": "test" if settings.payment_provider_token else "",
           "PAYMENT_CURRENCY": settings.payment_currency,
           "PAYMENT_HOLD_MINUTES": str(settings.payment_hold_minutes),
           "STARS": "1" if settings.stars else "0"}
    if settings.stars:
        env["STARS_RATE"] = str(settings.stars_rate)
    return env


def health() -> None:
    """Raises when the database cannot be read."""
    with models.serialised():
        models.User.objects.limit(1).first()


shop = Application(
    flows_dir=FLOWS_DIR,
    connect=connect,
    build_engine=build_engine,
    load_demo=load_demo,
    housekeeping=housekeeping,
    health=health,
    broadcast_queue=ShopQueue,
    compose_broadcast=compose,
    unit_of_work=models.serialised,
    is_embedded=models.is_embedded,
    load_settings=settings.load,
    record_setup=("demo_catalog",),  # flows/replay.py's fixture loading what load_demo does
    record_env=record_env,
    side_handlers=side_handlers,
    outbox_queue=OutboxQueue,
    payments=payment_desk,
)
