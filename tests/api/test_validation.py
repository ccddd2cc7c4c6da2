"""Bad input of every kind: malformed, oversized, unknown, and Mongo operator payloads."""

import json

import pytest

from api import create_app
from models import Category, News, Product, User

NEWS = "/api/v1/news"
PRODUCTS = "/api/v1/products"


def post_raw(client, auth, path, data, content_type="application/json"):
    return client.post(path, data=data, headers={**auth, "Content-Type": content_type})


@pytest.mark.parametrize("data", ['{"title": "x",', "not json", "{'title': 'x'}", "[1, 2",
                                  '{"title": NaN, "content": "x"}', b"\xff\xfe\x00{",
                                  "[" * 100_000 + "]" * 100_000, "1" * 5000])
def test_malformed_json_is_400(client, auth, db, data):
    response = post_raw(client, auth, NEWS, data)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert News.objects.count() == 0


def test_empty_body_is_400(client, auth, db):
    assert post_raw(client, auth, NEWS, "").status_code == 400
    assert post_raw(client, auth, NEWS, "  \n").status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", ""])
def test_a_body_that_is_not_json_is_415(client, auth, db, content_type):
    response = post_raw(client, auth, NEWS, '{"title": "x", "content": "y"}', content_type)
    assert response.status_code == 415
    assert News.objects.count() == 0


def test_json_media_types_with_parameters_are_fine(client, auth, db):
    response = post_raw(client, auth, NEWS, '{"title": "x", "content": "y"}',
                        "application/json; charset=utf-8")
    assert response.status_code == 201


def test_oversized_body_is_413(db, auth):
    client = create_app({"API_TOKENS": "test-token", "MAX_CONTENT_LENGTH": 1000}).test_client()
    body = json.dumps({"title": "x", "content": "y" * 2000})
    response = post_raw(client, auth, NEWS, body)
    assert response.status_code == 413
    assert response.get_json() == {"code": 413, "status": "Request Entity Too Large",
                                   "message": "The request body is too large."}


def test_default_body_limit_is_one_mebibyte(client, auth, db):
    response = post_raw(client, auth, NEWS, json.dumps({"title": "x", "content": "y" * 2**20}))
    assert response.status_code == 413


@pytest.mark.parametrize("body", [[], "text", 5, None, [{"title": "x", "content": "y"}]])
def test_a_body_that_is_not_an_object_is_422(client, auth, db, body):
    response = post_raw(client, auth, NEWS, json.dumps(body))
    assert response.status_code == 422
    assert "_schema" in response.get_json()["errors"]


def test_unknown_fields_are_rejected_not_ignored(client, auth, db):
    response = client.post(NEWS, headers=auth, json={"title": "x", "content": "y", "pinned": 1})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"pinned": ["Unknown field."]}


def test_unknown_and_repeated_query_parameters_are_rejected(client, db):
    response = client.get(NEWS, query_string={"title": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"title": ["Unknown field."]}
    response = client.get(f"{NEWS}?page=1&page=2")
    assert response.status_code == 422 and "page" in response.get_json()["errors"]
    assert client.get(f"{NEWS}/6650c0ffee0000000000cafe?x=1").status_code == 422


def test_lone_surrogates_are_422(client, auth, db):
    response = post_raw(client, auth, NEWS, '{"title": "\\ud800", "content": "y"}')
    assert response.status_code == 422
    assert "title" in response.get_json()["errors"]


def test_strings_with_nul_and_unicode_are_kept(client, auth, db):
    response = client.post(NEWS, headers=auth, json={"title": "Скидки 🎉", "content": "a\x00b"})
    assert response.status_code == 201
    assert News.objects.get().content == "a\x00b"


OPERATOR_BODIES = [
    {"title": {"$ne": None}, "content": "x"},
    {"title": {"$gt": ""}, "content": "x"},
    {"title": "x", "content": "y", "$where": "sleep(1000)"},
    {"$set": {"title": "x"}},
    {"title": ["$ne", None], "content": "x"},
    {"title": "x", "content": "y", "image": {"$regex": ".*"}},
]


@pytest.mark.parametrize("body", OPERATOR_BODIES)
def test_operator_payloads_in_bodies_never_reach_a_query(client, auth, catalog, body):
    response = client.post(NEWS, headers=auth, json=body)
    assert response.status_code == 422, response.get_json()
    product = catalog["products"]["sci-fi-1"]
    response = client.patch(f"{PRODUCTS}/{product.pk}", headers=auth, json=body)
    assert response.status_code == 422
    assert News.objects.count() == 8


@pytest.mark.parametrize("body", [
    {"category": {"$ne": None}}, {"category": {"$oid": "6650c0ffee0000000000cafe"}},
    {"translations": {"en": {"$gt": ""}}}, {"translations": {"$where": {"name": "x"}}},
    {"characteristics": [{"name": {"$ne": 1}, "value": "x"}]},
    {"characteristics.0.name": "x"}, {"price": {"$inc": 1}},
])
def test_operator_payloads_in_nested_fields(client, auth, catalog, body):
    product = catalog["products"]["sci-fi-1"]
    before = Product.objects.get(pk=product.pk).to_mongo()
    response = client.patch(f"{PRODUCTS}/{product.pk}", headers=auth, json=body)
    assert response.status_code == 422
    assert Product.objects.get(pk=product.pk).to_mongo() == before


def test_operator_payloads_on_users_do_not_leak(client, auth, db):
    User.register(7, username="secret")
    response = client.patch("/api/v1/users/7", headers=auth, json={"email": {"$ne": None}})
    assert response.status_code == 422


@pytest.mark.parametrize("query", [
    "category[$ne]=x", "q[$regex]=.*", "sku[$ne]=", "min_price[$gt]=0", "in_stock[$exists]=1",
    "$where=1", "sort[$natural]=1", "category=%7B%22%24ne%22%3A+null%7D",
])
def test_operator_payloads_in_query_strings(client, catalog, query):
    response = client.get(f"{PRODUCTS}?{query}")
    assert response.status_code == 422, query


@pytest.mark.parametrize("value", ["$ne", '{"$ne": null}', "{$gt: ''}", ".*"])
def test_operator_lookalikes_are_plain_values(client, catalog, value):
    for params in ({"sku": value}, {"q": value}):
        response = client.get(PRODUCTS, query_string=params)
        assert response.status_code == 200
        assert response.get_json()["total"] == 0


def test_users_private_data_cannot_be_probed_with_operators(client, auth, db):
    User.register(7, username="secret")
    for query in ("q[$ne]=x", "blocked[$ne]=true", "language[$in]=ru"):
        assert client.get(f"/api/v1/users?{query}", headers=auth).status_code == 422


def test_category_with_operator_parent_is_refused(client, auth, catalog):
    response = client.post("/api/v1/categories", headers=auth,
                           json={"name": "x", "parent": {"$ne": None}})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["parent.$ne"]
    assert Category.objects(name="x").count() == 0
