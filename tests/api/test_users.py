import pytest

from models import Cart, Order, User

BASE = "/api/v1/users"


def test_list_and_detail(client, auth, shop):
    body = client.get(BASE, headers=auth).get_json()
    assert [item["id"] for item in body["items"]] == [101, 202]
    anna = client.get(f"{BASE}/101", headers=auth)
    assert anna.status_code == 200 and anna.headers["ETag"]
    data = anna.get_json()
    assert data["username"] == "anna" and data["language"] == "en" and data["blocked"] is False
    assert data["email"] is None and data["phone"] is None


def test_filters_and_sort(client, auth, shop):
    User.objects(telegram_id=202).update_one(set__blocked=True)
    blocked = client.get(BASE, headers=auth, query_string={"blocked": "true"}).get_json()
    assert [item["id"] for item in blocked["items"]] == [202]
    english = client.get(BASE, headers=auth, query_string={"language": "en"}).get_json()
    assert [item["id"] for item in english["items"]] == [101]
    found = client.get(BASE, headers=auth, query_string={"q": "petr"}).get_json()
    assert [item["id"] for item in found["items"]] == [202]
    ordered = client.get(BASE, headers=auth, query_string={"sort": "-username"}).get_json()
    assert [item["id"] for item in ordered["items"]] == [202, 101]


@pytest.mark.parametrize("path", ["/0", "/999", "/abc", "/-5", f"/{2**63}", "/1.5"])
def test_unknown_or_malformed_ids_are_404(client, auth, shop, path):
    assert client.get(BASE + path, headers=auth).status_code == 404
    assert client.get(BASE + path + "/orders", headers=auth).status_code == 404


def test_update_contact_data_normalised(client, auth, shop):
    response = client.patch(f"{BASE}/101", headers=auth, json={
        "email": "Anna@Example.COM", "phone": "8 (999) 123-45-67", "address": "Kazan"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["phone"] == "+79991234567" and data["email"] == "Anna@example.com"
    assert User.objects.get(telegram_id=101).phone == "+79991234567"


def test_invalid_email_and_phone_are_422_on_their_fields(client, auth, shop):
    response = client.patch(f"{BASE}/101", headers=auth, json={"email": "not-an-email",
                                                               "phone": "12"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"email", "phone"}
    assert User.objects.get(telegram_id=101).email is None


def test_every_invalid_field_is_reported_at_once(client, auth, shop):
    """Issue 14 review E: only ``language`` was reported; email and phone came after a fix."""
    response = client.patch(f"{BASE}/101", headers=auth, json={
        "email": "bad", "phone": "12", "language": "de"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "email": ["Must be an email address, e.g. anna@example.com."],
        "phone": ["Must be a phone number, e.g. +79991234567."],
        "language": ["Must be one of: ru, en."]}


def test_names_and_blocked_come_from_telegram(client, auth, shop):
    for field in ("username", "first_name", "blocked", "id", "telegram_id"):
        response = client.patch(f"{BASE}/101", headers=auth, json={field: "x"})
        assert response.status_code == 422
        assert field in response.get_json()["errors"]
    response = client.patch(f"{BASE}/101", headers=auth, json={"language": "de"})
    assert response.status_code == 422


def test_put_replaces_the_editable_fields(client, auth, shop):
    client.patch(f"{BASE}/101", headers=auth, json={"address": "Kazan"})
    data = client.put(f"{BASE}/101", headers=auth, json={"email": "a@example.com"}).get_json()
    assert data["address"] is None and data["email"] == "a@example.com"
    assert data["language"] == "ru" and data["username"] == "anna"


def test_orders_of_a_user(client, auth, shop):
    body = client.get(f"{BASE}/101/orders", headers=auth).get_json()
    assert body["total"] == 2
    assert [item["number"] for item in body["items"]] == [o.number for o in reversed(
        shop["orders"][:2])]
    delivered = client.get(f"{BASE}/101/orders", headers=auth,
                           query_string={"status": "delivered"}).get_json()
    assert delivered["total"] == 1
    response = client.get(f"{BASE}/101/orders", headers=auth, query_string={"user_id": 202})
    assert response.status_code == 422  # the user is in the path


def test_cart_of_a_user(client, auth, shop):
    headphones = shop["products"]["headphones-1"]  # 8 990 RUB, 20 % off
    cart = client.get(f"{BASE}/101/cart", headers=auth)
    assert cart.status_code == 200 and cart.headers["ETag"]
    assert cart.get_json() == {
        "user_id": 101,
        "items": [{"product": str(headphones.pk), "name": headphones.name, "quantity": 2,
                   "unit_price": 719200, "line_total": 1438400, "stock": headphones.stock}],
        "count": 2, "total": 1438400,
        "modified": cart.get_json()["modified"],
    }
    empty = client.get(f"{BASE}/202/cart", headers=auth).get_json()
    assert empty["items"] == [] and empty["total"] == 0 and empty["modified"] is not None
    assert client.get(f"{BASE}/303/cart", headers=auth).status_code == 404


def test_cart_of_a_user_without_one(client, auth, shop):
    User.register(303)
    body = client.get(f"{BASE}/303/cart", headers=auth).get_json()
    assert body == {"user_id": 303, "items": [], "count": 0, "total": 0, "modified": None}
    assert Cart.objects(user_id=303).count() == 0  # reading does not create it


def test_delete_removes_the_cart_and_keeps_the_orders(client, auth, shop):
    assert client.delete(f"{BASE}/101", headers=auth).status_code == 204
    assert User.objects(telegram_id=101).count() == 0
    assert Cart.objects(user_id=101).count() == 0
    assert Order.objects(user_id=101).count() == 2
    assert client.get(f"{BASE}/101", headers=auth).status_code == 404


def test_users_cannot_be_created_through_the_api(client, auth, shop):
    response = client.post(BASE, headers=auth, json={"id": 5})
    assert response.status_code == 405
    assert "POST" not in response.headers["Allow"]
