"""The shop's broadcasts: news rendered as the bot shows it, the queue workers send from,
and the broadcast ``run_bot.py broadcast`` asks for.

``engine.broadcast`` sends (generic: limits, retries, threads); ``models.broadcast`` and
``models.broadcast_batches`` keep what is sent to whom (durable, claimed atomically); this
module joins them (:class:`ShopQueue`, the queue of the workers that ``run_bot.py worker``,
the polling process and ``run_bot.py broadcast`` run: ``engine.run.build_worker``).
"""

from __future__ import annotations

import html
import logging
import os
import re
import socket
import time
import uuid
from datetime import timedelta

from bson import ObjectId
from bson.errors import InvalidId

from constants import CAPTION_LIMIT, LANGUAGES, MESSAGE_LIMIT
from engine.broadcast import Message
from engine.media import MAX_BYTES, MediaDir, PictureRefused
from models import Broadcast, BroadcastWorker, News
from models.broadcast_batches import Claim, claim, expand, finish
from models.db import serialised
from models.text import esc

logger = logging.getLogger(__name__)

__all__ = ["ShopBatch", "ShopQueue", "compose", "render_news"]

NEWS_GRACE = timedelta(minutes=1)  # a news broadcast whose item is not written by then is dropped
SWEEP_EVERY = 30.0  # seconds between looks for news items whose broadcast was never queued
_TAG = re.compile(r"<[^>]+>")


def render_news(news: News) -> tuple[dict[str, str], str | None]:
    """A news item's broadcast: its text per language as the news screen shows it, and its
    picture when every text fits a caption (else the text alone)."""
    from flows.news import news_html

    texts = {lang: news_html(news, lang) for lang in LANGUAGES}
    fits = all(len(html.unescape(_TAG.sub("", t)).strip()) <= CAPTION_LIMIT
               for t in texts.values())
    return texts, news.image if news.image and fits else None


class ShopBatch:
    """A claimed batch of the shop's broadcast, as the engine's worker sees it."""

    def __init__(self, held: Claim, broadcast: Broadcast, queue: ShopQueue) -> None:
        self.claim = held
        self.key = held.key
        self.broadcast = broadcast
        self.queue = queue
        self._messages: dict[str | None, Message] = {}

    def recipients(self) -> list[int]:
        return list(self.claim.pending)

    def message(self, chat_id: int) -> Message:
        language = self.claim.languages.get(chat_id)
        if language not in self._messages:
            self._messages[language] = Message(self.broadcast.text_for(language),
                                               self.broadcast.photo or None,
                                               self.broadcast.parse_mode or None)
        return self._messages[language]

    def begin(self, chat_id: int) -> bool:
        return self.claim.begin(chat_id)

    def finish(self, chat_id: int, outcome: str, description: str = "",
               message_id: int | None = None) -> bool:
        return self.claim.finish(chat_id, outcome, description)

    def retry(self, chat_id: int) -> bool:
        return self.claim.retry(chat_id)

    def keep_alive(self) -> bool:
        return self.claim.keep_alive()

    def cancelled(self) -> bool:
        return self.broadcast.pk in self.queue.cancelled

    def close(self, complete: bool) -> None:
        self.claim.close(complete)


class ShopQueue:
    """The engine's :class:`~engine.broadcast.Queue` over the shop's broadcast documents."""

    def __init__(self, worker: str | None = None, *, batch_size: int = 100,
                 lease: float = 60.0, tick: float = 2.0) -> None:
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.lease = lease
        self.tick_interval = tick
        self.cancelled: set[ObjectId] = set()
        self._broadcasts: dict[ObjectId, Broadcast] = {}
        self._swept = 0.0

    def tick(self) -> int:
        """Heartbeat; queue missed news broadcasts, render news broadcasts; end broadcasts
        whose work is over."""
        live = BroadcastWorker.beat(self.worker, self.tick_interval)
        if time.monotonic() - self._swept >= SWEEP_EVERY:
            self._swept = time.monotonic()
            Broadcast.queue_missed()
        unfinished = Broadcast.unfinished()
        for gone in set(self._broadcasts) - {b.pk for b in unfinished}:
            self._broadcasts.pop(gone, None)  # ended: its batches are no longer claimed
        for broadcast in unfinished:
            if broadcast.status == "cancelled":
                self.cancelled.add(broadcast.pk)
                finish(broadcast)
            elif not broadcast.ready:
                self._prepare(broadcast)
            elif broadcast.status == "running":
                finish(broadcast)
        return live

    def _prepare(self, broadcast: Broadcast) -> None:
        """Render a news broadcast once its item is there; drop it if the item never comes."""
        if not broadcast.news:
            return  # composed broadcasts are ready from the start
        with serialised():
            news = News.objects(id=broadcast.news).first()
        if news is not None:
            texts, photo = render_news(news)
            if broadcast.make_ready(texts, photo):
                logger.info("broadcast %s: news %s rendered", broadcast.pk, news.pk)
        elif broadcast.is_stale_news(NEWS_GRACE):
            broadcast.cancel(note="nothing to send: the news item was never saved")
            logger.warning("broadcast %s dropped: %s", broadcast.pk, broadcast.note)

    def expand(self, stopping) -> bool:
        """Split the oldest broadcast whose recipients are not all in batches yet."""
        for broadcast in Broadcast.unfinished():
            if broadcast.is_active and broadcast.ready and not broadcast.expanded:
                return expand(broadcast.pk, self.worker, size=self.batch_size,
                              lease=self.lease, stopping=stopping)
        return False

    def claim(self) -> ShopBatch | None:
        for broadcast in Broadcast.sending():
            held = claim(broadcast.pk, self.worker, self.lease)
            if held is not None:
                return ShopBatch(held, self._broadcast(broadcast.pk), self)
        return None

    def _broadcast(self, broadcast_id: ObjectId) -> Broadcast:
        if broadcast_id not in self._broadcasts:  # its texts never change once sending
            with serialised():
                self._broadcasts[broadcast_id] = Broadcast.objects.get(id=broadcast_id)
        return self._broadcasts[broadcast_id]

    def pending(self) -> bool:
        return bool(Broadcast.unfinished(limit=1))

    def close(self) -> None:
        BroadcastWorker.leave(self.worker)


def compose(settings, *, text: str | None = None, photo: str | None = None,
            news: str | None = None) -> Broadcast | str:
    """The broadcast ``run_bot.py broadcast`` asks for (queued if new), or what is wrong with
    its arguments: news item ``news``, or plain ``text`` with an optional ``photo``."""
    if news:
        try:
            item = News.objects(id=ObjectId(news)).first()
        except InvalidId:
            item = None
        if item is None:
            return f"no news item {news!r}"
        Broadcast.for_news(item.pk)  # None when it was queued before: then follow that one
        return Broadcast.objects.get(news=item.pk)
    message = (text or "").strip()
    if not message:
        return "give --text MESSAGE or --news ID"
    limit = CAPTION_LIMIT if photo else MESSAGE_LIMIT
    if len(message) > limit:
        return f"--text is {len(message)} characters; Telegram takes {limit}"
    picture = photo
    if picture:  # workers send pictures only from MEDIA_DIR: a file here is copied there
        media = MediaDir(settings.media_dir)
        try:
            if os.path.isfile(picture):
                with open(picture, "rb") as handle:
                    picture = media.save(handle.read(MAX_BYTES + 1))
            else:
                media.resolve(picture)
        except PictureRefused as err:
            return (f"--photo {photo!r}: {err.reason} (give a picture file, a name in "
                    "MEDIA_DIR, an http(s) URL or a file_id)")
    return Broadcast.compose(esc(message), photo=picture, origin="cli")
