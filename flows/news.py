"""News (lesson 13): the latest five items, each formatted as its own message."""

from __future__ import annotations

from constants import text
from engine import Html, data_source
from models import News
from models.text import esc


def news_html(item: News, lang: str) -> str:
    """A news item as the bot shows it (HTML): in the news list and in its broadcast."""
    return text("news.item", lang, title=esc(item.title_in(lang)),
                date=item.published.strftime("%d.%m.%Y"), content=esc(item.content_in(lang)))


@data_source("news.latest")
def latest(ctx) -> list[dict]:
    return [{"id": str(item.pk), "html": Html(news_html(item, ctx.lang))}
            for item in News.latest(5)]
