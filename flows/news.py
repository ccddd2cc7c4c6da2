"""News (lesson 13): the latest five items, each formatted as its own message."""

from __future__ import annotations

from constants import text
from engine import Html, data_source
from models import News
from models.text import esc


@data_source("news.latest")
def latest(ctx) -> list[dict]:
    return [{"id": str(item.pk), "html": Html(text(
        "news.item", ctx.lang, title=esc(item.title), date=item.published.strftime("%d.%m.%Y"),
        content=esc(item.content)))} for item in News.latest(5)]
