"""What a hostile or careless user tries: amounts no shop has, formulas in a CSV, a new
picture the bot would not show, a crafted ``next``, large uploads, guessing passwords,
the session cookie's flags."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from api import create_app
from api.admin import StaffAccount
from api.admin.products_csv import export_products, import_products
from api.admin.throttle import LoginFailures
from models import Category, Product, utcnow
from tests.admin.conftest import ADMIN, PASSWORD, STAFF, csrf_of, log_in
from tests.admin.test_pages import post


def _new_product(client, values: dict | None = None, **kwargs):
    books = Category.objects.get(slug="books")
    data = {"name": "Probe", "category": str(books.pk), "price": "1", "stock": "1",
            "discount": "0", "position": "0", **(values or {})}
    return post(client, "/admin/product/new/", data, page="/admin/product/new/", **kwargs)


@pytest.mark.parametrize(("typed", "kopecks"), [("10,50", 1050), ("1 990", 199000),
                                                ("1e3", 100000), ("-0", 0), (",5", 50)])
def test_prices_typed_as_people_type_them(admin_client, accounts, typed, kopecks):
    answer = _new_product(admin_client, {"name": f"P{typed}", "price": typed})
    assert answer.status_code == 302, answer.data[-3000:]
    assert Product.objects.get(name=f"P{typed}").price == kopecks


@pytest.mark.parametrize("typed", ["10.005", "NaN", "-1", "Infinity", "1e30",
                                   "12345678901234567890", "abc"])
def test_amounts_no_shop_has_are_refused_with_a_message(admin_client, accounts, typed):
    answer = _new_product(admin_client, {"name": f"P{typed}", "price": typed},
                          headers={"Accept-Language": "en"})
    assert answer.status_code == 200  # the form again, not a 500
    assert b"is not an amount of roubles" in answer.data
    assert not Product.objects(name=f"P{typed}").first()


def test_stock_past_what_the_database_holds_is_refused(admin_client, accounts):
    answer = _new_product(admin_client, {"stock": "99999999999999999999"})
    assert answer.status_code == 200 and not Product.objects(name="Probe").first()
    product = Product.objects.first()
    for field, value in (("price", "1e30"), ("price", "12345678901234567890"),
                         ("stock", "99999999999999999999")):
        answer = post(admin_client, "/admin/product/ajax/update/",
                      {"list_form_pk": str(product.pk), field: value}, page="/admin/product/")
        assert answer.status_code == 500  # x-editable's way of saying "refused"
        assert b"MongoDB" not in answer.data and b"<html" not in answer.data
    answer = post(admin_client, "/admin/product/ajax/update/",
                  {"list_form_pk": str(product.pk), "price": "10,5"}, page="/admin/product/")
    assert answer.status_code == 200 and Product.objects.get(pk=product.pk).price == 1050


def test_csv_amounts_no_shop_has_are_rejected_rows(accounts):
    report = import_products("name,category,price,stock\nA,classics,1e30,1\n"
                             "B,classics,1,99999999999999999999\nC,classics,10,1\n")
    assert [row.line for row in report.rejected] == [2, 3]
    assert not Product.objects(name__in=["A", "B", "C"]).first()


def test_csv_export_never_hands_a_spreadsheet_a_formula(accounts):
    product = Product.objects.get(sku="classics-1")
    product.name = '=HYPERLINK("http://evil.example","click")'
    product.description = "+1+cmd|' /C calc'!A0"
    product.save()
    text = export_products()
    line = next(line for line in text.splitlines() if "classics-1" in line)
    assert "'=HYPERLINK" in line and "'+1+cmd" in line
    for cell in line.split(","):
        assert not cell.lstrip('"').startswith(("=", "+", "-", "@"))
    before = Product.objects.get(pk=product.pk).name
    assert import_products(text).ok
    assert Product.objects.get(pk=product.pk).name == before  # the apostrophe taken off


def test_a_new_picture_forgets_telegrams_copy_of_the_old_one(admin_client, accounts,
                                                             media_dir):
    product = Product.objects.get(sku="classics-1")
    Product.objects(pk=product.pk).update_one(set__image_file_id="AgAD-old-picture")
    picture = (media_dir / "classics-2.png").read_bytes()
    page = f"/admin/product/edit/?id={product.pk}"
    answer = post(admin_client, page, {
        "name": product.name, "category": str(product.category.pk), "price": "1",
        "stock": "1", "discount": "0", "position": "0",
        "picture": (io.BytesIO(picture), "new.png")}, page=page,
        content_type="multipart/form-data")
    assert answer.status_code == 302
    product.reload()
    assert product.image != "classics-1.png" and product.image_file_id is None
    # the same by CSV
    Product.objects(pk=product.pk).update_one(set__image_file_id="AgAD-old-picture")
    assert import_products("sku,name,category,price,image\n"
                           "classics-1,X,classics,1,classics-3.png\n").ok
    assert Product.objects.get(pk=product.pk).image_file_id is None
    # an edit that keeps the picture keeps Telegram's copy
    assert import_products("sku,name,category,price,image\n"
                           "classics-1,Y,classics,1,classics-3.png\n").ok
    Product.objects(pk=product.pk).update_one(set__image_file_id="AgAD-kept")
    assert import_products("sku,name,category,price\nclassics-1,Z,classics,2\n").ok
    assert Product.objects.get(pk=product.pk).image_file_id == "AgAD-kept"


@pytest.mark.parametrize("target", ["/admin/%0d%0aSet-Cookie:%20x=1", "/admin\\\\evil.example",
                                    "http://evil.example/admin", "///evil.example"])
def test_a_crafted_next_goes_home(app, accounts, target):
    client = app.test_client()
    token = csrf_of(client.get("/admin/login/").data)
    answer = client.post(f"/admin/login/?next={target}",
                         data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"


def _large_post(client, path: str, fields: dict, page: str, **kwargs):
    """A multipart POST built here: the test client would spool a large body into a
    temporary file it never closes (a ResourceWarning in the next test)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    token = csrf_of(client.get(page).data)
    values = {name: FileStorage(*value) if isinstance(value, tuple) else value
              for name, value in fields.items()}
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, **values}))
    return client.post(path, data=body, content_type=f"multipart/form-data; "
                       f"boundary={boundary}", **kwargs)


def test_a_picture_of_a_few_megabytes_uploads(admin_client, accounts, media_dir):
    picture = (media_dir / "classics-1.png").read_bytes() + b"\0" * (3 * 1024 * 1024)
    books = Category.objects.get(slug="books")
    answer = _large_post(admin_client, "/admin/product/new/", {
        "name": "Big picture", "category": str(books.pk), "price": "1", "stock": "1",
        "discount": "0", "position": "0", "picture": (io.BytesIO(picture), "photo.png")},
        page="/admin/product/new/")
    assert answer.status_code == 302
    assert (media_dir / Product.objects.get(name="Big picture").image).stat().st_size == \
        len(picture)


def test_a_csv_file_of_two_megabytes_is_read(admin_client, accounts):
    rows = "".join(f"bulk-{n},Bulk {n},classics,1,1\n" for n in range(40_000))
    data = ("sku,name,category,price,stock\n" + rows).encode()
    assert len(data) > 1024 * 1024
    answer = _large_post(admin_client, "/admin/product/import/",
                         {"file": (io.BytesIO(data), "big.csv")}, page="/admin/product/import/",
                         headers={"Accept-Language": "en"})
    assert answer.status_code == 200  # read, and refused for its rows (over MAX_ROWS)
    assert b"rows: split the file" in answer.data


# -- guessing passwords ------------------------------------------------------------------

def _attempt(client, email: str, password: str, address: str = "198.51.100.7"):
    page = client.get("/admin/login/")
    return client.post("/admin/login/", data={
        "email": email, "password": password, "csrf_token": csrf_of(page.data)},
        environ_base={"REMOTE_ADDR": address}, headers={"Accept-Language": "en"})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(app, accounts):
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, ADMIN, "wrong guess").status_code == 200
    locked = _attempt(client, ADMIN, PASSWORD)
    assert locked.status_code == 429 and b"Too many failed logins" in locked.data
    assert client.get("/admin/").status_code == 302  # not logged in
    # another account, from another address, is not concerned
    assert _attempt(app.test_client(), STAFF, PASSWORD, "203.0.113.9").status_code == 302
    # after the lock, the right password works and clears the count
    LoginFailures.objects.update(set__locked_until=utcnow() - timedelta(seconds=1))
    assert _attempt(client, ADMIN, PASSWORD).status_code == 302
    assert not LoginFailures.objects(key=f"account:{ADMIN}").first()


def test_one_address_trying_many_accounts_is_locked(app, accounts):
    client = app.test_client()
    for n in range(20):
        _attempt(client, f"guess{n}@example.com", "wrong guess")
    assert _attempt(client, STAFF, PASSWORD).status_code == 429
    assert _attempt(client, STAFF, PASSWORD, "203.0.113.9").status_code == 302


def test_failures_are_counted_across_processes(db, media_dir, accounts):
    # two apps: two gunicorn workers, one database
    workers = [create_app({"TESTING": True, "API_TOKENS": ["t"], "MEDIA_DIR": str(media_dir),
                           "SECRET_KEY": "shared" * 8}).test_client() for _ in range(2)]
    for n in range(5):
        _attempt(workers[n % 2], ADMIN, "wrong guess")
    assert _attempt(workers[0], ADMIN, PASSWORD).status_code == 429
    assert _attempt(workers[1], ADMIN, PASSWORD).status_code == 429


def test_old_failures_do_not_count(app, accounts):
    client = app.test_client()
    for _ in range(4):
        _attempt(client, ADMIN, "wrong guess")
    LoginFailures.objects(key=f"account:{ADMIN}").update(
        set__first=utcnow() - timedelta(minutes=16))
    _attempt(client, ADMIN, "wrong guess")  # counts as the first again
    assert _attempt(client, ADMIN, PASSWORD).status_code == 302


def test_behind_the_local_proxy_the_forwarded_address_counts(app, accounts):
    from api.admin.throttle import client_address

    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"X-Real-IP": "198.51.100.7"}):
        assert client_address() == "198.51.100.7"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"},
                                  headers={"X-Real-IP": "198.51.100.7"}):
        assert client_address() == "203.0.113.9"  # only a local proxy is believed


# -- the session cookie ------------------------------------------------------------------

def _cookie(app) -> str:
    client = app.test_client()
    answer = log_in(client, ADMIN)
    assert answer.status_code == 302
    return next(v for k, v in answer.headers.items() if k == "Set-Cookie"
                and v.startswith("session="))


def test_the_session_cookie_is_httponly_lax_and_secure_when_asked(db, media_dir, accounts,
                                                                  monkeypatch):
    config = {"TESTING": True, "API_TOKENS": ["t"], "MEDIA_DIR": str(media_dir)}
    cookie = _cookie(create_app(config))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("ADMIN_COOKIE_SECURE", "1")
    monkeypatch.setenv("ADMIN_COOKIE_SAMESITE", "strict")
    monkeypatch.setenv("ADMIN_SESSION_HOURS", "2")
    app = create_app(config)
    assert app.permanent_session_lifetime == timedelta(hours=2)
    cookie = _cookie(app)
    assert "Secure" in cookie and "SameSite=Strict" in cookie
    monkeypatch.setenv("ADMIN_COOKIE_SAMESITE", "None")
    with pytest.raises(ValueError, match="ADMIN_COOKIE_SAMESITE"):
        create_app(config)
    monkeypatch.setenv("ADMIN_COOKIE_SAMESITE", "Lax")
    monkeypatch.setenv("ADMIN_COOKIE_SECURE", "sure")
    with pytest.raises(ValueError, match="ADMIN_COOKIE_SECURE"):
        create_app(config)


def test_a_session_older_than_its_lifetime_is_refused(db, media_dir, accounts):
    app = create_app({"TESTING": True, "API_TOKENS": ["t"], "MEDIA_DIR": str(media_dir),
                      "ADMIN_SESSION_HOURS": 1})
    client = app.test_client()
    assert log_in(client, ADMIN).status_code == 302
    assert client.get("/admin/").status_code == 200
    app.permanent_session_lifetime = timedelta(seconds=-1)  # as if an hour had passed
    assert client.get("/admin/").status_code == 302
    assert StaffAccount.objects.count() == 2
