"""``run_bot.py broadcast`` (queue one, send it with a live progress bar) and ``worker``,
and the broadcast worker the polling bot runs beside it."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any

from engine.broadcast import BotApi, Transport, Worker
from engine.run.application import Application, Tracked

logger = logging.getLogger(__name__)

__all__ = ["broadcast", "build_outbox_worker", "build_worker", "worker"]

REFRESH = 0.5  # seconds between progress bar updates
# notifications are few and each is awaited by someone: a small share of Telegram's ~30/s,
# claimed promptly (the broadcast's BROADCAST_RATE is for the bulk)
OUTBOX_RATE = 5.0
OUTBOX_POLL = 0.5


def build_worker(app: Application, settings: Any, *, transport: Transport | None = None,
                 threads: int = 8, lease: float = 60.0, batch_size: int = 100,
                 timeout: float = 20.0, tick: float = 2.0, **options) -> Worker:
    """The broadcast worker for ``settings`` (BOT_TOKEN, TELEGRAM_API_URL, BROADCAST_RATE)
    sending from ``app``'s broadcast queue.

    A send can take ``timeout`` seconds (and as long again, up to 5, to connect); a claim
    is renewed every ``lease / 3``, so the lease must leave room for one send in between.
    """
    if app.broadcast_queue is None:
        raise ValueError("this bot has no broadcasts")
    connect = min(5.0, timeout)
    if connect + timeout > lease * 2 / 3:
        raise ValueError(f"lease {lease}s is too short for sends of up to {connect + timeout}s:"
                         f" give at least {1.5 * (connect + timeout):.0f}s")
    if transport is None:
        if not settings.bot_token:
            raise ValueError("BOT_TOKEN is not set: the broadcast worker needs it")
        transport = BotApi(settings.telegram_api_url, settings.bot_token,
                           timeout=(connect, timeout), media_dir=settings.media_dir)
    queue = app.broadcast_queue(batch_size=batch_size, lease=lease, tick=tick)
    return Worker(queue, transport, rate=settings.broadcast_rate, threads=threads, lease=lease,
                  tick=tick, **options)


def build_outbox_worker(app: Application, settings: Any, *, transport: Transport | None = None,
                        threads: int = 2, lease: float = 60.0, timeout: float = 20.0,
                        tick: float = 2.0, rate: float = OUTBOX_RATE, **options) -> Worker:
    """The worker sending ``app``'s outbox (notifications) with the broadcast worker's
    guarantees: pacing, 429/403 handling, claims with leases, in-doubt sends recorded."""
    if app.outbox_queue is None:
        raise ValueError("this bot has no outbox")
    if transport is None:
        if not settings.bot_token:
            raise ValueError("BOT_TOKEN is not set: the outbox worker needs it")
        transport = BotApi(settings.telegram_api_url, settings.bot_token,
                           timeout=(min(5.0, timeout), timeout), media_dir=settings.media_dir)
    options.setdefault("poll", OUTBOX_POLL)
    options.setdefault("name", "outbox")  # beside the broadcast worker: its log lines differ
    return Worker(app.outbox_queue(lease=lease, tick=tick), transport, rate=rate,
                  threads=threads, lease=lease, tick=tick, **options)


def _worker(app: Application, settings: Any, args) -> Worker:
    return build_worker(app, settings, threads=args.threads, lease=args.lease,
                        timeout=args.timeout, batch_size=args.batch_size)


def broadcast(app: Application, settings: Any, args) -> int:
    """Queue a broadcast; unless ``--no-wait``, send it here, showing progress, then counts."""
    if app.compose_broadcast is None:
        print("broadcast: this bot has no broadcasts", file=sys.stderr)
        return 2
    app.connect(settings)
    sender = None
    if not args.no_wait:  # a worker that cannot be built queues nothing
        if not settings.bot_token:
            print("BOT_TOKEN is not set: cannot send (--no-wait only queues)", file=sys.stderr)
            return 2
        try:
            sender = _worker(app, settings, args)
        except ValueError as err:
            print(f"broadcast: {err}", file=sys.stderr)
            return 2
    queued = app.compose_broadcast(settings, text=args.text, photo=args.photo, news=args.news)
    if isinstance(queued, str):
        print(f"broadcast: {queued}", file=sys.stderr)
        return 2
    print(f"broadcast {queued.pk}: {queued.status}")
    if sender is None:
        if app.is_embedded():
            print("warning: MONGO_URI is the embedded store, which forgets everything when this "
                  "process exits: nothing will send it", file=sys.stderr)
        return 0
    sender.start()
    try:
        _follow(app, queued, sender)
    except KeyboardInterrupt:
        print("\ninterrupted: the broadcast stays queued; a worker carries on where this "
              "stopped", file=sys.stderr)
        return 130
    finally:
        sender.stop()
    queued.reload()
    counts = queued.counts()
    print(f"broadcast {queued.pk} {queued.status}: sent {counts['sent']}, blocked "
          f"{counts['blocked']}, failed {counts['failed']}, in doubt {counts['unknown']}, "
          f"not sent {counts['pending']} (of {counts['total']} recipients)")
    if sender.error:
        print(f"the worker stopped: {sender.error}", file=sys.stderr)
        return 1
    return 0 if queued.status == "done" else 1


def _follow(app: Application, queued: Tracked, sender: Worker) -> None:
    """A live progress bar until the broadcast ends (or the worker stops)."""
    from tqdm import tqdm

    with tqdm(total=0, unit="msg", desc="broadcast", dynamic_ncols=True) as bar:
        while True:
            with app.unit_of_work():
                queued.reload()
            bar.total = max(queued.total, queued.processed)
            bar.n = queued.processed
            bar.set_postfix(sent=queued.sent, blocked=queued.blocked, failed=queued.failed,
                            doubt=queued.unknown, refresh=False)
            bar.refresh()
            if queued.finished is not None or sender.stopping:
                return
            time.sleep(REFRESH)


def worker(app: Application, settings: Any, args) -> int:
    """Send queued broadcasts and the outbox's notifications until SIGTERM or Ctrl-C (beside
    the bot, or several of them), and run the application's housekeeping (webhook
    deployments have no polling bot to)."""
    if app.broadcast_queue is None:
        print("worker: this bot has no broadcasts", file=sys.stderr)
        return 2
    app.connect(settings)
    if app.is_embedded():
        print("worker: MONGO_URI is the embedded store, private to this process: a separate "
              "worker would see nothing to send. Use a real MongoDB (or the bot's own worker "
              "thread: python run_bot.py).", file=sys.stderr)
        return 2
    try:
        sender = _worker(app, settings, args).start()
    except ValueError as err:
        print(f"worker: {err}", file=sys.stderr)
        return 2
    chores = [job.start() for job in app.housekeeping()]
    outbox = build_outbox_worker(app, settings).start() if app.outbox_queue else None
    asked = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: asked.set())
    try:
        while not asked.wait(1.0) and not sender.stopping:
            pass
    except KeyboardInterrupt:
        pass
    sender.stop()
    if outbox is not None:
        outbox.stop()
    for job in chores:
        job.stop()
    return 1 if sender.error else 0
