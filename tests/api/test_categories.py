from models import Category, Product

BASE = "/api/v1/categories"


def ids(items):
    return [item["id"] for item in items]


def test_list_in_display_order_and_filters(client, catalog):
    body = client.get(BASE, query_string={"root": "true"}).get_json()
    assert [item["slug"] for item in body["items"]] == ["electronics", "clothing", "books"]
    assert all(item["parent"] is None for item in body["items"])
    electronics = catalog["categories"]["electronics"]
    children = client.get(BASE, query_string={"parent": str(electronics.pk)}).get_json()
    assert [item["slug"] for item in children["items"]] == ["phones", "audio"]
    assert all(item["parent"] == str(electronics.pk) for item in children["items"])
    nested = client.get(BASE, query_string={"root": "false", "page_size": 100}).get_json()
    assert nested["total"] == Category.objects.count() - 3
    found = client.get(BASE, query_string={"q": "headPHONES"}).get_json()  # English name
    assert [item["slug"] for item in found["items"]] == ["headphones"]
    by_slug = client.get(BASE, query_string={"slug": "sci-fi"}).get_json()
    assert by_slug["total"] == 1 and by_slug["items"][0]["translations"]["en"]["name"] == \
        "Science fiction"


def test_sort_on_an_allowlist_only(client, catalog):
    body = client.get(BASE, query_string={"sort": "-name", "page_size": 100}).get_json()
    names = [item["name"] for item in body["items"]]
    assert names == sorted(names, reverse=True)
    response = client.get(BASE, query_string={"sort": "description"})
    assert response.status_code == 422
    assert response.get_json()["location"] == "query"
    assert "sort" in response.get_json()["errors"]


def test_children_subtree_and_tree(client, catalog):
    phones = catalog["categories"]["phones"]
    children = client.get(f"{BASE}/{phones.pk}/children").get_json()
    assert [item["slug"] for item in children["items"]] == ["smartphones", "feature-phones"]
    assert children["total"] == 2

    electronics = catalog["categories"]["electronics"]
    subtree = client.get(f"{BASE}/{electronics.pk}/subtree")
    assert subtree.status_code == 200 and subtree.headers["ETag"]
    tree = subtree.get_json()
    assert tree["slug"] == "electronics"
    assert [c["slug"] for c in tree["children"]] == ["phones", "audio"]
    assert [c["slug"] for c in tree["children"][0]["children"]] == ["smartphones",
                                                                    "feature-phones"]
    assert tree["children"][0]["children"][0]["children"] == []

    forest = client.get(f"{BASE}/tree").get_json()["items"]
    assert [c["slug"] for c in forest] == ["electronics", "clothing", "books"]

    def count(nodes):
        return sum(1 + count(node["children"]) for node in nodes)

    assert count(forest) == Category.objects.count()
    assert client.get(f"{BASE}/6650c0ffee0000000000cafe/subtree").status_code == 404
    assert client.get(f"{BASE}/nope/children").status_code == 404


def test_create_update_and_move_a_category(client, auth, catalog):
    books = catalog["categories"]["books"]
    response = client.post(BASE, headers=auth, json={
        "name": "Поэзия", "slug": "poetry", "parent": str(books.pk), "position": 5,
        "translations": {"en": {"name": "Poetry"}}})
    assert response.status_code == 201, response.get_json()
    poetry = response.get_json()
    assert poetry["parent"] == str(books.pk)
    assert poetry["translations"] == {"en": {"name": "Poetry", "description": None}}
    assert Category.objects.get(slug="poetry").title("en") == "Poetry"

    moved = client.patch(f"{BASE}/{poetry['id']}", headers=auth, json={"parent": None})
    assert moved.status_code == 200 and moved.get_json()["parent"] is None
    assert "poetry" in [c.slug for c in Category.roots()]


def test_unknown_parent_is_422_and_cycles_409_on_parent(client, auth, catalog):
    response = client.post(BASE, headers=auth, json={
        "name": "X", "parent": "6650c0ffee0000000000cafe"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["parent"]

    electronics = catalog["categories"]["electronics"]
    smartphones = catalog["categories"]["smartphones"]
    response = client.patch(f"{BASE}/{electronics.pk}", headers=auth,
                            json={"parent": str(smartphones.pk)})
    assert response.status_code == 409
    assert list(response.get_json()["errors"]) == ["parent"]
    assert Category.objects.get(slug="electronics").parent is None


def test_duplicate_slug_is_409(client, auth, catalog):
    response = client.post(BASE, headers=auth, json={"name": "Другие книги", "slug": "books"})
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"slug": ["Already used by another item."]}
    response = client.post(BASE, headers=auth, json={"name": "Bad", "slug": "Not A Slug"})
    assert response.status_code == 422 and "slug" in response.get_json()["errors"]


def test_deleting_a_non_empty_category_is_409(client, auth, catalog):
    phones = catalog["categories"]["phones"]
    response = client.delete(f"{BASE}/{phones.pk}", headers=auth)
    assert response.status_code == 409
    assert "still holds" in response.get_json()["message"]
    headphones = catalog["categories"]["headphones"]  # holds products only
    assert client.delete(f"{BASE}/{headphones.pk}", headers=auth).status_code == 409
    assert Category.objects(pk=headphones.pk).count() == 1


def test_deleting_an_empty_category(client, auth, catalog):
    Product.objects(category=catalog["categories"]["speakers"]).delete()
    speakers = catalog["categories"]["speakers"]
    assert client.delete(f"{BASE}/{speakers.pk}", headers=auth).status_code == 204
    assert Category.objects(pk=speakers.pk).count() == 0


def test_a_category_cannot_be_its_own_parent(client, auth, catalog):
    books = catalog["categories"]["books"]
    response = client.patch(f"{BASE}/{books.pk}", headers=auth, json={"parent": str(books.pk)})
    assert response.status_code == 409
    assert list(response.get_json()["errors"]) == ["parent"]
