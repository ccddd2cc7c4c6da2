"""Who may open what: logged out every page leads to the login; staff may not manage
accounts; CSRF is checked on every admin form, never on the API; errors stay HTML in the
admin and JSON in the API."""

from __future__ import annotations

import pytest

from api.admin import StaffAccount
from tests.admin.conftest import ADMIN, PASSWORD, STAFF, csrf_of, log_in

PAGES = ["/admin/", "/admin/category/", "/admin/category/new/", "/admin/product/",
         "/admin/product/new/", "/admin/product/import/", "/admin/product/export.csv",
         "/admin/order/", "/admin/news/", "/admin/news/new/", "/admin/broadcast/",
         "/admin/shopper/", "/admin/account/", "/admin/account/new/"]
ACTIONS = ["/admin/order/transition/", "/admin/product/import/", "/admin/news/preview/",
           "/admin/broadcast/stop/", "/admin/category/delete/", "/admin/product/new/",
           "/admin/product/ajax/update/", "/admin/account/new/"]


@pytest.mark.parametrize("path", PAGES)
def test_logged_out_every_page_leads_to_the_login(app, accounts, path):
    answer = app.test_client().get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login/")


def test_logged_out_no_media_preview(app, accounts):
    assert app.test_client().get("/admin/media/classics-1.png").status_code == 401


@pytest.mark.parametrize("path", ACTIONS)
def test_logged_out_no_action_even_with_a_valid_token(app, accounts, path):
    client = app.test_client()
    token = csrf_of(client.get("/admin/login/").data)
    answer = client.post(path, data={"csrf_token": token, "id": "x"})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_for_an_admin(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_staff_are_refused_the_accounts_pages(staff_client, accounts):
    for path in ("/admin/account/", "/admin/account/new/",
                 f"/admin/account/edit/?id={accounts['admin'].pk}"):
        answer = staff_client.get(path)
        assert answer.status_code == 403
        assert answer.mimetype == "text/html"
    assert b"/admin/account/" not in staff_client.get("/admin/").data  # not in the menu
    assert staff_client.get("/admin/product/").status_code == 200


def test_staff_cannot_create_an_account_by_posting(staff_client):
    token = csrf_of(staff_client.get("/admin/").data)
    answer = staff_client.post("/admin/account/new/", data={
        "csrf_token": token, "email": "evil@example.com", "role": "admin",
        "password": "x" * 12, "active": "y"})
    assert answer.status_code == 403
    assert StaffAccount.objects(email="evil@example.com").first() is None


def test_wrong_password_and_switched_off_accounts_do_not_log_in(app, accounts):
    client = app.test_client()
    assert log_in(client, ADMIN, "wrong password").status_code == 200
    assert client.get("/admin/").status_code == 302
    StaffAccount.objects(email=STAFF).update_one(set__active=False)
    assert log_in(client, STAFF).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_password_is_stored_hashed(accounts):
    stored = StaffAccount.objects.get(email=ADMIN).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_a_new_password_ends_the_other_sessions(admin_client, accounts):
    account = StaffAccount.objects.get(email=ADMIN)
    account.set_password("another long password")
    account.save()
    assert admin_client.get("/admin/").status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(app, accounts):
    client = app.test_client()
    token = csrf_of(client.get("/admin/login/").data)
    data = {"email": ADMIN, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/admin/login/?next=/admin/order/", data=data)
    assert answer.headers["Location"] == "/admin/order/"
    client = app.test_client()
    token = csrf_of(client.get("/admin/login/").data)
    answer = client.post("/admin/login/?next=//evil.example/admin",
                         data={**data, "csrf_token": token})
    assert answer.headers["Location"] == "/admin/"


def test_logout_is_a_post_and_ends_the_session(admin_client):
    token = csrf_of(admin_client.get("/admin/").data)
    assert admin_client.post("/admin/logout/", data={"csrf_token": token}).status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_forms_without_the_csrf_token_are_refused(app, accounts, admin_client):
    assert app.test_client().post("/admin/login/", data={
        "email": ADMIN, "password": PASSWORD}).status_code == 400
    answer = admin_client.post("/admin/category/new/", data={"name": "Sneaky"})
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert b"Reload the page" in answer.data or "Обновите".encode() in answer.data
    from models import Category

    assert Category.objects(name="Sneaky").first() is None


def test_the_api_needs_no_csrf_token_and_keeps_its_json_errors(client, auth, accounts):
    created = client.post("/api/v1/categories", json={"name": "Via API"}, headers=auth)
    assert created.status_code == 201
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404
    assert client.get("/nothing-here").get_json()["code"] == 404


def test_admin_errors_are_html_pages(admin_client):
    missing = admin_client.get("/admin/no-such-page/")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert b'id="error-code">404' in missing.data


def test_the_language_is_chosen_in_the_page(admin_client):
    page = admin_client.get("/admin/", headers={"Accept-Language": "en"})
    assert b"What needs attention" in page.data
    token = csrf_of(page.data)
    admin_client.post("/admin/language/ru", data={"csrf_token": token, "next": "/admin/"})
    page = admin_client.get("/admin/", headers={"Accept-Language": "en"})
    assert "Что требует внимания".encode() in page.data
    assert "Сохранить".encode() in admin_client.get("/admin/category/new/").data


def test_without_a_secret_key_outside_tests_the_admin_is_off(db, media_dir):
    from api import create_app

    app = create_app({"API_TOKENS": "x", "MEDIA_DIR": str(media_dir)})
    client = app.test_client()
    assert client.get("/admin/").status_code == 503
    assert client.get("/api/v1/categories").status_code == 200
    keyed = create_app({"API_TOKENS": "x", "MEDIA_DIR": str(media_dir),
                        "ADMIN_SECRET_KEY": "k" * 40}).test_client()
    assert keyed.get("/admin/").status_code == 302
