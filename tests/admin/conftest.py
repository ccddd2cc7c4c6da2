"""Fixtures of the admin's tests: the API app (with its admin) on a fresh embedded
database, accounts of both roles, a logged-in client, the demo shop's orders."""

from __future__ import annotations

import re

import pytest

from api import create_app
from api.admin import StaffAccount
from tests.api.conftest import (  # noqa: F401 - fixtures (and `client`, named below)
    TOKEN,
    auth,
    catalog,
    demo,
    make_order,
    media_dir,
    shop,
)
from tests.api.conftest import client as client  # noqa: F401

PASSWORD = "correct horse battery"
ADMIN, STAFF = "boss@example.com", "clerk@example.com"


@pytest.fixture
def app(db, media_dir):  # noqa: F811
    """The API with its admin; CSRF is checked as in production."""
    return create_app({"TESTING": True, "API_TOKENS": [TOKEN], "MEDIA_DIR": str(media_dir)})


@pytest.fixture
def accounts(shop):  # noqa: F811
    """An admin and a staff account, in the demo shop (made after it: the demo fixture
    keeps a snapshot of the first database it loads into)."""
    return {"admin": StaffAccount.create(ADMIN, PASSWORD, role="admin"),
            "staff": StaffAccount.create(STAFF, PASSWORD, role="staff")}


def csrf_of(page: bytes | str) -> str:
    """The CSRF token a page carries in its forms."""
    text = page.decode() if isinstance(page, bytes) else page
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)


def log_in(client, email: str, password: str = PASSWORD):
    page = client.get("/admin/login/")
    return client.post("/admin/login/", data={"email": email, "password": password,
                                              "csrf_token": csrf_of(page.data)})


@pytest.fixture
def admin_client(app, accounts):
    client = app.test_client()
    assert log_in(client, ADMIN).status_code == 302
    return client


@pytest.fixture
def staff_client(app, accounts):
    client = app.test_client()
    assert log_in(client, STAFF).status_code == 302
    return client
