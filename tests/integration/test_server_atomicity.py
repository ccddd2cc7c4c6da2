"""What the server itself guarantees: is one document's update atomic under contention?

MongoDB and FerretDB v2: always; every concurrency guarantee of the models rests on it.
FerretDB v1: no (an update is a read, then a blind write of the whole document), so the
suite refuses to run on it (docs/integration.md).
"""

from __future__ import annotations

import mongoengine

from tests.integration.processes import increment, run_together
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

COUNT = 300  # per process


def test_concurrent_increments_of_one_document_all_count(real_db_uri):
    mongoengine.get_db().atomicity.insert_one({"_id": 1, "n": 0})
    acknowledged = run_together(increment, *[(real_db_uri, "atomicity", COUNT)] * 2)
    total = mongoengine.get_db().atomicity.find_one({"_id": 1})["n"]
    assert sum(acknowledged) == 2 * COUNT
    lost = 2 * COUNT - total
    assert lost == 0, f"the server lost {lost} of {2 * COUNT} acknowledged $inc of one document"
