"""News items (lesson 13): title, content, publication date."""

from __future__ import annotations

import contextlib
import logging

from bson import ObjectId
from mongoengine import BooleanField, DateTimeField, EmbeddedDocumentField, MapField, StringField

from models.base import TimestampedDocument, utcnow
from models.i18n import Translation

logger = logging.getLogger(__name__)


class News(TimestampedDocument):
    """A news item; creating one (from anywhere) queues its broadcast to every user."""

    title = StringField(required=True, max_length=256)
    content = StringField(required=True, max_length=3500)
    published = DateTimeField(default=utcnow)
    image = StringField(max_length=512)
    # other languages: Translation.name is the title, Translation.description the content
    translations = MapField(EmbeddedDocumentField(Translation))
    # created to be broadcast (save(broadcast=False) makes it False): a worker queues the
    # broadcast of such an item if queueing it on creation failed (Broadcast.queue_missed)
    announce = BooleanField(default=False)

    meta = {"collection": "news", "indexes": ["-published"], "ordering": ["-published"]}

    def __str__(self) -> str:
        return self.title

    def title_in(self, lang: str | None) -> str:
        translation = (self.translations or {}).get(lang) if lang else None
        return translation.name if translation and translation.name else self.title

    def content_in(self, lang: str | None) -> str:
        translation = (self.translations or {}).get(lang) if lang else None
        return translation.description if translation and translation.description else \
            self.content

    def save(self, *args, broadcast: bool = True, **kwargs):
        """Save; creating the item also queues its broadcast, once (``broadcast=False``: not).

        The broadcast is queued first, naming the item's id, so that no crash between the
        two writes can leave an item without its broadcast; if the item is not written,
        the broadcast is dropped (at once here, or by a worker after a minute). If queueing
        fails, the item is saved all the same (its broadcast failing must not lose it) and
        a worker queues the broadcast later. Only ``save()`` and ``News.objects.create()``
        do this: ``insert()``, ``update()`` and ``modify()`` do not create through here.
        """
        if not (broadcast and self._created):
            return super().save(*args, **kwargs)
        from models.broadcast import Broadcast

        if self.pk is None:
            self.pk = ObjectId()
        self.announce = True
        try:
            queued = Broadcast.for_news(self.pk)
        # broad on purpose: whatever went wrong, the item is saved; a worker queues it later
        except Exception:
            logger.exception("news %s: queueing its broadcast failed; a broadcast worker "
                             "will queue it", self.pk)
            queued = None
        try:
            return super().save(*args, **kwargs)
        except BaseException:
            if queued is not None:
                with contextlib.suppress(Exception):  # else a worker drops it after a minute
                    if not News.objects(pk=self.pk).only("id").first():
                        queued.delete()
            raise

    @classmethod
    def latest(cls, count: int = 5):
        """The newest ``count`` items, newest first."""
        return cls.objects.order_by("-published", "-id").limit(count)
