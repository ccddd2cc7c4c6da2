"""Request parameters from the query string, forms, JSON and multipart bodies."""

from __future__ import annotations

import pytest
import requests

from faketelegram import ApiError
from faketelegram.params import Params


def _prepared(**kwargs: object) -> tuple[str, str | None, bytes]:
    request = requests.Request("POST", "http://127.0.0.1/x", **kwargs).prepare()
    query = request.url.partition("?")[2]
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return query, request.headers.get("Content-Type"), body


def test_query_string_and_typed_reads():
    params = Params.from_request(*_prepared(params={"chat_id": "42", "flag": "True", "n": "x"}))
    assert params.text("chat_id") == "42"
    assert params.integer("chat_id") == 42
    assert params.flag("flag") is True and params.flag("missing") is False
    assert params.integer("n") == 0  # Telegram reads garbage as 0
    assert not params.has("missing")


def test_form_overrides_query():
    params = Params.from_request(*_prepared(params={"text": "query"}, data={"text": "form"}))
    assert params.text("text") == "form"


def test_json_body_with_nested_values():
    params = Params.from_request(
        *_prepared(json={"reply_markup": {"inline_keyboard": []}, "flag": True})
    )
    assert params.json_value("reply_markup", "bad") == {"inline_keyboard": []}
    assert params.text("reply_markup") == '{"inline_keyboard": []}'
    assert params.flag("flag")


def test_json_string_parameter_that_does_not_parse():
    params = Params.from_request(*_prepared(params={"reply_markup": "{nope"}))
    with pytest.raises(ApiError, match="can't parse reply keyboard markup JSON object"):
        params.json_value("reply_markup", "can't parse reply keyboard markup JSON object")


def test_multipart_keeps_bytes_exactly():
    payload = bytes(range(256)) * 3 + b"\r\n--\r\n\r\n" + b"\n\r"
    params = Params.from_request(
        *_prepared(
            params={"chat_id": "1"},
            data={"caption": "Привет"},
            files={"photo": ("pic.png", payload, "image/png")},
        )
    )
    upload = params.file("photo")
    assert upload is not None and upload.data == payload
    assert upload.filename == "pic.png" and upload.content_type == "image/png"
    assert params.text("caption") == "Привет" and params.text("chat_id") == "1"
    assert "<file 'pic.png'" in str(params.redacted()["photo"])


def test_bad_json_body():
    with pytest.raises(ApiError, match="can't parse JSON body"):
        Params.from_request("", "application/json", b"{")
