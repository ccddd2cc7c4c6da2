"""``/broadcasts``: broadcasts and their counters, read-only (operational data: a token is
needed).

Broadcasts are started by creating a news item (``POST /news``), by an admin in the bot
(``/broadcast``) or from the command line (``run_bot.py broadcast``); workers send them.
``POST``, ``PUT``, ``PATCH`` and ``DELETE`` are answered 405.
"""

from __future__ import annotations

from api.resources.base import Store
from api.resources.crud import Listing, Reading
from api.schemas import BroadcastQuery, BroadcastSchema
from models import Broadcast

__all__ = ["BroadcastItem", "BroadcastList", "BroadcastStore"]


class BroadcastStore(Store):
    document = Broadcast
    schema = BroadcastSchema
    query = BroadcastQuery
    noun = "broadcast"

    exact = ("status", "origin", "news", "author")
    ranges = ("created",)


class BroadcastList(Listing):
    store = BroadcastStore()
    private = True
    tag = "broadcasts"


class BroadcastItem(Reading):
    store = BroadcastList.store
    private = True
    tag = "broadcasts"
