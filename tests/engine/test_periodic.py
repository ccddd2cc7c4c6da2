"""Housekeeping jobs run on their period and outlive a failing run."""

from __future__ import annotations

import threading

from engine.periodic import Periodic


def test_a_job_runs_on_its_period_and_outlives_a_failure(caplog):
    runs, twice = [], threading.Event()

    def job():
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the database blinked")
        twice.set()
    chores = Periodic(job, 0.01, "test-job").start()
    assert twice.wait(5)
    chores.stop()
    assert "test-job failed" in caplog.text


def test_the_shops_housekeeping_rolls_back_abandoned_checkouts(db, monkeypatch):
    import models
    from flows.shop import shop

    calls = []
    monkeypatch.setattr(models.placing, "recover_stale", lambda: calls.append(1) or 0)
    [chores] = shop.housekeeping()
    chores.seconds = 0.01
    chores.start()
    chores._stop.wait(0.2)
    chores.stop()
    assert calls
