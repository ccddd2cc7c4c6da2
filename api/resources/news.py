"""``/news``: news items (CRUD; reads are public).

Creating a news item saves it like any other creation does, so whatever the model
does on save (queueing its broadcast) happens for the API too; a failure of such a
side effect is logged and does not turn the 201 into a 500 (see :meth:`Store.save`).
"""

from __future__ import annotations

from mongoengine import Q

from api.resources.base import Store, search
from api.resources.crud import Creating, Deleting, Listing, Reading, Updating
from api.schemas import NewsQuery, NewsSchema
from models import News

__all__ = ["NewsItem", "NewsList", "NewsStore"]


class NewsStore(Store):
    document = News
    schema = NewsSchema
    query = NewsQuery
    noun = "news item"

    ranges = ("published",)

    def filters(self, query: dict) -> Q:
        condition = super().filters(query)
        if "q" in query:
            condition &= search(query["q"], "title")
        return condition


class NewsList(Listing, Creating):
    store = NewsStore()
    item_endpoint = "api_v1.news_item"
    tag = "news"


class NewsItem(Reading, Updating, Deleting):
    store = NewsList.store
    tag = "news"
