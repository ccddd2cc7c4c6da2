"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas.

Served at ``/api/v1/openapi.json``; ``/api/v1/docs`` is a self-contained page (no CDN,
works offline) that renders it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app

from api.auth import SAFE_METHODS
from api.resources import ROUTES, Route
from api.resources.crud import Creating, Deleting, Listing, Reading, Updating
from api.resources.users import UserStore
from api.schemas import ErrorSchema, page_schema
from api.schemas.fields import INT64_MAX, OBJECT_ID_PATTERN

TITLE = "tgshop REST API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"

DESCRIPTION = """\
The shop's data over HTTP: the catalog (categories, products), news, users and orders,
and the broadcasts' progress (creating a news item broadcasts it to every user).

**Authentication.** `Authorization: Bearer <token>`, with a token from `API_TOKENS`.
Reading the catalog and news needs no token. Users and orders (personal data), broadcasts
(operational data) and every write need one: without it the answer is 401 with
`WWW-Authenticate: Bearer`. When the server has no tokens configured, these operations are
refused with 403.

**Money** is integer kopecks (minor units): `"price": 129900` is 1 299.00 RUB.
`final_price` is the price after `discount` percent.

**Lists** are paginated: `{"items": [...], "page": 1, "page_size": 20, "pages": 3,
"total": 42, "links": {"self", "first", "last", "next", "prev"}}`; `page_size` is at most
100. Filters are declared query parameters only; `sort` takes allowed keys, comma-separated,
`-` for descending.

**Errors** are JSON: `{"code": 422, "status": "Unprocessable Entity", "message": "...",
"location": "json", "errors": {"price": ["Must be an integer number of kopecks."]}}`.
Unknown fields and parameters are errors.

**Concurrency.** Items carry an `ETag`. Send it back in `If-Match` with `PUT`, `PATCH` or
`DELETE` to get 412 instead of overwriting someone else's change; `If-None-Match` on `GET`
gives 304 when nothing changed.
"""

ERRORS = {
    "400": ("BadRequest", "Malformed request (e.g. a body that is not valid JSON)."),
    "401": ("Unauthorized", "A valid bearer token is required."),
    "403": ("Forbidden", "Refused: the server has no API tokens configured."),
    "404": ("NotFound", "No such item."),
    "409": ("Conflict", "Conflicts with the current state (duplicate unique value, "
                        "non-empty category)."),
    "412": ("PreconditionFailed", "If-Match does not name the current version."),
    "413": ("PayloadTooLarge", "The request body is too large."),
    "415": ("UnsupportedMediaType", "The request body is not JSON (not multipart/form-data "
                                    "for an upload)."),
    "422": ("Unprocessable", "Invalid input; `errors` holds the messages per field."),
}

ETAG = {"description": "Version of the item, for If-Match and If-None-Match.",
        "schema": {"type": "string"}}

__all__ = ["build_spec", "docs_blueprint"]


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


def _error(status: str) -> dict:
    return {"$ref": f"#/components/responses/{ERRORS[status][0]}"}


def _json(schema: Any) -> dict:
    return {"application/json": {"schema": schema}}


def _id_parameter(route: Route) -> dict:
    store = getattr(route.resource, "store", None)
    if isinstance(store, UserStore):
        schema = {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX}
        description = "Telegram id of the user."
    else:
        schema = {"type": "string", "pattern": OBJECT_ID_PATTERN}
        description = "Id of the item (24 hexadecimal characters)."
    return {"in": "path", "name": "id", "required": True, "schema": schema,
            "description": description}


def _header(name: str, description: str) -> dict:
    return {"in": "header", "name": name, "required": False, "schema": {"type": "string"},
            "description": description}


IF_MATCH = _header("If-Match", "The ETag read before; 412 when the item has changed since.")
IF_NONE_MATCH = _header("If-None-Match", "An ETag already held; 304 when it is current.")


LIST_DESCRIPTION = ("Paginated (`page` from 1, `page_size` up to 100). Filters are the "
                    "query parameters below; `sort` takes the allowed keys, comma-separated, "
                    "`-` for descending. Unknown parameters are a 422.")
WRITE_ERRORS = ("400", "409", "413", "415")


def _crud(route: Route, method: str) -> dict | None:
    """Summary, parameters, body and responses of a generic CRUD operation (or None)."""
    cls, store = route.resource, getattr(route.resource, "store", None)
    item, noun = (store.schema, store.noun) if store else (None, "")
    with_etag = {"ETag": ETAG}
    if method == "get" and issubclass(cls, Listing):
        return {"summary": f"List {route.path.strip('/')}", "description": LIST_DESCRIPTION,
                "parameters": [{"in": "query", "schema": type(store.query_schema)}],
                "responses": {"200": {"description": "One page.", "headers": with_etag,
                                      "content": _json(page_schema(item))}}}
    if method == "post" and issubclass(cls, Creating):
        location = {"description": "URL of the new item.", "schema": {"type": "string"}}
        return {"summary": f"Create a {noun}", "body": item,
                "responses": {"201": {"description": "Created.", "content": _json(item),
                                      "headers": {**with_etag, "Location": location}},
                              **{s: _error(s) for s in WRITE_ERRORS}}}
    if method == "get" and issubclass(cls, Reading):
        return {"summary": f"Get a {noun}", "parameters": [IF_NONE_MATCH],
                "responses": {"200": {"description": "The item.", "headers": with_etag,
                                      "content": _json(item)}}}
    if method in ("put", "patch") and issubclass(cls, Updating):
        if method == "put":
            summary, body = f"Replace a {noun}", item
            description = "Omitted optional fields get their defaults, as on creation."
        else:
            summary, body = f"Change some fields of a {noun}", item(partial=True)
            description = "Only the fields given change."
        return {"summary": summary, "description": description, "body": body,
                "parameters": [IF_MATCH],
                "responses": {"200": {"description": "Updated.", "headers": with_etag,
                                      "content": _json(item)},
                              **{s: _error(s) for s in (*WRITE_ERRORS, "412")}}}
    if method == "delete" and issubclass(cls, Deleting):
        return {"summary": f"Delete a {noun}", "parameters": [IF_MATCH],
                "responses": {"204": {"description": "Deleted."},
                              **{s: _error(s) for s in ("409", "412")}}}
    return None


def _custom(route: Route) -> dict:
    """A resource outside CRUD describes itself in its ``openapi`` attribute: a read-only
    one (``query``, ``response``), an upload (``multipart``, ``response``, ``status``,
    ``errors``), or a command on an item (``body``, ``response``)."""
    spec = route.resource.openapi
    if spec.get("multipart"):
        return {"summary": spec["summary"], "description": spec.get("description", ""),
                "multipart": spec["multipart"],
                "responses": {spec["status"]: {"description": "Stored.",
                                               "content": _json(spec["response"])},
                              **{s: _error(s) for s in spec.get("errors", ())}}}
    if spec.get("body"):  # a command on an item (a status change)
        return {"summary": spec["summary"], "description": spec.get("description", ""),
                "body": spec["body"], "parameters": [IF_MATCH],
                "responses": {"200": {"description": "Done.", "headers": {"ETag": ETAG},
                                      "content": _json(spec["response"])},
                              **{s: _error(s) for s in (*WRITE_ERRORS, "412")}}}
    query = [{"in": "query", "schema": spec["query"]}] if spec.get("query") else []
    return {"summary": spec["summary"], "description": spec.get("description", ""),
            "parameters": [*query, IF_NONE_MATCH],
            "responses": {"200": {"description": "OK.", "headers": {"ETag": ETAG},
                                  "content": _json(spec["response"])}}}


def _operation(route: Route, method: str) -> dict:
    """The OpenAPI operation for ``method`` of ``route``'s resource."""
    cls = route.resource
    parts = _crud(route, method) or _custom(route)
    path_params = [_id_parameter(route)] if "{id}" in route.path else []
    responses = dict(parts["responses"])
    if method == "get":
        responses["304"] = {"description": "Not modified (If-None-Match).",
                            "headers": {"ETag": ETAG}}
    if path_params:
        responses["404"] = _error("404")
    responses["422"] = _error("422")
    private = cls.private or method.upper() not in SAFE_METHODS
    if private:
        responses.update({s: _error(s) for s in ("401", "403")})
    operation = {"tags": [cls.tag], "summary": parts["summary"],
                 "operationId": f"{route.endpoint}_{method}",
                 "parameters": [*path_params, *parts.get("parameters", [])],
                 "security": [{"bearerAuth": []}] if private else [],
                 "responses": dict(sorted(responses.items()))}
    if parts.get("description"):
        operation["description"] = parts["description"]
    if parts.get("body") is not None:
        operation["requestBody"] = {"required": True, "content": _json(parts["body"])}
    if parts.get("multipart") is not None:
        operation["requestBody"] = {"required": True, "content": {
            "multipart/form-data": {"schema": parts["multipart"]}}}
    return operation


def build_spec() -> dict:
    """The OpenAPI document of every route, as a dict."""
    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": DESCRIPTION},
                   servers=[{"url": "/api/v1"}],
                   tags=[{"name": name} for name in
                         ("categories", "products", "news", "users", "orders", "broadcasts",
                          "media")])
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in ERRORS.values():
        spec.components.response(name, {"description": description,
                                        "content": _json("Error")})
    for route in ROUTES:
        methods = sorted(m.lower() for m in route.resource.methods
                         if m not in ("HEAD", "OPTIONS"))
        spec.path(path=route.path,
                  operations={m: _operation(route, m) for m in methods})
    return spec.to_dict()


def _spec_response() -> Response:
    spec = current_app.extensions.get("tgshop.openapi")
    if spec is None:
        spec = json.dumps(build_spec(), ensure_ascii=False, indent=1)
        current_app.extensions["tgshop.openapi"] = spec
    return Response(spec, mimetype="application/json")


def _docs_response() -> Response:
    page = resources.files("api").joinpath("docs.html").read_text(encoding="utf-8")
    return Response(page, mimetype="text/html")


def docs_blueprint(blueprint: Blueprint) -> None:
    """Add ``/openapi.json`` and ``/docs`` to the API's blueprint."""
    blueprint.add_url_rule("/openapi.json", "openapi", _spec_response)
    blueprint.add_url_rule("/docs", "docs", _docs_response)
    blueprint.add_url_rule("/docs/", "docs_slash", _docs_response)

