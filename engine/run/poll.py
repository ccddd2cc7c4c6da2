"""``run_bot.py``: long polling, the updates handled by ordered workers, with the
application's housekeeping and (unless asked not to) a broadcast worker beside it."""

from __future__ import annotations

import logging
from typing import Any

from engine.run.application import WORKERS, Application

logger = logging.getLogger(__name__)


def run_polling(app: Application, settings: Any, *, demo: bool = False,
                workers: int | None = None, broadcasts: bool = True) -> None:
    """Long polling against ``TELEGRAM_API_URL`` until SIGTERM or Ctrl-C.

    A user's updates are handled in order, different users' in parallel on ``workers``
    threads (default: the settings' ``workers``, ``BOT_WORKERS``, else 4). With
    ``broadcasts`` (and an application that has a broadcast queue), the broadcast worker
    runs beside it on threads of its own (its sends never wait for, nor hold up, users'
    updates).
    """
    from engine.polling import Aside, Pending, Poller, counted
    from engine.run.commands import register_commands
    from engine.telegram import (
        ALLOWED_UPDATES,
        EngineBot,
        OrderedWorkers,
        TelebotReplier,
        TelebotSender,
        attach,
        use_api_url,
    )

    use_api_url(settings.telegram_api_url)
    bot = EngineBot(settings.bot_token, threaded=False)
    sender = TelebotSender(bot, media_dir=settings.media_dir)
    pending = Pending()  # events handed to the workers and not finished yet
    poller = Poller(bot, pending, timeout=20, allowed_updates=ALLOWED_UPDATES)
    # from here SIGTERM is a clean stop: one during start-up (systemd stopping a unit that
    # is starting) makes the poller return at once, and what was started is stopped
    with poller.signals():
        engine = app.start(settings, sender, demo=demo)
        # Telegram serves one poller at a time: this process alone serves the bot's updates, so
        # its store owns the conversations it saves (one round trip per update, docs/scaling.md)
        engine.store.own()
        if workers is None:
            workers = getattr(settings, "workers", WORKERS)
        pool = OrderedWorkers(counted(engine.handle, pending), n=workers)

        def submit(event) -> None:
            pending.add()
            pool.submit(event)
        sides = app.side_handlers(settings, TelebotReplier(sender)) if app.side_handlers else []
        pays = app.payments(settings) if app.payments else None
        # pre-checkout queries are answered in the poller's thread, first in their batch and
        # while a batch is still processed (engine/polling.py); successful payments and the side
        # handlers, which may call Telegram or retry, run aside, never ahead of a query's answer
        aside = Aside(pending)
        attach(bot, submit, sides, pays=pays, answerer=sender, aside=aside)
        register_commands(bot, engine.flowset)
        me = bot.get_me()
        logger.info("polling as @%s (flows %s, store %s, %d workers)", me.username,
                    engine.flowset.version, type(engine.store).__name__, workers)
        broadcaster = None
        chores = [job.start() for job in app.housekeeping()]
        if broadcasts and app.broadcast_queue is not None:
            from engine.run.broadcasts import build_worker

            broadcaster = build_worker(app, settings).start()
        outbox = None
        if app.outbox_queue is not None:
            from engine.run.broadcasts import build_outbox_worker

            outbox = build_outbox_worker(app, settings).start()
        try:
            # an offset is confirmed only past processed updates; SIGTERM/Ctrl-C finish the
            # batch in hand and confirm it, so a restart loses nothing (engine/polling.py)
            poller.run_until_signalled()
        finally:
            for job in chores:
                job.stop()
            for sending in (broadcaster, outbox):
                if sending is not None:
                    sending.stop()
            aside.stop()
            pool.stop()
            engine.store.close()  # after the last update: another process may serve them at once
