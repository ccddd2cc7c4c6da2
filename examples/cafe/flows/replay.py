"""The cafe's replay target: a fresh embedded database per script, the clock pinned to
``NOW`` (in-process, and in the bot process through ``CAFE_NOW``), fixtures, hooks, probes.

Scripts in ``examples/cafe/conversations/`` name it in their ``_replay.yaml``.
"""

from __future__ import annotations

import itertools
import os
import sys
from datetime import datetime, timedelta

from engine import Engine, MemoryStore, StubSender, load_flows
from engine.replay import Target
from engine.run import database
from examples.cafe import models
from examples.cafe.flows.cafe import FLOWS_DIR, Services, demo, open_database

NOW = datetime(2030, 5, 27, 10, 0)  # a Monday morning; the two weeks run to 9 June
ROOT = FLOWS_DIR.parents[2]
_databases = itertools.count()
_flows = []


def make_engine() -> Engine:
    """A fresh engine on a fresh embedded database (the flows are loaded once)."""
    open_database(f"mongomock://localhost/cafe_replay{next(_databases)}")
    if not _flows:
        _flows.append(load_flows(FLOWS_DIR))
    return Engine(_flows[0], MemoryStore(), StubSender(), unit_of_work=database.serialised,
                  services=Services(now=lambda: NOW))


def booking(user: int, day: str, time: str, party: int = 2, name: str = "Анна",
            phone: str = "+79161234567") -> None:
    """A booking made earlier (by ``user``, or by another guest)."""
    models.book(day, time, user=user, party=party, name=name, phone=phone)


def bookings(user: int, count: int, time: str = "18:00") -> None:
    """``user`` booked ``time`` on each of the ``count`` days from tomorrow on."""
    for n in range(1, count + 1):
        booking(user, (NOW + timedelta(days=n)).date().isoformat(), time)


def book_out(day: str, time: str | None = None) -> None:
    """Other guests take every table still free at ``day`` ``time`` (every time of the day
    when no time is given)."""
    for each in [time] if time else models.TIMES:
        slot = models.Slot.objects(id=models.key(day, each)).first()
        for guest in range(models.TABLES - (slot.taken if slot else 0)):
            models.book(day, each, user=2_000_000 + guest, party=2, name="Other",
                        phone="+79160000001")


def cancel_all(user: int) -> None:
    """``user`` cancels every booking from another chat (a second device)."""
    for booked in models.bookings_of(user, "0000"):
        models.cancel(booked.id, user)


def bookings_probe(user_id: int) -> list:
    """The user's bookings: ``[day, time, party, name, phone]``, soonest first."""
    return [[b.day, b.time, b.party, b.name, b.phone] for b in models.bookings_of(user_id, "0000")]


def tables_probe(user_id: int) -> dict:
    """Tables taken per slot (``2030-05-28T19:00: 3``); compare on the slots you name."""
    return {slot.id: slot.taken for slot in models.Slot.objects.only("id", "taken")}


target = Target(
    make_engine=make_engine,
    fixtures={"demo": lambda: demo(NOW), "booking": booking, "bookings": bookings},
    hooks={"book_out": book_out, "cancel_all": cancel_all, "booking": booking},
    probes={"bookings": bookings_probe, "tables": tables_probe},
    bot_command=[sys.executable, str(ROOT / "examples" / "cafe" / "run.py"),
                 "--log-level", "WARNING"],
    bot_env={"CAFE_NOW": NOW.isoformat(timespec="minutes"),
             "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    connect=open_database,
    load_flows=lambda: load_flows(FLOWS_DIR),
)
