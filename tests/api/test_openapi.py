"""The OpenAPI document and the offline docs page."""

import re
import shutil
import subprocess

import pytest
import schemathesis

from api.resources import ROUTES

SPEC = "/api/v1/openapi.json"


@pytest.fixture
def spec(client):
    response = client.get(SPEC)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3(app, spec):
    assert spec["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(spec).validate()


def test_every_route_and_method_is_documented(spec):
    for route in ROUTES:
        methods = {m.lower() for m in route.resource.methods} - {"head", "options"}
        assert set(spec["paths"][route.path]) == methods, route.path


def test_security_matches_the_auth_matrix(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            private = method != "get" or path.startswith(("/users", "/orders", "/broadcasts"))
            assert bool(operation["security"]) == private, (method, path)
            assert ("401" in operation["responses"]) == private


def test_schemas_come_from_marshmallow(spec):
    product = spec["components"]["schemas"]["Product"]
    assert product["additionalProperties"] is False
    assert set(product["required"]) == {"name", "category", "price"}
    assert product["properties"]["price"]["type"] == "integer"
    assert product["properties"]["final_price"]["readOnly"] is True
    assert "required" not in spec["components"]["schemas"]["ProductPatch"]
    listing = spec["paths"]["/products"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"page", "page_size", "category", "in_stock", "min_price", "max_price",
            "discounted", "q", "sort"} <= names
    page_size = next(p for p in listing["parameters"] if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 100
    sort = next(p for p in listing["parameters"] if p["name"] == "sort")
    assert sort["schema"]["default"] == "position,name"
    assert re.fullmatch(sort["schema"]["pattern"], "-price,name")


def test_orders_have_no_write_operations(spec):
    assert set(spec["paths"]["/orders"]) == {"get"}
    assert set(spec["paths"]["/orders/{id}"]) == {"get"}


def test_docs_page_is_self_contained(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "openapi.json" in page
    # nothing is fetched from elsewhere: no external scripts, styles, fonts or images
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|url\(", page)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_docs_page_script_is_valid_javascript(client, tmp_path):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    path = tmp_path / "docs.js"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr
