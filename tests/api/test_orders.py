import pytest

BASE = "/api/v1/orders"


def test_list_newest_first_with_snapshots(client, auth, shop):
    body = client.get(BASE, headers=auth).get_json()
    assert body["total"] == 3
    numbers = [item["number"] for item in body["items"]]
    assert numbers == [o.number for o in reversed(shop["orders"])]
    first = body["items"][-1]
    phone = shop["products"]["smartphones-1"]
    assert first["items"] == [{"product": str(phone.pk), "name": phone.name,
                               "names": {"ru": phone.name, "en": "Sokol 5 smartphone"},
                               "unit_price": 2249100, "quantity": 1, "line_total": 2249100}]
    assert first["total"] == 2249100 and first["user_id"] == 101 and first["status"] == "new"
    assert first["email"] == "buyer@example.com"


def test_filters(client, auth, shop):
    def numbers(**params):
        response = client.get(BASE, headers=auth, query_string=params)
        assert response.status_code == 200, response.get_json()
        return sorted(item["number"] for item in response.get_json()["items"])

    a1, a2, b1 = (o.number for o in shop["orders"])
    assert numbers(user_id=101) == [a1, a2]
    assert numbers(user_id=999) == []
    assert numbers(status="delivered") == [a2]
    assert numbers(created_from="2026-10-15") == [a2, b1]
    assert numbers(created_to="2026-10-15") == [a1, a2]  # the whole day
    assert numbers(created_to="2026-10-15T08:00:00Z") == [a1]
    assert numbers(created_from="2026-10-02", created_to="2026-11-01") == [a2]
    assert numbers(number=b1) == [b1]


def test_sort_by_total(client, auth, shop):
    body = client.get(BASE, headers=auth, query_string={"sort": "-total"}).get_json()
    totals = [item["total"] for item in body["items"]]
    assert totals == sorted(totals, reverse=True)


@pytest.mark.parametrize("params", [{"status": "lost"}, {"created_from": "yesterday"},
                                    {"user_id": "anna"}, {"created_to": "2026-13-01"},
                                    {"sort": "email"}])
def test_invalid_filters_are_422(client, auth, shop, params):
    response = client.get(BASE, headers=auth, query_string=params)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(params)


def test_detail(client, auth, shop):
    order = shop["orders"][2]
    response = client.get(f"{BASE}/{order.pk}", headers=auth)
    assert response.status_code == 200 and response.headers["ETag"]
    assert response.get_json()["number"] == order.number
    assert client.get(f"{BASE}/nope", headers=auth).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_orders_are_read_only(client, auth, shop, method):
    order = shop["orders"][0]
    for path in (BASE, f"{BASE}/{order.pk}"):
        response = getattr(client, method)(path, headers=auth, json={"status": "cancelled"})
        assert response.status_code == 405
        assert response.get_json()["code"] == 405
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    order.reload()
    assert order.status == "new"


def test_orders_being_placed_are_listed_only_when_asked_for(client, auth, shop):
    from models import Order

    Order(user_id=77, items=[], total=0, status="pending", checkout_key="k" * 16).save()
    listed = client.get("/api/v1/orders", headers=auth).get_json()["items"]
    assert all(o["status"] != "pending" for o in listed)
    pending = client.get("/api/v1/orders?status=pending", headers=auth).get_json()["items"]
    assert [(o["status"], o["number"]) for o in pending] == [("pending", None)]


def test_staff_move_an_order_along_its_lifecycle_through_the_api(client, auth, shop):
    from models import Order

    order = Order.objects(status="new").first()
    url = f"/api/v1/orders/{order.pk}/transitions"
    response = client.post(url, json={"to": "confirmed"}, headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "confirmed" and body["version"] == 1
    assert [(e["from"], e["to"], e["role"], e["by"]) for e in body["history"]] == [
        ("new", "confirmed", "staff", "api")]
    etag = response.headers["ETag"]

    refused = client.post(url, json={"to": "delivered"}, headers=auth)
    assert refused.status_code == 409
    assert refused.get_json()["errors"] == {"to": [
        "Must be one of the statuses allowed now: cancelled, shipped."]}
    no_note = client.post(url, json={"to": "cancelled"}, headers=auth)
    assert no_note.status_code == 409 and "note" in no_note.get_json()["errors"]["to"][0]

    shipped = client.post(url, json={"to": "shipped", "note": "DHL 123"},
                          headers={**auth, "If-Match": etag})
    assert shipped.status_code == 200 and shipped.get_json()["history"][-1]["note"] == "DHL 123"
    stale = client.post(url, json={"to": "delivered"}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert client.post(url, json={"to": "shipped"}).status_code == 401
    assert client.post(url, json={"to": "lost"}, headers=auth).status_code == 422
    assert Order.objects.get(id=order.pk).status == "shipped"
