"""Fixtures for broadcasts: the fake Bot API server, users on both sides, a worker to run."""

from __future__ import annotations

import pytest

from engine.broadcast import BotApi, Worker
from faketelegram import FakeTelegram
from flows.broadcast import ShopQueue
from models import User

FAST = {"tick": 0.05, "poll": 0.05}  # housekeeping every 50 ms: tests do not wait for it


@pytest.fixture
def tg():
    with FakeTelegram() as fake:
        yield fake


def make_users(tg, ids, *, language: str = "ru", chat: bool = True) -> None:
    """Users in the database, each having started the bot in the fake server (a chat exists)."""
    User.objects.insert([User(telegram_id=i, first_name=f"U{i}", language=language)
                         for i in ids], load_bulk=False)
    if chat:
        for i in ids:
            tg.user(i, language_code=language).send("/start")


def bot_sends(tg, chat_id: int) -> list[dict]:
    """What the bot sent in a chat (sends only: no edits, no answers)."""
    return [e for e in tg.transcript(chat_id, actor="bot") if e["action"] == "send"]


def make_worker(tg, *, rate: float = 500, threads: int = 8, batch_size: int = 50,
                lease: float = 10.0, timeout: float = 0.5, **options) -> Worker:
    """A worker sending to the fake server, with housekeeping and retries made quick."""
    api = BotApi(tg.url, tg.token, timeout=(timeout, timeout))
    queue = ShopQueue(batch_size=batch_size, lease=lease, tick=FAST["tick"])
    options = {"backoff": (0.05, 0.2), **FAST, **options}
    return Worker(queue, api, rate=rate, threads=threads, lease=lease, **options)
