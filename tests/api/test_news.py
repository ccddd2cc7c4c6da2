import logging

import mongoengine
import pytest

from models import News

BASE = "/api/v1/news"


def test_list_is_newest_first_and_paginated(client, demo):
    response = client.get(BASE, query_string={"page_size": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 8 and body["pages"] == 3 and body["page"] == 1
    published = [item["published"] for item in body["items"]]
    assert published == sorted(published, reverse=True) and len(published) == 3
    assert body["links"]["next"] == f"{BASE}?page=2&page_size=3"
    assert body["links"]["prev"] is None
    assert body["links"]["last"] == f"{BASE}?page=3&page_size=3"
    last = client.get(body["links"]["last"]).get_json()
    assert len(last["items"]) == 2 and last["links"]["next"] is None


def test_filter_by_publication_date_includes_the_whole_last_day(client, demo):
    # the demo news are published daily at 09:00 from 2026-11-01
    body = client.get(BASE, query_string={"published_from": "2026-11-02",
                                          "published_to": "2026-11-04"}).get_json()
    assert [item["published"][:10] for item in body["items"]] == [
        "2026-11-04", "2026-11-03", "2026-11-02"]
    body = client.get(BASE, query_string={"published_to": "2026-11-01T08:59:59Z"}).get_json()
    assert body["total"] == 0
    body = client.get(BASE, query_string={"published_from": "2026-11-08T12:00:00+03:00"}).get_json()
    assert body["total"] == 1  # 09:00 UTC is 12:00 in Moscow


def test_sort_and_search(client, demo):
    body = client.get(BASE, query_string={"sort": "title", "page_size": 100}).get_json()
    titles = [item["title"] for item in body["items"]]
    assert titles == sorted(titles)
    word = titles[0].split()[0]
    found = client.get(BASE, query_string={"q": word.upper()}).get_json()
    assert found["total"] >= 1 and all(word.lower() in i["title"].lower() for i in found["items"])


def test_create_read_update_delete(client, auth, db):
    created = client.post(BASE, json={"title": "Sale", "content": "Everything -10%"},
                          headers=auth)
    assert created.status_code == 201
    item = created.get_json()
    assert created.headers["Location"] == f"{BASE}/{item['id']}"
    assert created.headers["ETag"]
    assert item["published"].endswith("Z") and item["image"] is None

    fetched = client.get(created.headers["Location"])
    assert fetched.get_json() == item and fetched.headers["ETag"] == created.headers["ETag"]

    patched = client.patch(f"{BASE}/{item['id']}", json={"title": "Big sale"}, headers=auth)
    assert patched.status_code == 200
    assert patched.get_json()["title"] == "Big sale"
    assert patched.get_json()["content"] == "Everything -10%"
    assert patched.headers["ETag"] != created.headers["ETag"]

    replaced = client.put(f"{BASE}/{item['id']}", headers=auth, json={
        "title": "New", "content": "Text", "published": "2026-12-01T10:00:00+03:00"})
    assert replaced.status_code == 200
    assert replaced.get_json()["published"] == "2026-12-01T07:00:00.000Z"

    assert client.delete(f"{BASE}/{item['id']}", headers=auth).status_code == 204
    assert client.get(f"{BASE}/{item['id']}").status_code == 404
    assert client.delete(f"{BASE}/{item['id']}", headers=auth).status_code == 404


def test_put_keeps_publication_date_when_left_out(client, auth, db):
    item = client.post(BASE, headers=auth, json={
        "title": "A", "content": "B", "published": "2026-01-01T00:00:00Z"}).get_json()
    replaced = client.put(f"{BASE}/{item['id']}", headers=auth,
                          json={"title": "C", "content": "D"}).get_json()
    assert replaced["published"] == "2026-01-01T00:00:00.000Z"


def test_validation_errors_name_the_fields(client, auth, db):
    response = client.post(BASE, json={"content": "", "image": 5}, headers=auth)
    assert response.status_code == 422
    body = response.get_json()
    assert body["location"] == "json"
    assert set(body["errors"]) == {"title", "content", "image"}
    response = client.post(BASE, json={"title": "x" * 257, "content": "y"}, headers=auth)
    assert "title" in response.get_json()["errors"]


def test_a_failing_post_save_side_effect_does_not_fail_the_creation(client, auth, db, caplog):
    def broken_broadcast(sender, document, **kwargs):
        raise RuntimeError("broadcast queue is down")

    mongoengine.signals.post_save.connect(broken_broadcast, sender=News)
    try:
        with caplog.at_level(logging.ERROR, logger="api.resources.base"):
            response = client.post(BASE, json={"title": "Hello", "content": "World"},
                                   headers=auth)
    finally:
        mongoengine.signals.post_save.disconnect(broken_broadcast, sender=News)
    assert response.status_code == 201
    assert News.objects(title="Hello").count() == 1
    assert "post-save side effect failed" in caplog.text
    assert "broadcast queue is down" in caplog.text


def test_a_failing_save_is_still_an_error(client, auth, db, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise mongoengine.ValidationError("no", errors={
            "title": mongoengine.ValidationError("rejected by the model", field_name="title")})

    monkeypatch.setattr(News, "save", refuse)
    response = client.post(BASE, json={"title": "Hello", "content": "World"}, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"title": ["Rejected by the model."]}
    assert News.objects.count() == 0


@pytest.mark.parametrize("item_id", ["nope", "0" * 23, "g" * 24, "6650c0ffee0000000000cafe"])
def test_missing_or_malformed_ids_are_404(client, auth, db, item_id):
    assert client.get(f"{BASE}/{item_id}").status_code == 404
    assert client.patch(f"{BASE}/{item_id}", json={}, headers=auth).status_code == 404
    assert client.delete(f"{BASE}/{item_id}", headers=auth).status_code == 404
