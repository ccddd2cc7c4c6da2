"""News items."""

from __future__ import annotations

from marshmallow import validate

from api.schemas.base import BaseSchema, PageQuery, Search, Sort
from api.schemas.common import timestamp
from api.schemas.fields import DateBound, ObjectIdField, Picture, Text, UtcDateTime

__all__ = ["NewsQuery", "NewsSchema"]


class NewsSchema(BaseSchema):
    """A news item; ``published`` defaults to the time of creation."""

    id = ObjectIdField(dump_only=True)
    title = Text(required=True, validate=validate.Length(min=1, max=256))
    content = Text(required=True, validate=validate.Length(min=1, max=3500))
    published = UtcDateTime(metadata={"description": "Publication time (UTC); default: now."})
    image = Picture(allow_none=True, load_default=None)
    created = timestamp()
    modified = timestamp()


class NewsQuery(PageQuery):
    """Filters and sorting of ``GET /news``."""

    published_from = DateBound(metadata={"description": "Published at or after (date or "
                                                        "date-time)."})
    published_to = DateBound(end=True, metadata={"description": "Published at or before (a "
                                                                "bare date includes the day)."})
    q = Search(metadata={"description": "Text contained in the title (case-insensitive)."})
    sort = Sort({"published": "published", "title": "title", "created": "created",
                 "modified": "modified"}, default="-published")
