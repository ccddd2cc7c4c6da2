"""Errors are the same JSON whatever the mode: TESTING, PROPAGATE_EXCEPTIONS, or neither."""

import json

import pytest

import api.openapi
from api import create_app
from api.resources.news import NewsStore
from tests.api.conftest import TOKEN

MODES = [{"TESTING": False}, {"TESTING": True}, {"PROPAGATE_EXCEPTIONS": True},
         {"TESTING": True, "DEBUG": True}]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def requests(catalog):
    """(name, method, path, keyword arguments) of requests that fail in every way."""
    phones = catalog["categories"]["phones"]
    product = catalog["products"]["sci-fi-1"]
    return [
        ("404 outside the API", "get", "/nowhere", {}),
        ("404 in the API", "get", "/api/v1/nowhere", {}),
        ("404 item", "get", "/api/v1/products/nope", {}),
        ("405", "post", "/api/v1/orders", {"json": {}, "headers": AUTH}),
        ("405 item", "delete", f"/api/v1/categories/{phones.pk}/children", {"headers": AUTH}),
        ("400", "post", "/api/v1/news", {"data": "{", "headers": {
            **AUTH, "Content-Type": "application/json"}}),
        ("415", "post", "/api/v1/news", {"data": "x", "headers": AUTH}),
        ("422 body", "post", "/api/v1/news", {"json": {"title": 1}, "headers": AUTH}),
        ("422 query", "get", "/api/v1/products", {"query_string": {"sort": "secret"}}),
        ("409 model", "patch", f"/api/v1/categories/{catalog['categories']['books'].pk}",
         {"json": {"parent": str(catalog["categories"]["science"].pk)}, "headers": AUTH}),
        ("401", "get", "/api/v1/users", {}),
        ("409", "delete", f"/api/v1/categories/{phones.pk}", {"headers": AUTH}),
        ("412", "patch", f"/api/v1/products/{product.pk}", {
            "json": {"stock": 1}, "headers": {**AUTH, "If-Match": '"stale"'}}),
        ("413", "post", "/api/v1/news", {"json": {"title": "x", "content": "y" * 2**20},
                                         "headers": AUTH}),
    ]


def answer(response):
    headers = {name: response.headers.get(name)
               for name in ("Content-Type", "Allow", "WWW-Authenticate")}
    return response.status_code, json.loads(response.data), headers


def test_errors_are_identical_in_every_mode(catalog):
    answers = []
    for mode in MODES:
        client = create_app({**mode, "API_TOKENS": TOKEN}).test_client()
        answers.append({name: answer(getattr(client, method)(path, **kwargs))
                        for name, method, path, kwargs in requests(catalog)})
    for other in answers[1:]:
        assert other == answers[0]
    for name, (status, body, headers) in answers[0].items():
        assert str(status) == name.split()[0], (name, body)
        assert body["code"] == status and body["message"]
        assert headers["Content-Type"] == "application/json"
    assert answers[0]["405"][2]["Allow"] == "GET, HEAD, OPTIONS"
    assert answers[0]["409 model"][1]["errors"] == {"parent": [
        "Must not be the category itself or one of its subcategories (that would create a cycle)."]}
    assert answers[0]["401"][2]["WWW-Authenticate"] == 'Bearer realm="tgshop"'


@pytest.mark.parametrize("mode", MODES)
def test_unexpected_errors_are_a_json_500_without_details(db, monkeypatch, caplog, mode):
    def explode(self, docs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(NewsStore, "dump_many", explode)
    client = create_app({**mode, "API_TOKENS": TOKEN}).test_client()
    response = client.get("/api/v1/news")
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "status": "Internal Server Error",
                                   "message": "Internal server error."}
    assert "secret internals" in caplog.text  # logged with the traceback, not shown


@pytest.mark.parametrize("mode", MODES)
def test_unexpected_errors_outside_resources_too(db, monkeypatch, mode):
    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.openapi, "build_spec", explode)
    client = create_app({**mode, "API_TOKENS": TOKEN}).test_client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


def test_every_message_speaks_in_one_voice(catalog):
    """Issue 14.15: messages, and each field's messages, are sentences that say what is
    wrong or expected: capitalised, ending with a full stop, from the schemas and from the
    models alike."""
    import re

    client = create_app({"API_TOKENS": TOKEN}).test_client()
    books = catalog["categories"]["books"]
    extra = [
        ("post", "/api/v1/users", {"json": {}, "headers": AUTH}),
        ("patch", "/api/v1/users/1", {"json": {"email": "nope"}, "headers": AUTH}),
        ("post", "/api/v1/products", {"json": {"name": ""}, "headers": AUTH}),
        ("get", "/api/v1/products", {"query_string": {"min_price": 5, "max_price": 1}}),
        ("patch", f"/api/v1/categories/{books.pk}", {"json": {"parent": str(books.pk)},
                                                      "headers": AUTH}),
        ("delete", f"/api/v1/categories/{books.pk}", {"headers": AUTH}),
    ]
    voice = re.compile(r"^[A-Z0-9].*[.?!]$", re.S)
    seen = []
    for method, path, kwargs in [r[1:] for r in requests(catalog)] + extra:
        body = getattr(client, method)(path, **kwargs).get_json()
        seen.append(body["message"])
        seen.extend(m for messages in body.get("errors", {}).values() for m in messages)
    odd = [message for message in seen if not voice.match(message)]
    assert not odd, odd
    assert "Must not be the category itself or one of its subcategories (that would create a " \
           "cycle)." in seen


STOCK = ("Missing data for required field", "Length must be", "Not a valid",
         "Field may not be null", "greater than or equal", "String does not match",
         "Invalid input type", "Cannot sort by")


def test_one_wording_per_kind_of_error(catalog):
    """Issue 14 review E: marshmallow's wording mixed with the project's, three top-level
    messages for a 422, two wordings of a 404 for an unknown item, two enumeration styles."""
    client = create_app({"API_TOKENS": TOKEN}).test_client()
    books = catalog["categories"]["books"]
    product = {"json": {"name": "x" * 200, "price": "1", "category": "zz", "discount": 1.5,
                        "stock": None, "sku": "",
                        "characteristics": [{"name": "a", "value": "b"}] * 51,
                        "image": "/etc/passwd", "translations": {"de": {}}}, "headers": AUTH}
    unprocessable = [
        ("post", "/api/v1/products", {"json": {}, "headers": AUTH}),
        ("post", "/api/v1/products", product),
        ("post", "/api/v1/categories", {"json": {"name": "", "slug": "Bad Slug!"},
                                        "headers": AUTH}),
        ("get", "/api/v1/products", {"query_string": {"sort": "secret", "page": 0,
                                                      "in_stock": "maybe", "min_price": "x"}}),
        ("get", "/api/v1/orders", {"query_string": {"status": "zzz",
                                                    "created_from": "tomorrow"},
                                   "headers": AUTH}),
        ("post", "/api/v1/news", {"json": {"title": 1, "content": ["x"], "pinned": True},
                                  "headers": AUTH}),
        ("post", "/api/v1/media", {"data": {"other": "x"}, "headers": AUTH,
                                   "content_type": "multipart/form-data"}),
    ]
    errors: dict[str, list[str]] = {}
    for method, path, kwargs in unprocessable:
        body = getattr(client, method)(path, **kwargs).get_json()
        assert (body["code"], body["message"]) == (422, "The request is not valid; see errors.")
        for field, messages in body["errors"].items():
            errors.setdefault(field, []).extend(messages)
    stock = [m for messages in errors.values() for m in messages if m.startswith(STOCK)]
    assert not stock, stock
    assert errors["name"][0] == "Required."
    assert errors["price"] == ["Required.", "Must be an integer number of kopecks."]
    assert "Must be a string of 1 to 128 characters." in errors["name"]
    assert errors["characteristics"] == ["Must be a list of at most 50 items."]
    assert errors["stock"] == ["Must not be null."]
    assert errors["page"] == ["Must be an integer from 1 to 100000."]
    assert errors["in_stock"] == ["Must be true or false."]
    assert errors["category"] == ["Required.", "Must be an id of 24 hexadecimal characters."]
    assert errors["sort"][0].startswith("Must be one of: position, name, price, ")
    assert errors["status"][0].startswith("Must be one of: pending, new, ")
    for path, noun, raw in [(f"/api/v1/products/{books.pk}", "product", books.pk),
                            ("/api/v1/products/nope", "product", "nope"),
                            ("/api/v1/orders/99", "order", "99"),
                            ("/api/v1/users/abc", "user", "abc"),
                            ("/api/v1/users/7", "user", "7"),
                            ("/api/v1/news/nope/", "news item", "nope"),
                            ("/api/v1/categories/nope/children", "category", "nope")]:
        body = client.get(path, headers=AUTH).get_json()
        assert (body["code"], body["message"]) == (404, f"No {noun} with id {str(raw)!r}."), path
    assert client.get("/api/v1/nowhere").get_json()["message"] == "No such resource."


def test_the_404_nouns_are_the_stores():
    from api.errors import NOUNS
    from api.resources import ROUTES

    nouns = {route.rule.split("/")[1]: route.resource.store.noun for route in ROUTES
             if "item_id" in route.rule and hasattr(route.resource, "store")}
    assert nouns == NOUNS
