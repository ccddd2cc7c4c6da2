"""The REST API's tests again, on the real server (the same pattern as the models' suite).

The fuzz test stays on the embedded store: it proves the API against its own OpenAPI
document, which does not depend on the database.
"""

from __future__ import annotations

import pytest

from tests.api.test_auth import *  # noqa: F403
from tests.api.test_broadcasts import *  # noqa: F403
from tests.api.test_categories import *  # noqa: F403
from tests.api.test_errors import *  # noqa: F403
from tests.api.test_etag import *  # noqa: F403
from tests.api.test_news import *  # noqa: F403
from tests.api.test_orders import *  # noqa: F403
from tests.api.test_products import *  # noqa: F403
from tests.api.test_users import *  # noqa: F403
from tests.api.test_validation import *  # noqa: F403
from tests.integration.server import skip_module_unless_configured

from tests.api.conftest import app, auth, catalog, client, demo, media_dir, shop  # noqa: E402,E501,F401,I001

skip_module_unless_configured()


@pytest.fixture
def db(real_db):
    """The API tests' ``db``, on the real server."""
    return real_db
