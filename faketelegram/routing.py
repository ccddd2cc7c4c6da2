"""Which part of the fake serves an HTTP request: the Bot API, file downloads, or control."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from . import control_http
from .api import Reply, json_reply
from .errors import ApiError
from .params import Params

if TYPE_CHECKING:
    from .fake import FakeTelegram

__all__ = ["route"]

_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


def route(
    fake: FakeTelegram, method: str, path: str, query: str, content_type: str | None, body: bytes
) -> Reply:
    """Serve ``/bot<token>/<method>``, ``/file/bot<token>/<path>`` or ``/control/...``."""
    if path.startswith("/bot"):
        token, _, name = unquote(path[4:]).partition("/")
        if not name or "/" in name:
            return json_reply(_NOT_FOUND, 404)
        try:
            params = Params.from_request(query, content_type, body)
        except ApiError as error:
            return json_reply(error.to_json(), error.code)
        return fake.api.handle(token, name, params)
    if path.startswith("/file/bot"):
        return _download(fake, unquote(path[len("/file/bot") :]))
    if path.startswith("/control/"):
        return control_http.handle(fake, method, path, query, body)
    return json_reply(_NOT_FOUND, 404)


def _download(fake: FakeTelegram, rest: str) -> Reply:
    """A file's bytes, for ``telebot``'s ``download_file`` after getFile."""
    token, _, file_path = rest.partition("/")
    with fake.world.cond:
        if token not in fake.world.bots:
            return json_reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        stored = fake.world.files.by_path(file_path)
        if stored is None or stored.data is None:
            return json_reply(_NOT_FOUND, 404)
        return Reply(200, stored.data, stored.mime_type or "application/octet-stream")
