import pytest

from models import Product

BASE = "/api/v1/products"


def listing(client, **params):
    response = client.get(BASE, query_string={"page_size": 100, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_money_is_integer_kopecks_with_the_final_price(client, catalog):
    product = catalog["products"]["smartphones-1"]  # 24 990 RUB, 10 % off
    item = client.get(f"{BASE}/{product.pk}").get_json()
    assert item["price"] == 2499000 and item["discount"] == 10
    assert item["final_price"] == 2249100 == product.final_price
    assert item["category"] == str(product.category.pk)
    assert item["in_stock"] is True and "image_file_id" not in item


def test_filter_by_category_includes_subcategories(client, catalog):
    electronics = catalog["categories"]["electronics"]
    body = listing(client, category=str(electronics.pk))
    expected = {p.sku for p in Product.objects if p.sku.split("-")[0] in (
        "smartphones", "feature", "headphones", "speakers")}
    assert {item["sku"] for item in body["items"]} == expected and body["total"] == 14
    leaf = catalog["categories"]["sci-fi"]
    assert listing(client, category=str(leaf.pk))["total"] == 5  # four novels, one e-book
    assert listing(client, category="6650c0ffee0000000000cafe")["total"] == 0


def test_filter_by_stock_price_discount(client, catalog):
    out = listing(client, in_stock="false")
    assert out["total"] == Product.objects(stock=0).count() > 0
    assert all(item["stock"] == 0 and not item["in_stock"] for item in out["items"])
    assert listing(client, in_stock="true")["total"] == Product.objects(stock__gt=0).count()

    body = listing(client, min_price=50000, max_price=60000)
    assert body["total"] > 0
    assert all(50000 <= item["price"] <= 60000 for item in body["items"])
    assert {item["sku"] for item in body["items"]} == {
        p.sku for p in Product.objects(price__gte=50000, price__lte=60000)}

    discounted = listing(client, discounted="true")
    assert discounted["total"] == Product.objects(discount__gt=0).count()
    assert all(item["final_price"] < item["price"] for item in discounted["items"])
    assert listing(client, discounted="false")["total"] == Product.objects(discount=0).count()

    books = catalog["categories"]["books"]
    combined = listing(client, discounted="true", in_stock="true", category=str(books.pk))
    expected = {p.sku for p in Product.objects(category__in=books.subtree_ids(),
                                               discount__gt=0, stock__gt=0)}
    assert {item["sku"] for item in combined["items"]} == expected
    assert {"classics-2", "sci-fi-4", "science-2"} <= expected


def test_price_range_must_be_ordered(client, catalog):
    response = client.get(BASE, query_string={"min_price": 10, "max_price": 5})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"max_price": ["Must not be below min_price."]}


def test_name_search_is_literal_and_covers_translations(client, catalog):
    assert {i["sku"] for i in listing(client, q="солярис")["items"]} == {"sci-fi-2"}
    assert {i["sku"] for i in listing(client, q="SOLARIS")["items"]} == {"sci-fi-2"}
    assert listing(client, q="Tuxedo & Co")["total"] == 1
    # regex metacharacters are matched literally, never as a pattern
    for text in (".*", "(", "[a-z]+", "\\", "^", "$where"):
        assert listing(client, q=text)["total"] == 0, text


def test_sort_by_price_and_stable_pagination(client, catalog):
    body = listing(client, sort="-price,name")
    prices = [item["price"] for item in body["items"]]
    assert prices == sorted(prices, reverse=True)
    seen = []
    page = 1
    while True:
        chunk = client.get(BASE, query_string={"sort": "stock", "page": page,
                                               "page_size": 7}).get_json()
        seen += [item["id"] for item in chunk["items"]]
        if chunk["links"]["next"] is None:
            break
        page += 1
    assert len(seen) == len(set(seen)) == Product.objects.count() == chunk["total"]
    assert page == chunk["pages"] == -(-Product.objects.count() // 7)


@pytest.mark.parametrize("params", [
    {"page_size": 101}, {"page_size": 0}, {"page": 0}, {"page": "x"},
    {"sort": "price;drop"}, {"sort": "final_price"}, {"in_stock": "maybe"},
    {"min_price": -1}, {"min_price": "1.5"}, {"category": "nope"}, {"colour": "red"},
])
def test_invalid_query_parameters_are_422(client, catalog, params):
    response = client.get(BASE, query_string=params)
    assert response.status_code == 422
    body = response.get_json()
    assert body["location"] == "query" and set(body["errors"]) == set(params)


def test_create_update_delete(client, auth, catalog):
    shirts = catalog["categories"]["shirts"]
    new = {"name": "Рубашка поло", "sku": "shirts-99", "category": str(shirts.pk),
           "price": 199900, "discount": 5, "stock": 3,
           "characteristics": [{"name": "Материал", "value": "хлопок"}],
           "translations": {"en": {"name": "Polo shirt",
                                   "characteristics": [{"name": "Material",
                                                        "value": "cotton"}]}}}
    response = client.post(BASE, json=new, headers=auth)
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["final_price"] == 189905 and item["description"] == "" and item["position"] == 0
    assert item["characteristics"] == [{"name": "Материал", "value": "хлопок"}]
    stored = Product.objects.get(sku="shirts-99")
    assert stored.title("en") == "Polo shirt" and stored.price == 199900

    patched = client.patch(f"{BASE}/{item['id']}", json={"price": 99900, "discount": 0},
                           headers=auth).get_json()
    assert patched["final_price"] == 99900 and patched["name"] == "Рубашка поло"

    replaced = client.put(f"{BASE}/{item['id']}", headers=auth, json={
        "name": "Поло", "category": str(shirts.pk), "price": 100})
    body = replaced.get_json()
    assert replaced.status_code == 200
    assert body["sku"] is None and body["stock"] == 0 and body["characteristics"] == []
    assert body["translations"] == {}

    assert client.delete(f"{BASE}/{item['id']}", headers=auth).status_code == 204
    assert Product.objects(pk=item["id"]).count() == 0


def test_changing_the_image_forgets_telegrams_cached_upload(client, auth, catalog):
    product = catalog["products"]["dresses-1"]
    Product.objects(pk=product.pk).update_one(set__image_file_id="AgACAgIAAx")
    client.patch(f"{BASE}/{product.pk}", json={"stock": 1}, headers=auth)
    assert Product.objects.get(pk=product.pk).image_file_id == "AgACAgIAAx"
    client.patch(f"{BASE}/{product.pk}", json={"image": "https://example.com/d.png"},
                 headers=auth)
    assert Product.objects.get(pk=product.pk).image_file_id is None


def test_duplicate_sku_is_409(client, auth, catalog):
    product = catalog["products"]["sci-fi-1"]
    response = client.patch(f"{BASE}/{product.pk}", json={"sku": "sci-fi-2"}, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"sku": ["Already used by another item."]}
    assert Product.objects.get(pk=product.pk).sku == "sci-fi-1"


@pytest.mark.parametrize("field, value", [
    ("price", -1), ("price", 1.5), ("price", "100"), ("price", True), ("price", 10**30),
    ("discount", 101), ("stock", -3), ("category", "6650c0ffee0000000000cafe"),
    ("category", None), ("name", ""), ("characteristics", [{"name": "x"}]),
    ("translations", {"de": {"name": "Hemd"}}), ("translations", {"en": {"title": "x"}}),
    ("id", "6650c0ffee0000000000cafe"), ("final_price", 1), ("image_file_id", "x"),
])
def test_invalid_fields_are_422_naming_the_field(client, auth, catalog, field, value):
    product = catalog["products"]["sci-fi-1"]
    response = client.patch(f"{BASE}/{product.pk}", json={field: value}, headers=auth)
    assert response.status_code == 422, response.get_json()
    assert any(key.split(".")[0] == field for key in response.get_json()["errors"])


@pytest.mark.parametrize("wire", ["wsgi", "werkzeug dev server"])
def test_a_search_in_raw_utf8_finds_what_the_percent_encoded_one_finds(client, catalog, wire):
    """Issue 14.14: ``curl "$API/products?q=Наушники"`` sends the UTF-8 bytes unescaped."""
    raw = "q=Наушники&page_size=100".encode()
    query = {"wsgi": raw.decode("latin-1"),  # PEP 3333: one character per byte
             "werkzeug dev server": raw.decode("latin-1").encode().decode("latin-1")}[wire]
    response = client.get(BASE, environ_overrides={"QUERY_STRING": query})
    body = response.get_json()
    assert body["total"] == listing(client, q="Наушники")["total"] == 4
    assert body["links"]["self"] == (
        f"{BASE}?q=%D0%9D%D0%B0%D1%83%D1%88%D0%BD%D0%B8%D0%BA%D0%B8&page=1&page_size=100")


def test_percent_escapes_and_latin1_text_are_left_as_they_are():
    from api.rawquery import escape_non_ascii

    assert escape_non_ascii("q=%D0%9D&sort=-price") == "q=%D0%9D&sort=-price"
    assert escape_non_ascii("q=Ð".encode().decode("latin-1")) == "q=%C3%90"  # one "Ð"
