"""The cafe example's bookings on the real server: guests racing from several processes
never take more tables than a slot has, and a booking cancelled at once from several
processes frees its table exactly once (examples/cafe/models.py)."""

from __future__ import annotations

from examples.cafe import models
from examples.cafe.flows.cafe import open_database
from tests.integration.processes import START_TIMEOUT, run_together
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

DAY, TIME = "2030-05-28", "19:00"
GUESTS = 4  # processes


def take_table(barrier, uri: str, user: int, tables: int, attempts: int) -> int:
    """``attempts`` bookings of the slot by ``user``, all released at once; how many got a
    table."""
    open_database(uri)
    barrier.wait(timeout=START_TIMEOUT)
    won = 0
    for _ in range(attempts):
        try:
            models.book(DAY, TIME, user=user, party=2, name="Guest", phone="+79161234567",
                        tables=tables)
        except models.SlotTaken:
            continue
        won += 1
    return won


def cancel_booking(barrier, uri: str, booking_id: str, user: int) -> bool:
    open_database(uri)
    barrier.wait(timeout=START_TIMEOUT)
    return models.cancel(booking_id, user) is not None


def slot() -> models.Slot:
    return models.Slot.objects.get(id=models.key(DAY, TIME))


def test_racing_guests_never_take_more_tables_than_a_new_slot_has(real_db_uri):
    """Nobody booked the slot yet: the first bookings race to insert it (the upsert's
    duplicate key is retried as an update), and the slot fills to exactly its tables."""
    models.Slot.ensure_indexes()  # the fixture connected this database
    won = run_together(take_table, *[(real_db_uri, user, 5, 5) for user in range(GUESTS)])
    assert sum(won) == 5
    assert (slot().taken, len(slot().bookings)) == (5, 5)


def test_only_one_guest_gets_the_last_table(real_db_uri):
    models.Slot.ensure_indexes()  # the fixture connected this database
    for user in (100, 101):
        models.book(DAY, TIME, user=user, party=2, name="Early", phone="+79161234567", tables=3)
    won = run_together(take_table, *[(real_db_uri, user, 3, 3) for user in range(GUESTS)])
    assert sum(won) == 1
    assert (slot().taken, len(slot().bookings)) == (3, 3)


def test_a_booking_cancelled_from_several_processes_frees_its_table_once(real_db_uri):
    models.Slot.ensure_indexes()  # the fixture connected this database
    kept = models.book(DAY, TIME, user=1, party=2, name="Kept", phone="+79161234567")
    gone = models.book(DAY, TIME, user=2, party=4, name="Gone", phone="+79161234567")
    freed = run_together(cancel_booking, *[(real_db_uri, gone.id, 2)] * GUESTS)
    assert sum(freed) == 1
    assert slot().taken == 1
    assert [b.id for b in slot().bookings] == [kept.id]
