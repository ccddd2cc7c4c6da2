"""News items (lesson 13): title, content, publication date."""

from __future__ import annotations

from mongoengine import DateTimeField, StringField

from models.base import TimestampedDocument, utcnow


class News(TimestampedDocument):
    """A news item; creating one (from anywhere) queues its broadcast to every user."""

    title = StringField(required=True, max_length=256)
    content = StringField(required=True, max_length=3500)
    published = DateTimeField(default=utcnow)
    image = StringField(max_length=512)

    meta = {"collection": "news", "indexes": ["-published"], "ordering": ["-published"]}

    def __str__(self) -> str:
        return self.title

    @classmethod
    def latest(cls, count: int = 5):
        """The newest ``count`` items, newest first."""
        return cls.objects.order_by("-published", "-id").limit(count)
