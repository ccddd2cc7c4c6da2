"""Reading requests and writing responses: JSON bodies, query parameters, ETags.

Every input goes through a schema here: :func:`load_body` for JSON bodies (400 when
malformed, 415 when not JSON, 413 when too large, 422 when invalid) and
:func:`load_query` for query strings (422). Keys starting with ``$`` are refused
before any schema sees them, so no operator can reach a query.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from flask import Response, request
from marshmallow import Schema, ValidationError

from api.errors import BadRequest, PreconditionFailed, Unprocessable, UnsupportedMediaType, flatten

MAX_DEPTH = 32

__all__ = [
    "check_if_match",
    "etag_of",
    "json_response",
    "load_body",
    "load_query",
    "representation",
]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _check_keys(value: object, path: str = "", depth: int = 0) -> None:
    """Refuse operator-like keys (``$ne``, ``a.b``) anywhere in a body."""
    if depth > MAX_DEPTH:
        raise BadRequest("The JSON body is nested too deeply.")
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            if key.startswith("$") or "." in key or "\x00" in key:
                raise Unprocessable(location="json", errors={
                    where: ["Keys may not start with '$' or contain '.'."]})
            _check_keys(inner, where, depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_keys(inner, f"{path}.{index}" if path else str(index), depth + 1)


def read_json() -> object:
    """The request body parsed as JSON (raises 415, 413 or 400)."""
    if not request.is_json:
        raise UnsupportedMediaType()
    raw = request.get_data(cache=True)  # RequestEntityTooLarge (413) past MAX_CONTENT_LENGTH
    if not raw.strip():
        raise BadRequest("The request body is empty; a JSON object was expected.")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError too
        message = err.msg if isinstance(err, json.JSONDecodeError) else "not valid JSON"
        raise BadRequest(f"The request body is not valid JSON: {message}.") from None
    _check_keys(data)
    return data


def load_body(schema: Schema, *, partial: bool = False) -> dict:
    """The JSON body validated by ``schema`` (422 with field messages when invalid)."""
    data = read_json()
    try:
        return schema.load(data, partial=partial)
    except ValidationError as err:
        raise Unprocessable(location="json",
                            errors=flatten(err.messages)) from None


def load_query(schema: Schema) -> dict:
    """The query string validated by ``schema``; a parameter given twice is an error."""
    args = {key: values[0] if len(values) == 1 else values
            for key, values in request.args.lists()}
    try:
        return schema.load(args)
    except ValidationError as err:
        raise Unprocessable(location="query",
                            errors=flatten(err.messages)) from None


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def etag_of(data: Mapping) -> str:
    """A strong ETag for a representation: a hash of its canonical JSON."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


def json_response(data: object, status: int = 200,
                  headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response."""
    response = Response(_dumps(data), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def representation(data: Mapping, status: int = 200,
                   headers: Mapping[str, str] | None = None) -> Response:
    """An item's JSON with its ETag; 304 when ``If-None-Match`` already has it."""
    etag = etag_of(data)
    if request.method in ("GET", "HEAD") and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    response = json_response(data, status, headers)
    response.set_etag(etag)
    return response


def check_if_match(current: Mapping) -> bool:
    """Raise 412 unless ``If-Match`` (when sent) names ``current``; True when it was sent."""
    if "If-Match" not in request.headers:
        return False
    etag = etag_of(current)
    if not request.if_match.contains(etag):
        raise PreconditionFailed(headers={"ETag": f'"{etag}"'})
    return True
