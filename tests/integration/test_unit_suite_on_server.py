"""The models' unit tests again, this time on the real server.

They are imported here, so they run with this directory's ``db`` fixture (a fresh
database on ``MONGO_URI``) instead of the embedded store: whatever the unit suite proves
on mongomock is proven on a real server too, and a new unit test is covered here at once.
"""

from __future__ import annotations

import pytest

from tests.integration.server import skip_module_unless_configured
from tests.models.test_cart_and_orders import *  # noqa: F403
from tests.models.test_catalog import *  # noqa: F403
from tests.models.test_demo_and_news import *  # noqa: F403
from tests.models.test_placing import *  # noqa: F403
from tests.models.test_timestamps import *  # noqa: F403
from tests.models.test_users import *  # noqa: F403

skip_module_unless_configured()


@pytest.fixture
def db(real_db):
    """The unit tests' ``db``, on the real server."""
    return real_db
