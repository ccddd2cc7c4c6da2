"""``run_bot.py broadcast`` (queue one, send it with a live progress bar) and ``worker``."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from bson import ObjectId
from bson.errors import InvalidId

import models
from constants import CAPTION_LIMIT, MESSAGE_LIMIT
from engine.media import MAX_BYTES, MediaDir, PictureRefused
from models import Broadcast, News
from models.text import esc

logger = logging.getLogger(__name__)

__all__ = ["broadcast", "worker"]

REFRESH = 0.5  # seconds between progress bar updates


def _worker(settings, args):
    from flows.broadcast import build_worker

    return build_worker(settings, threads=args.threads, lease=args.lease, timeout=args.timeout,
                        batch_size=args.batch_size)


def _queue(settings, args) -> Broadcast | str:
    """The broadcast the arguments ask for (queued if new), or what is wrong with them."""
    if args.news:
        try:
            news = News.objects(id=ObjectId(args.news)).first()
        except InvalidId:
            news = None
        if news is None:
            return f"no news item {args.news!r}"
        Broadcast.for_news(news.pk)  # None when it was queued before: then follow that one
        return Broadcast.objects.get(news=news.pk)
    message = (args.text or "").strip()
    if not message:
        return "give --text MESSAGE or --news ID"
    limit = CAPTION_LIMIT if args.photo else MESSAGE_LIMIT
    if len(message) > limit:
        return f"--text is {len(message)} characters; Telegram takes {limit}"
    photo = args.photo
    if photo:  # workers send pictures only from MEDIA_DIR: a file here is copied there
        media = MediaDir(settings.media_dir)
        try:
            if os.path.isfile(photo):
                with open(photo, "rb") as handle:
                    photo = media.save(handle.read(MAX_BYTES + 1))
            else:
                media.resolve(photo)
        except PictureRefused as err:
            return (f"--photo {args.photo!r}: {err.reason} (give a picture file, a name in "
                    "MEDIA_DIR, an http(s) URL or a file_id)")
    return Broadcast.compose(esc(message), photo=photo, origin="cli")


def broadcast(settings, args) -> int:
    """Queue a broadcast; unless ``--no-wait``, send it here, showing progress, then counts."""
    models.connect(settings.mongo_uri)
    sender = None
    if not args.no_wait:  # a worker that cannot be built queues nothing
        if not settings.bot_token:
            print("BOT_TOKEN is not set: cannot send (--no-wait only queues)", file=sys.stderr)
            return 2
        try:
            sender = _worker(settings, args)
        except ValueError as err:
            print(f"broadcast: {err}", file=sys.stderr)
            return 2
    queued = _queue(settings, args)
    if isinstance(queued, str):
        print(f"broadcast: {queued}", file=sys.stderr)
        return 2
    print(f"broadcast {queued.pk}: {queued.status}")
    if sender is None:
        if models.is_embedded():
            print("warning: MONGO_URI is the embedded store, which forgets everything when this "
                  "process exits: nothing will send it", file=sys.stderr)
        return 0
    sender.start()
    try:
        _follow(queued, sender)
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


def _follow(queued: Broadcast, sender) -> None:
    """A live progress bar until the broadcast ends (or the worker stops)."""
    from tqdm import tqdm

    with tqdm(total=0, unit="msg", desc="broadcast", dynamic_ncols=True) as bar:
        while True:
            with models.serialised():
                queued.reload()
            bar.total = max(queued.total, queued.processed)
            bar.n = queued.processed
            bar.set_postfix(sent=queued.sent, blocked=queued.blocked, failed=queued.failed,
                            doubt=queued.unknown, refresh=False)
            bar.refresh()
            if queued.finished is not None or sender.stopping:
                return
            time.sleep(REFRESH)


def worker(settings, args) -> int:
    """Send queued broadcasts until SIGTERM or Ctrl-C (beside the bot, or several of them)."""
    models.connect(settings.mongo_uri)
    if models.is_embedded():
        print("worker: MONGO_URI is the embedded store, private to this process: a separate "
              "worker would see nothing to send. Use a real MongoDB (or the bot's own worker "
              "thread: python run_bot.py).", file=sys.stderr)
        return 2
    try:
        sender = _worker(settings, args).start()
    except ValueError as err:
        print(f"worker: {err}", file=sys.stderr)
        return 2
    from flows.app import housekeeping

    chores = housekeeping().start()  # webhook deployments run their housekeeping here
    asked = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: asked.set())
    try:
        while not asked.wait(1.0) and not sender.stopping:
            pass
    except KeyboardInterrupt:
        pass
    sender.stop()
    chores.stop()
    return 1 if sender.error else 0
