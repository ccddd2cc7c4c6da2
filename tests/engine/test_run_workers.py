"""The workers the polling bot runs beside it say which is which in the log."""

from __future__ import annotations

import logging

import settings
from engine.run.broadcasts import build_outbox_worker, build_worker


class Silent:
    """A transport that is never asked to send (nothing is queued)."""

    def send(self, chat_id, message):
        raise AssertionError("nothing was queued")

    def close(self) -> None:
        pass


def test_the_broadcast_and_outbox_workers_log_their_own_names(db, caplog):
    """The polling bot logged "broadcast worker started" twice: the news broadcasts' worker
    and the outbox's."""
    from flows.shop import shop

    loaded = settings.load({"BOT_TOKEN": "1:x"})
    caplog.set_level(logging.INFO, logger="engine.broadcast.worker")
    workers = [build_worker(shop, loaded, transport=Silent(), tick=0.05),
               build_outbox_worker(shop, loaded, transport=Silent(), tick=0.05)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.stop(timeout=5)
    lines = [record.getMessage() for record in caplog.records]
    assert [line.split(":")[0] for line in lines if "started" in line] == \
        ["broadcast worker started", "outbox worker started"]
    assert [line for line in lines if "stopped" in line] == \
        ["broadcast worker stopped", "outbox worker stopped"]
