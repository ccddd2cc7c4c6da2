"""The admin's pages through the test client: the tree rule, money, CSV import (all or
nothing) and export, order transitions through the lifecycle, news queueing a broadcast."""

from __future__ import annotations

import io

from api.admin.products_csv import export_products, import_products
from models import Broadcast, Category, News, Notice, Order, Product
from tests.admin.conftest import csrf_of, log_in


def post(client, path: str, data: dict, page: str = "/admin/", **kwargs):
    token = csrf_of(client.get(page).data)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def test_a_category_cannot_move_under_its_own_subcategory(admin_client, accounts):
    books = Category.objects.get(slug="books")
    child = Category.objects(parent=books).first()
    page = admin_client.get(f"/admin/category/edit/?id={books.pk}")
    assert str(child.pk).encode() not in page.data  # not offered as a parent
    answer = post(admin_client, f"/admin/category/edit/?id={books.pk}",
                  {"name": books.name, "slug": books.slug, "parent": str(child.pk),
                   "position": "0"}, page=f"/admin/category/edit/?id={books.pk}",
                  follow_redirects=True)
    assert answer.status_code == 200
    assert Category.objects.get(pk=books.pk).parent is None  # the model refused it


def test_a_product_is_created_with_price_in_roubles_and_a_picture(admin_client, accounts,
                                                                  media_dir):
    books = Category.objects.get(slug="books")
    picture = (media_dir / "classics-1.png").read_bytes()
    answer = post(admin_client, "/admin/product/new/", {
        "name": "Atlas", "sku": "atlas-1", "category": str(books.pk), "price": "1299.90",
        "discount": "10", "stock": "3", "position": "0", "name_en": "Atlas (en)",
        "picture": (io.BytesIO(picture), "atlas.png")}, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.data[:2000]
    atlas = Product.objects.get(sku="atlas-1")
    assert (atlas.price, atlas.final_price, atlas.stock) == (129990, 116991, 3)
    assert atlas.translations["en"].name == "Atlas (en)"
    assert (media_dir / atlas.image).read_bytes() == picture
    with admin_client.get(f"/admin/media/{atlas.image}") as served:
        assert served.data == picture
    listing = admin_client.get("/admin/product/?search=Atlas",
                               headers={"Accept-Language": "en"}).data.decode()
    assert "1,299.90" in listing and f"/admin/media/{atlas.image}" in listing


def test_a_file_that_is_no_picture_is_refused(admin_client, accounts):
    books = Category.objects.get(slug="books")
    answer = post(admin_client, "/admin/product/new/", {
        "name": "Fake", "category": str(books.pk), "price": "1", "stock": "1",
        "position": "0", "discount": "0",
        "picture": (io.BytesIO(b"#!/bin/sh\n"), "x.png")}, content_type="multipart/form-data")
    assert answer.status_code == 200
    assert not Product.objects(name="Fake").first()


def test_price_and_stock_are_edited_in_the_list(admin_client, accounts):
    product = Product.objects.get(sku="classics-1")
    for name, value in (("price", "12.34"), ("stock", "7")):
        answer = post(admin_client, "/admin/product/ajax/update/",
                      {"list_form_pk": str(product.pk), name: value}, page="/admin/product/")
        assert answer.status_code == 200, answer.data
    product.reload()
    assert (product.price, product.stock) == (1234, 7)
    answer = post(admin_client, "/admin/product/ajax/update/",
                  {"list_form_pk": str(product.pk), "stock": "-1"}, page="/admin/product/")
    assert answer.status_code == 500  # Flask-Admin's answer to an invalid value
    assert Product.objects.get(pk=product.pk).stock == 7


def test_filters_category_in_stock_discounted(admin_client, accounts):
    books = Category.objects.get(slug="books")
    page = admin_client.get(f"/admin/product/?flt0_0={books.pk}&flt1_1=1").data.decode()
    in_books = [p for p in Product.objects(category__in=books.subtree_ids(), stock__gt=0)]
    assert in_books and all(p.name in page for p in in_books[:3])
    other = Product.objects(category__nin=books.subtree_ids()).first()
    assert f">{other.name}<" not in page


def test_csv_export_then_import_round_trips(accounts):
    before = {p.sku: (p.price, p.stock) for p in Product.objects}
    report = import_products(export_products())
    assert report.ok and report.created == 0 and report.updated == len(before)
    assert {p.sku: (p.price, p.stock) for p in Product.objects} == before


def test_one_bad_row_rejects_the_whole_file(accounts):
    books = Category.objects.get(slug="books")
    text = ("sku,name,category,price,stock\n"
            f"new-1,New one,{books.slug},10.50,5\n"
            f"classics-1,Renamed,{books.slug},11,6\n"
            f"new-2,Bad,{books.slug},12.345,x\n"
            "new-3,Lost,no-such-category,1,1\n")
    report = import_products(text)
    assert not report.ok
    assert [(row.line, row.label) for row in report.rejected] == [(4, "new-2"), (5, "new-3")]
    assert len(report.rejected[0].errors) == 2
    assert not Product.objects(sku="new-1").first()
    assert Product.objects.get(sku="classics-1").name != "Renamed"


def test_csv_import_page_shows_the_report(admin_client, accounts):
    text = "sku,name,category,price\nx-1,X,books,1\nx-2,Y,books,-1\n"
    answer = post(admin_client, "/admin/product/import/",
                  {"file": (io.BytesIO(text.encode()), "p.csv")}, page="/admin/product/import/",
                  content_type="multipart/form-data")
    assert answer.status_code == 200 and b'class="rejected-row"' in answer.data
    assert not Product.objects(sku="x-1").first()
    text = "sku;name;category;price\nx-1;X;books;1,50\n"
    answer = post(admin_client, "/admin/product/import/",
                  {"file": (io.BytesIO(("\ufeff" + text).encode()), "p.csv")},
                  page="/admin/product/import/", content_type="multipart/form-data")
    assert answer.status_code == 302
    assert Product.objects.get(sku="x-1").price == 150


def test_unknown_columns_refuse_the_file(accounts):
    report = import_products("sku,name,category,price,colour\n")
    assert report.problems and not report.ok


def test_a_failing_write_puts_back_what_was_written(accounts, monkeypatch):
    before = Product.objects.get(sku="classics-1").name
    saved = []
    original = Product.save

    def failing(self, *args, **kwargs):
        if saved:
            raise RuntimeError("database gone")
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Product, "save", failing)
    text = "sku,name,category,price\nclassics-1,Changed,books,1\nz-2,New,books,1\n"
    try:
        import_products(text)
    except RuntimeError:
        pass
    monkeypatch.undo()
    assert Product.objects.get(sku="classics-1").name == before
    assert not Product.objects(sku="z-2").first()


def test_an_order_moves_along_its_lifecycle_and_the_buyer_is_told(admin_client, shop):
    order = shop["orders"][0]
    page = admin_client.get(f"/admin/order/details/?id={order.pk}").data.decode()
    assert 'id="to-confirm"' in page and 'id="to-ship"' not in page
    path = f"/admin/order/details/?id={order.pk}"
    answer = post(admin_client, "/admin/order/transition/",
                  {"id": str(order.pk), "version": "0", "trigger": "confirm"}, page=path)
    assert answer.status_code == 302
    order.reload()
    assert order.status == "confirmed" and order.history[-1].by == "admin:boss@example.com"
    assert Notice.objects(id=f"buyer:{order.pk}:1").first() is not None
    # a stale page (version 0) cannot change it again
    post(admin_client, "/admin/order/transition/",
         {"id": str(order.pk), "version": "0", "trigger": "ship"}, page=path)
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    # cancelling needs a note
    post(admin_client, "/admin/order/transition/",
         {"id": str(order.pk), "version": "1", "trigger": "cancel"}, page=path)
    assert Order.objects.get(pk=order.pk).status == "confirmed"


def test_orders_list_has_totals_and_filters(admin_client, shop):
    page = admin_client.get("/admin/order/?flt0_0=new",
                            headers={"Accept-Language": "en"}).data.decode()
    new = Order.objects(status="new")
    assert f"{new.count()} order(s) match" in page


def test_creating_news_queues_its_broadcast_and_previews_it(admin_client, accounts):
    preview = post(admin_client, "/admin/news/preview/",
                   {"title": "Sale <b>", "content": "All −20%"}, page="/admin/news/new/")
    texts = preview.get_json()["texts"]
    assert set(texts) == {"ru", "en"} and "Sale &lt;b&gt;" in texts["ru"]
    answer = post(admin_client, "/admin/news/new/",
                  {"title": "Sale", "content": "All −20%", "published": "2030-01-01T10:00"},
                  page="/admin/news/new/", follow_redirects=True)
    news = News.objects.get(title="Sale")
    broadcast = Broadcast.objects.get(news=news.pk)
    assert b'id="broadcast-link"' in answer.data
    state = admin_client.get(f"/admin/broadcast/progress/{broadcast.pk}").get_json()
    assert state["status"] == "queued" and state["finished"] is False
    post(admin_client, "/admin/broadcast/stop/", {"id": str(broadcast.pk)})
    assert Broadcast.objects.get(pk=broadcast.pk).status == "cancelled"


def test_a_shopper_is_blocked_from_the_list_and_shows_their_orders(admin_client, shop):
    page = admin_client.get("/admin/shopper/details/?id=101").data.decode()
    assert f"#{shop['orders'][0].number}" in page
    answer = post(admin_client, "/admin/shopper/ajax/update/",
                  {"list_form_pk": "101", "blocked": "1"}, page="/admin/shopper/")
    assert answer.status_code == 200
    from models import User

    assert User.objects.get(telegram_id=101).blocked is True


def test_an_admin_cannot_lock_themselves_out(admin_client, accounts):
    me = accounts["admin"]
    path = f"/admin/account/edit/?id={me.pk}"
    post(admin_client, path, {"email": me.email, "role": "staff", "active": "y"}, page=path)
    assert type(me).objects.get(pk=me.pk).role == "admin"


def test_create_admin_command(db, monkeypatch, capsys):
    from api.admin import StaffAccount
    from api.admin.cli import create_admin

    monkeypatch.setenv("ADMIN_PASSWORD", "long enough pw")
    assert create_admin(["First@Example.com"]) == 0
    assert StaffAccount.find("first@example.com").check_password("long enough pw")
    assert create_admin(["first@example.com"]) == 1  # taken
    monkeypatch.delenv("ADMIN_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert create_admin(["second@example.com", "--role", "staff"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert create_admin(["second@example.com", "--role", "staff"]) == 0
    assert StaffAccount.find("second@example.com").role == "staff"


def test_create_admin_on_the_embedded_store_creates_nothing(db, monkeypatch, capsys):
    """An account made in the command's own memory would be gone when it returns: say so
    (and how to try the admin instead), and create nothing."""
    from api.admin import StaffAccount
    from api.admin.cli import create_admin

    monkeypatch.setenv("ADMIN_PASSWORD", "long enough pw")
    assert create_admin(["first@example.com"], embedded=True) == 2
    assert StaffAccount.find("first@example.com") is None
    said = capsys.readouterr()
    assert "nothing was created" in said.err and "python run_api.py --demo" in said.err
    assert "created the" not in said.out


def test_the_demo_account_logs_in_with_the_password_printed(app):
    """``python run_api.py`` on the embedded store: the account it prints opens the admin,
    and a second start changes its password (the old one no longer works)."""
    from api.admin.cli import demo_account

    email, old = demo_account()
    email_again, password = demo_account()
    assert email == email_again and password != old
    client = app.test_client()
    assert log_in(client, email, old).status_code != 302  # refused: the form again
    assert client.get("/admin/").status_code == 302       # to the login
    assert log_in(client, email, password).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_broadcasts_text_shows_only_what_telegram_would(admin_client, accounts):
    """A text written past the escaping writers (a script, a handler attribute, a
    javascript: link) is shown without them; Telegram's own tags stay."""
    broadcast = Broadcast(origin="cli", texts={
        "ru": '<b>Скидки</b><script>alert(1)</script><a href="javascript:alert(2)" '
              'onclick="alert(3)">ссылка</a><img src=x onerror="alert(4)">'
              '<span class="tg-spoiler">тайна</span>'}).save()
    page = admin_client.get(f"/admin/broadcast/details/?id={broadcast.pk}").data.decode()
    shown = page[page.index('data-lang="ru"'):]
    shown = shown[:shown.index("</div>")]
    assert "<b>Скидки</b>" in shown and '<span class="tg-spoiler">тайна</span>' in shown
    assert "alert" not in shown and "<img" not in shown and "<script" not in shown
