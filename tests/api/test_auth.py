"""The authorisation matrix: who may do what, and 401 versus 403."""

import pytest

from api import create_app
from models import User
from tests.api.conftest import TOKEN

NEWS = {"title": "T", "content": "C"}

PUBLIC_READS = ["/api/v1/news", "/api/v1/categories", "/api/v1/categories/tree",
                "/api/v1/products", "/api/v1/openapi.json", "/api/v1/docs"]
PRIVATE_READS = ["/api/v1/users", "/api/v1/users/101", "/api/v1/users/101/orders",
                 "/api/v1/users/101/cart", "/api/v1/orders", "/api/v1/broadcasts"]
WRITES = [("post", "/api/v1/news", NEWS), ("post", "/api/v1/categories", {"name": "C"}),
          ("patch", "/api/v1/users/101", {"address": "A"}), ("delete", "/api/v1/users/101", None)]

CREDENTIALS = {
    "none": {},
    "wrong": {"Authorization": "Bearer not-the-token"},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    "empty bearer": {"Authorization": "Bearer "},
    "token without scheme": {"Authorization": TOKEN},
}


@pytest.fixture
def closed(db):
    """An app with no tokens configured."""
    return create_app({"TESTING": True, "API_TOKENS": ""}).test_client()


@pytest.fixture
def shop(db):
    """Just enough data: user 101 (named anna)."""
    User.register(101, username="anna")


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_need_no_token(client, closed, shop, path):
    for headers in CREDENTIALS.values():
        assert client.get(path, headers=headers).status_code == 200
        assert closed.get(path, headers=headers).status_code == 200


@pytest.mark.parametrize("path", PRIVATE_READS)
def test_personal_data_needs_a_valid_token(client, auth, shop, path):
    assert client.get(path, headers=auth).status_code == 200
    for credential, headers in CREDENTIALS.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 401, credential
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="tgshop"')
        assert response.get_json()["code"] == 401
        assert "anna" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, body", WRITES)
def test_writes_need_a_valid_token(client, auth, shop, method, path, body):
    for credential, headers in CREDENTIALS.items():
        response = getattr(client, method)(path, headers=headers, json=body)
        assert response.status_code == 401, credential
    assert getattr(client, method)(path, headers=auth, json=body).status_code in (200, 201, 204)


def test_a_wrong_token_is_named_invalid(client, shop):
    missing = client.get("/api/v1/users")
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="tgshop"'
    wrong = client.get("/api/v1/users", headers=CREDENTIALS["wrong"])
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="tgshop", error="invalid_token"'


@pytest.mark.parametrize("path", PRIVATE_READS)
def test_without_configured_tokens_personal_data_is_forbidden(closed, shop, auth, path):
    for headers in (auth, *CREDENTIALS.values()):
        response = closed.get(path, headers=headers)
        assert response.status_code == 403
        assert "WWW-Authenticate" not in response.headers
        assert "API_TOKENS" in response.get_json()["message"]


@pytest.mark.parametrize("method, path, body", WRITES)
def test_without_configured_tokens_writes_are_forbidden(closed, shop, auth, method, path, body):
    for headers in (auth, *CREDENTIALS.values()):
        assert getattr(closed, method)(path, headers=headers, json=body).status_code == 403


def test_auth_is_checked_before_anything_else(client, shop):
    # no token: 401 even for a missing item or an invalid body (nothing leaks)
    assert client.get("/api/v1/users/999").status_code == 401
    assert client.patch("/api/v1/products/6650c0ffee0000000000cafe",
                        data="{bad json").status_code == 401
    assert client.get("/api/v1/orders", query_string={"status": "lost"}).status_code == 401


def test_several_tokens_and_default_tokens_from_the_settings(db, monkeypatch):
    many = create_app({"API_TOKENS": "one, two ,,three"}).test_client()
    for token in ("one", "two", "three"):
        assert many.get("/api/v1/users", headers={
            "Authorization": f"bearer {token}"}).status_code == 200
    monkeypatch.setenv("API_TOKENS", "from-env")
    from_settings = create_app().test_client()
    assert from_settings.get("/api/v1/users", headers={
        "Authorization": "Bearer from-env"}).status_code == 200
    assert from_settings.get("/api/v1/users", headers={
        "Authorization": f"Bearer {TOKEN}"}).status_code == 401
