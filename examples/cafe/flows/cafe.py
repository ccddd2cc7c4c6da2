"""The cafe bot assembled: its flows, database, services and demo bookings, as the engine's
run modes take them (``examples/cafe/run.py``: ``engine.run.main(cafe)``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from engine import Engine, load_flows
from engine.run import Application, Settings, database
from engine.sender import Sender
from examples.cafe import models

FLOWS_DIR = Path(__file__).resolve().parent


def clock() -> datetime:
    """The cafe's local time: now, or ``CAFE_NOW`` (``2030-05-27T10:00``) when it is set, so
    that replays and demos see the same two weeks whenever they run."""
    pinned = os.environ.get("CAFE_NOW")
    return datetime.fromisoformat(pinned) if pinned else datetime.now()


@dataclass(frozen=True)
class Services:
    """What the cafe's actions get as ``ctx.services``."""

    now: Callable[[], datetime] = clock
    tables: int = models.TABLES  # per time slot


def load_settings() -> Settings:
    """The engine's settings from the environment (and ``.env``): ``BOT_TOKEN``,
    ``MONGO_URI`` (default: the embedded ``mongomock://localhost/cafe``), ..."""
    return Settings.from_env(mongo_uri="mongomock://localhost/cafe")


def open_database(uri: str) -> None:
    """Connect to ``uri`` (``mongomock://`` embedded, or ``mongodb://``) with the slots'
    indexes."""
    database.connect(uri, documents=models.DOCUMENTS, default_db="cafe")


def connect(config) -> None:
    open_database(config.mongo_uri)


def build_engine(config, sender: Sender, *, now: Callable[[], datetime] = clock) -> Engine:
    """The engine on the connected database: conversations in memory on the embedded store,
    in the ``conversations`` collection on a real server."""
    flows = load_flows(FLOWS_DIR)
    return Engine(flows, database.conversation_store(), sender,
                  unit_of_work=database.serialised,
                  services=Services(now=now))


def demo(now: datetime | None = None) -> None:
    """Other guests' bookings: tomorrow at 19:00 and 20:00 every table is taken, at 13:00
    one is left (``--console``, ``--demo``, and the replay fixture ``demo``)."""
    tomorrow = ((now or clock()) + timedelta(days=1)).date().isoformat()
    for time, taken in (("19:00", models.TABLES), ("20:00", models.TABLES), ("13:00", 2)):
        if models.Slot.objects(id=models.key(tomorrow, time)).count():
            continue  # loaded already
        for guest in range(taken):
            models.book(tomorrow, time, user=1_000_000 + guest, party=2, name="Demo",
                        phone="+79160000000")


def health() -> None:
    """Raises when the database cannot be read."""
    with database.serialised():
        models.Slot.objects.limit(1).first()


cafe = Application(
    flows_dir=FLOWS_DIR,
    connect=connect,
    build_engine=build_engine,
    load_demo=demo,
    health=health,
    unit_of_work=database.serialised,
    is_embedded=database.is_embedded,
    record_setup=("demo",),  # replay.py's fixture of the same bookings
    load_settings=load_settings,
)
