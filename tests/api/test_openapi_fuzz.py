"""Property-based run of the OpenAPI document (schemathesis) against the WSGI app.

Every operation gets a bounded number of generated requests, valid and invalid, sent
with a valid token; none may answer 5xx or anything the document does not declare.
The document is built without an app (it depends only on the code), so the tests are
generated at collection time; each runs against a fresh app and database.

Schemathesis' ``positive_data_acceptance`` check assumes that data valid by the schema
is always accepted; rules the schema cannot express (a referenced category must exist,
``min_price <= max_price``, no category cycles, a real email and phone) make such data
a 422. That check is replaced by :func:`check_semantic_rejections`, which allows a 422
of valid-looking data only for those rules.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app
from api.openapi import build_spec
from models import Broadcast, Product, User
from tests.api.conftest import TOKEN, make_order

# (an image must name a picture that exists; an upload must be a picture by its content)
SEMANTIC_FIELDS = {"category", "parent", "max_price", "email", "phone", "image", "file"}



class CurrentApp:
    """A WSGI app forwarding to the app of the running test (the schema outlives tests)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


current = CurrentApp()
# the token goes through schemathesis' own auth, so its negative cases (no token) stay so
config = SchemathesisConfig.from_dict({"auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}}})
schema = schemathesis.openapi.from_dict(build_spec(), config=config)
schema.app, schema.location = current, "/api/v1/openapi.json"  # as from_wsgi would set


@pytest.fixture
def fuzz_app(demo, media_dir):
    User.register(101, username="anna")
    make_order(101, [(Product.objects.first(), 1)])
    Broadcast.compose("<b>Sale</b>", author=101)
    current.app = create_app({"TESTING": False, "API_TOKENS": TOKEN,
                              "MEDIA_DIR": str(media_dir)})
    yield current.app
    current.app = None


def check_semantic_rejections(case, response) -> None:
    """Schema-valid data may be refused only for rules the schema cannot express."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 422:
        fields = {key.split(".")[0] for key in response.json().get("errors", {})}
        assert fields <= SEMANTIC_FIELDS, f"{case.as_curl_command()}\n{response.text}"
    else:
        assert response.status_code < 400 or response.status_code in (401, 403, 404, 409,
                                                                      412), response.text


@schema.parametrize()
@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.timeout(60)
def test_no_server_errors_and_no_spec_violations(case, fuzz_app):
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    check_semantic_rejections(case, response)
