"""The API's exception hierarchy and the one function that turns any exception into JSON.

Every error leaves the API as ``{"code", "status", "message"}`` plus, where it helps,
``location`` (``json``, ``query``, ``header``) and ``errors`` (field name -> messages).
Resources raise :class:`ApiError` subclasses; exceptions of the data layer (mongoengine
validation, uniqueness, business rules) and of werkzeug are mapped here, so a resource
never builds an error response by hand and the answer does not depend on ``TESTING``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote

import mongoengine
from flask import Response, has_request_context, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

import models

logger = logging.getLogger(__name__)

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "error_response",
    "field_errors",
    "flatten",
    "unknown_item",
]


class ApiError(Exception):
    """An error answered with ``status``; ``errors`` maps field names to messages."""

    status = 500
    default_message = "Internal server error."

    def __init__(self, message: str | None = None, *, errors: Mapping | None = None,
                 location: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.errors = dict(errors) if errors else None
        self.location = location
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    status = 400
    default_message = "The request is malformed."


class Unauthorized(ApiError):
    status = 401
    default_message = "A valid bearer token is required."


class Forbidden(ApiError):
    status = 403
    default_message = "This operation is not allowed."


class NotFound(ApiError):
    status = 404
    default_message = "No such resource."


class Conflict(ApiError):
    status = 409
    default_message = "The request conflicts with the current state of the resource."


class PreconditionFailed(ApiError):
    status = 412
    default_message = "The resource has changed since it was read (If-Match failed)."


class UnsupportedMediaType(ApiError):
    status = 415
    default_message = "The request body must be JSON (Content-Type: application/json)."


class Unprocessable(ApiError):
    status = 422
    default_message = "The request is not valid; see errors."


class StorageUnavailable(ApiError):
    """The server cannot store what it was sent (a read-only or full directory)."""

    status = 507
    default_message = "The server cannot store this."


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Nested messages as ``{"a.b.0.c": [message, ...]}``; top-level ones under ``_schema``."""
    flat: dict[str, list[str]] = {}

    def walk(path: str, value: object) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{path}.{key}" if path else str(key), inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(path, inner)
        else:
            flat.setdefault(path or "_schema", []).append(str(value))

    walk(prefix, messages)
    return flat


MONGOENGINE_MESSAGES = {  # the models' stock messages, said as the schemas say them
    "Field is required": "Required.",
    "Not a valid ObjectId": "Must be an id of 24 hexadecimal characters.",
}
# the collections whose items have ids in the URL, and the noun of one item (the stores')
NOUNS = {"news": "news item", "categories": "category", "products": "product",
         "users": "user", "orders": "order", "broadcasts": "broadcast"}
_ITEM_PATH = re.compile(r"/api/v1/([a-z]+)/([^/]+)(?:/.*)?")


def unknown_item(noun: str, raw: object) -> str:
    """The one wording of a 404 for an item: ``No product with id 'abc'.``"""
    return f"No {noun} with id {str(raw)[:64]!r}."


def _not_found() -> str:
    """A 404 of routing: an item's id that is not one (``/products/nope``) is said like a
    missing item; anything else has no such resource."""
    found = _ITEM_PATH.fullmatch(request.path) if has_request_context() else None
    if found and found.group(1) in NOUNS:
        return unknown_item(NOUNS[found.group(1)], unquote(found.group(2)))
    return NotFound.default_message


def sentence(message: str) -> str:
    """The API's one voice: a sentence, capitalised, ending with a full stop."""
    message = MONGOENGINE_MESSAGES.get(message.strip(), message.strip())
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def field_errors(error: mongoengine.ValidationError) -> dict[str, list[str]]:
    """A mongoengine ValidationError as ``{field: [message, ...]}`` (nested fields dotted)."""
    flat = flatten(error.to_dict()) if error.errors else {}
    flat = flat or {"_schema": [error.message or str(error)]}
    return {field: [sentence(m) for m in messages] for field, messages in flat.items()}


def _payload(status: int, message: str, errors: Mapping | None = None,
             location: str | None = None) -> dict:
    body: dict = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"),
                  "message": message}
    if location:
        body["location"] = location
    if errors:
        body["errors"] = errors
    return body


def _describe(exc: BaseException) -> tuple[int, str, Mapping | None, str | None, dict]:
    """Status, message, field errors, location and headers for any exception."""
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.errors, exc.location, exc.headers
    if isinstance(exc, mongoengine.ValidationError):
        return 422, Unprocessable.default_message, field_errors(exc), "json", {}
    if isinstance(exc, mongoengine.DoesNotExist):
        return 404, NotFound.default_message, None, None, {}
    if isinstance(exc, mongoengine.NotUniqueError):
        return 409, "A unique value is already used by another item.", None, None, {}
    if isinstance(exc, models.ModelError):
        fields = {exc.field: [sentence(exc.detail)]} if exc.field and exc.detail else None
        return 409, sentence(str(exc)), fields, "json" if fields else None, {}
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if "Allow" in headers:  # werkzeug lists a set: make the order stable
            headers["Allow"] = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
        message = {
            404: _not_found(),
            405: "The method is not allowed for this resource.",
            413: "The request body is too large.",
        }.get(status, exc.description or HTTP_STATUS_CODES.get(status, "Error"))
        return status, message, None, None, headers
    logger.exception("unhandled error in the API", exc_info=exc)
    return 500, ApiError.default_message, None, None, {}


def error_response(exc: BaseException) -> Response:
    """The JSON response for ``exc``; unexpected exceptions are logged and become a 500."""
    status, message, errors, location, headers = _describe(exc)
    body = json.dumps(_payload(status, message, errors, location), ensure_ascii=False,
                      separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json")
    for name, value in headers.items():
        response.headers[name] = value
    return response
