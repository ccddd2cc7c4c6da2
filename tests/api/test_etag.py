"""ETags: 304 on If-None-Match, 412 on a stale If-Match, atomically in the database."""

import time

import pytest

from api.resources.base import Store
from models import News, Product

NEWS = "/api/v1/news"


@pytest.fixture
def item(client, auth, db):
    response = client.post(NEWS, headers=auth, json={"title": "T", "content": "C"})
    return response.get_json()["id"], response.headers["ETag"]


def test_if_none_match_gives_304(client, item):
    item_id, etag = item
    response = client.get(f"{NEWS}/{item_id}", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag
    assert client.get(f"{NEWS}/{item_id}", headers={"If-None-Match": '"other"'}).status_code \
        == 200
    assert client.get(f"{NEWS}/{item_id}", headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(f"{NEWS}/{item_id}",
                      headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304


def test_lists_have_etags_too(client, item):
    first = client.get(NEWS)
    assert client.get(NEWS, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_if_match_update_and_stale_version(client, auth, item):
    item_id, etag = item
    updated = client.patch(f"{NEWS}/{item_id}", json={"title": "T2"},
                           headers={**auth, "If-Match": etag})
    assert updated.status_code == 200
    new_etag = updated.headers["ETag"]
    assert new_etag != etag
    stale = client.patch(f"{NEWS}/{item_id}", json={"title": "T3"},
                         headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == new_etag
    assert News.objects.get(pk=item_id).title == "T2"
    assert client.put(f"{NEWS}/{item_id}", json={"title": "T3", "content": "C"},
                      headers={**auth, "If-Match": etag}).status_code == 412
    assert client.delete(f"{NEWS}/{item_id}", headers={**auth, "If-Match": etag}).status_code \
        == 412
    assert client.delete(f"{NEWS}/{item_id}", headers={**auth, "If-Match": new_etag}) \
        .status_code == 204


def test_if_match_star_and_garbage(client, auth, item):
    item_id, _ = item
    assert client.patch(f"{NEWS}/{item_id}", json={"title": "A"},
                        headers={**auth, "If-Match": "*"}).status_code == 200
    assert client.patch(f"{NEWS}/{item_id}", json={"title": "B"},
                        headers={**auth, "If-Match": "garbage"}).status_code == 412
    assert client.patch(f"{NEWS}/{item_id}", json={"title": "B"},
                        headers={**auth, "If-Match": ""}).status_code == 412


def test_etag_follows_changes_made_elsewhere(client, item):
    item_id, etag = item
    News.objects(pk=item_id).update_one(set__content="changed by the bot")
    response = client.get(f"{NEWS}/{item_id}", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def concurrent_writer(monkeypatch, write):
    """Make ``write`` happen between the If-Match check and the conditional save.

    It waits for the next millisecond first: versions are millisecond timestamps, and
    two writes within one millisecond of each other are out of this test's scope.
    """
    original = Store.apply
    calls = []

    def apply(self, doc, data):
        if not calls:
            time.sleep(0.002)
            write(doc)
        calls.append(1)
        original(self, doc, data)

    monkeypatch.setattr(Store, "apply", apply)
    return calls


def test_if_match_is_atomic_in_the_database(client, auth, item, monkeypatch):
    item_id, etag = item
    calls = concurrent_writer(
        monkeypatch, lambda doc: News.objects(pk=doc.pk).update_one(set__content="other"))
    response = client.patch(f"{NEWS}/{item_id}", json={"title": "mine"},
                            headers={**auth, "If-Match": etag})
    assert response.status_code == 412
    assert len(calls) == 1
    stored = News.objects.get(pk=item_id)
    assert (stored.title, stored.content) == ("T", "other")  # the other write survives


def test_without_if_match_a_concurrent_write_is_retried_not_lost(client, auth, item,
                                                                  monkeypatch):
    item_id, _ = item
    calls = concurrent_writer(
        monkeypatch, lambda doc: News.objects(pk=doc.pk).update_one(set__content="other"))
    response = client.patch(f"{NEWS}/{item_id}", json={"title": "mine"}, headers=auth)
    assert response.status_code == 200
    assert len(calls) == 2
    stored = News.objects.get(pk=item_id)
    assert (stored.title, stored.content) == ("mine", "other")  # both writes kept


def test_a_concurrent_stock_change_is_not_overwritten(client, auth, catalog, monkeypatch):
    product = catalog["products"]["sci-fi-1"]
    etag = client.get(f"/api/v1/products/{product.pk}").headers["ETag"]
    concurrent_writer(monkeypatch, lambda doc: Product.objects(pk=doc.pk, stock__gte=1)
                      .update_one(__raw__={"$inc": {"stock": -1}}))  # someone buys one
    response = client.patch(f"/api/v1/products/{product.pk}", json={"price": 1},
                            headers={**auth, "If-Match": etag})
    assert response.status_code == 412
    stored = Product.objects.get(pk=product.pk)
    assert stored.stock == product.stock - 1 and stored.price == product.price


def test_delete_is_conditional_in_the_database(client, auth, item, monkeypatch):
    item_id, etag = item
    original = Store.before_delete

    def before_delete(self, doc):
        time.sleep(0.002)
        News.objects(pk=doc.pk).update_one(set__content="other")
        original(self, doc)

    monkeypatch.setattr(Store, "before_delete", before_delete)
    response = client.delete(f"{NEWS}/{item_id}", headers={**auth, "If-Match": etag})
    assert response.status_code == 412
    assert News.objects(pk=item_id).count() == 1


def test_every_write_moves_the_version_on(client, auth, item):
    item_id, etag = item
    versions, etags = set(), {etag}
    for _ in range(5):  # faster than a millisecond each on the embedded store
        response = client.patch(f"{NEWS}/{item_id}", json={"title": "same"},
                                headers={**auth, "If-Match": response_etag(client, item_id)})
        assert response.status_code == 200
        etags.add(response.headers["ETag"])
        versions.add(News.objects.get(pk=item_id).modified)
    assert len(versions) == 5 and len(etags) == 6


def response_etag(client, item_id):
    return client.get(f"{NEWS}/{item_id}").headers["ETag"]
