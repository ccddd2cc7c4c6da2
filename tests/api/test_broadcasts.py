"""``/broadcasts``: read-only progress of broadcasts, for operators (a token is needed)."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Broadcast, News

BASE = "/api/v1/broadcasts"


@pytest.fixture
def broadcasts(db):
    """Three broadcasts: a news item's (queued), an admin's (done), the CLI's (running)."""
    news = News(title="Sale", content="-20%")
    news.save()
    announced = Broadcast.objects.get(news=news.pk)
    done = Broadcast.compose("<b>Hi</b>", author=900, origin="admin")
    running = Broadcast.compose("Later", origin="cli")
    Broadcast.objects(id=done.pk).update_one(
        set__status="done", set__total=10, set__sent=7, set__blocked=1, set__failed=1,
        set__unknown=1, set__created=datetime(2026, 10, 1, 12),
        set__finished=datetime(2026, 10, 1, 12, 5))
    Broadcast.objects(id=running.pk).update_one(
        set__status="running", set__total=100, set__sent=40, set__created=datetime(2026, 10, 2))
    return {"news": news, "announced": announced, "done": done.reload(),
            "running": running.reload()}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_list_newest_first_with_counters(client, auth, broadcasts):
    body = client.get(BASE, headers=auth).get_json()
    assert body["total"] == 3 and body["page"] == 1
    assert [item["id"] for item in body["items"]] == [
        str(broadcasts[name].pk) for name in ("announced", "running", "done")]
    done = body["items"][2]
    assert {k: done[k] for k in ("status", "origin", "author", "texts", "total", "sent",
                                 "blocked", "failed", "unknown", "pending")} == {
        "status": "done", "origin": "admin", "author": 900, "texts": {"ru": "<b>Hi</b>"},
        "total": 10, "sent": 7, "blocked": 1, "failed": 1, "unknown": 1, "pending": 0}
    assert done["finished"] == "2026-10-01T12:05:00.000Z" and done["news"] is None
    running = body["items"][1]
    assert (running["status"], running["pending"]) == ("running", 60)
    announced = body["items"][0]
    assert (announced["origin"], announced["news"], announced["status"], announced["texts"]) \
        == ("news", str(broadcasts["news"].pk), "queued", {})


def test_filters(client, auth, broadcasts):
    def found(**params):
        return ids(client.get(BASE, headers=auth, query_string=params))

    assert found(status="done") == [str(broadcasts["done"].pk)]
    assert found(origin="cli") == [str(broadcasts["running"].pk)]
    assert found(news=str(broadcasts["news"].pk)) == [str(broadcasts["announced"].pk)]
    assert found(author=900) == [str(broadcasts["done"].pk)]
    assert found(created_to="2026-10-01") == [str(broadcasts["done"].pk)]
    assert found(created_from="2026-10-02", created_to="2026-10-02") == \
        [str(broadcasts["running"].pk)]
    assert found(sort="-total")[:2] == [str(broadcasts["running"].pk),
                                        str(broadcasts["done"].pk)]
    assert len(found(page_size=1)) == 1


@pytest.mark.parametrize("params", [{"status": "lost"}, {"origin": "api"}, {"news": "nope"},
                                    {"author": "admin"}, {"created_from": "yesterday"},
                                    {"sort": "sent"}, {"colour": "red"}])
def test_invalid_filters_are_422(client, auth, broadcasts, params):
    response = client.get(BASE, headers=auth, query_string=params)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(params)


def test_detail_with_etag(client, auth, broadcasts):
    url = f"{BASE}/{broadcasts['running'].pk}"
    response = client.get(url, headers=auth)
    assert response.status_code == 200 and response.get_json()["sent"] == 40
    etag = response.headers["ETag"]
    assert client.get(url, headers={**auth, "If-None-Match": etag}).status_code == 304
    Broadcast.objects(id=broadcasts["running"].pk).update_one(inc__sent=1)
    assert client.get(url, headers={**auth, "If-None-Match": etag}).status_code == 200
    assert client.get(f"{BASE}/{'0' * 24}", headers=auth).status_code == 404
    assert client.get(f"{BASE}/nope", headers=auth).status_code == 404


def test_a_token_is_needed(client, broadcasts):
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/{broadcasts['done'].pk}").status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_broadcasts_are_read_only(client, auth, broadcasts, method):
    url = BASE if method == "post" else f"{BASE}/{broadcasts['done'].pk}"
    response = getattr(client, method)(url, headers=auth, json={"status": "cancelled"})
    assert response.status_code == 405
    assert Broadcast.objects.get(id=broadcasts["done"].pk).status == "done"


def test_creating_news_through_the_api_queues_its_broadcast_once(client, auth, db):
    item = client.post("/api/v1/news", headers=auth,
                       json={"title": "New arrivals", "content": "Come and see"}).get_json()
    client.put(f"/api/v1/news/{item['id']}", headers=auth,
               json={"title": "New arrivals!", "content": "Come and see"})
    body = client.get(BASE, headers=auth, query_string={"news": item["id"]}).get_json()
    assert body["total"] == 1 and body["items"][0]["origin"] == "news"
    assert Broadcast.objects.count() == 1


def test_news_is_created_when_queueing_its_broadcast_fails(client, auth, db, monkeypatch,
                                                           caplog):
    def down(cls, news_id):
        raise RuntimeError("broadcast queue is down")

    with monkeypatch.context() as patch:
        patch.setattr(Broadcast, "for_news", classmethod(down))
        response = client.post("/api/v1/news", headers=auth,
                               json={"title": "Hello", "content": "World"})
    assert response.status_code == 201, response.get_json()
    news_id = response.get_json()["id"]
    assert News.objects(id=news_id).count() == 1 and Broadcast.objects.count() == 0
    assert "queueing its broadcast failed" in caplog.text
    # a broadcast worker's housekeeping queues what was missed, once
    assert Broadcast.queue_missed() == 1 and Broadcast.queue_missed() == 0
    assert client.get(BASE, headers=auth, query_string={"news": news_id}).get_json()["total"] == 1
