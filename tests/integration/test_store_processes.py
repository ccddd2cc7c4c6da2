"""The conversation store's lease and compare-and-set under contention from processes.

Two processes x four threads update the same users' conversations through the real engine;
every update's effect (a counter in the conversation's data) must be there at the end:
none lost to a concurrent writer, none applied twice.
"""

from __future__ import annotations

import mongoengine

from tests.integration.processes import engine_updates, run_together

USERS = [501, 502]
PER_USER = 30
THREADS = 4


def test_no_update_is_lost_or_doubled_across_processes(real_db_uri):
    done = run_together(engine_updates, (real_db_uri, USERS, PER_USER, THREADS, 0),
                        (real_db_uri, USERS, PER_USER, THREADS, 10**6), timeout=180)
    assert sum(done) == 2 * THREADS * PER_USER * len(USERS)
    conversations = mongoengine.get_db()["conversations"]
    for user_id in USERS:
        doc = conversations.find_one({"_id": user_id})
        assert doc["data"]["greeted"] == 2 * THREADS * PER_USER, doc["data"]
        assert doc["v"] == 2 * THREADS * PER_USER, "one compare-and-set write per update"
        assert doc["lease"] is None
