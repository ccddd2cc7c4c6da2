"""Assembling the shop bot: settings -> database, flows, engine, Telegram."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import models
from engine import Engine, MemoryStore, MongoStore, load_flows
from engine.sender import Sender

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


def build_engine(settings, sender: Sender, *, demo: bool = False) -> Engine:
    """Connect the database, load and check the flows, and build the engine.

    On the embedded store conversations live in a :class:`MemoryStore` (mongomock scans a
    whole collection per query, so per-update cost would grow with the number of users);
    on a real server they live in the ``conversations`` collection.
    """
    models.connect(settings.mongo_uri)
    if demo:
        from models import demo as demo_data

        with models.serialised():
            demo_data.load(verbose=True)
    if models.is_embedded():
        store = MemoryStore()
    else:
        import mongoengine

        store = MongoStore(mongoengine.get_db()["conversations"])
    return Engine(load_flows(FLOWS_DIR), store, sender, unit_of_work=models.serialised,
                  on_blocked=mark_blocked, services=Services(admin_ids=settings.admin_ids))


def housekeeping():
    """The shop's periodic jobs: checkouts a crash abandoned give their stock back."""
    from engine.periodic import Periodic

    def recover() -> None:
        with models.serialised():
            count = models.placing.recover_stale()
        if count:
            logger.warning("rolled back %d checkout(s) abandoned mid-way", count)
    return Periodic(recover, 60.0, "recover-checkouts")


def register_commands(bot, flows) -> None:
    """``setMyCommands`` in every language, so Telegram's menu button lists them."""
    from telebot import types

    for lang in flows.bot.languages:
        commands = [types.BotCommand(c.command, flows.catalog.text(c.description, lang, {},
                                                                    html=False))
                    for c in flows.bot.commands if c.description]
        bot.set_my_commands(commands, language_code=None if lang == flows.bot.default_language
                            else lang)
        if lang == flows.bot.default_language:
            bot.set_my_commands(commands, language_code=lang)


def run_polling(settings, *, demo: bool = False, workers: int = 4,
                broadcasts: bool = True) -> None:
    """Long polling against ``TELEGRAM_API_URL`` until SIGTERM or Ctrl-C.

    With ``broadcasts``, the broadcast worker runs beside it on threads of its own (its
    sends never wait for, nor hold up, shoppers' updates).
    """
    from engine.polling import Pending, Poller, counted
    from engine.telegram import (
        ALLOWED_UPDATES,
        EngineBot,
        OrderedWorkers,
        TelebotSender,
        attach,
        use_api_url,
    )

    use_api_url(settings.telegram_api_url)
    bot = EngineBot(settings.bot_token, threaded=False)
    engine = build_engine(settings, TelebotSender(bot, media_dir=settings.media_dir), demo=demo)
    pending = Pending()  # events handed to the workers and not finished yet
    pool = OrderedWorkers(counted(engine.handle, pending), n=workers)

    def submit(event) -> None:
        pending.add()
        pool.submit(event)
    attach(bot, submit)
    register_commands(bot, engine.flows)
    me = bot.get_me()
    logger.info("polling as @%s (flows %s, store %s)", me.username, engine.flows.version,
                type(engine.store).__name__)
    broadcaster = None
    chores = housekeeping().start()
    if broadcasts:
        from flows.broadcast import build_worker

        broadcaster = build_worker(settings).start()
    try:
        # an offset is confirmed only past processed updates; SIGTERM/Ctrl-C finish the
        # batch in hand and confirm it, so a restart loses nothing (engine/polling.py)
        Poller(bot, pending, timeout=20, allowed_updates=ALLOWED_UPDATES).run_until_signalled()
    finally:
        chores.stop()
        if broadcaster is not None:
            broadcaster.stop()
        pool.stop()
