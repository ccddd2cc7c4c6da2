"""A Bot API request's parameters, from the query string, a form, JSON or multipart.

Telegram accepts all four and so does the fake; telebot, for one, puts every parameter in the
query string even for POST and sends only files in a multipart body. Values are read the way
the Bot API server reads them: booleans are ``true``/``yes``/``1`` in any case, integers that do
not parse are 0, and JSON-valued parameters (``reply_markup``, ``media``, ``commands``, ...) may
come as a JSON string (query, form, multipart) or as a nested value (JSON body).
"""

from __future__ import annotations

import email.message
import email.utils
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .errors import bad_request

__all__ = ["Params", "UploadedFile", "parse_multipart"]


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """The merged parameters of one request: body values win over query-string values."""

    def __init__(
        self, values: dict[str, object] | None = None, files: dict[str, UploadedFile] | None = None
    ) -> None:
        self.values: dict[str, object] = dict(values or {})
        self.files: dict[str, UploadedFile] = dict(files or {})

    @classmethod
    def from_request(cls, query: str, content_type: str | None, body: bytes) -> Params:
        """Parse a request's query string and body (form, JSON or multipart)."""
        values: dict[str, object] = dict(parse_qsl(query, keep_blank_values=True))
        files: dict[str, UploadedFile] = {}
        mime, options = _split_content_type(content_type or "")
        if body:
            if mime == "application/json":
                try:
                    decoded = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    raise bad_request("can't parse JSON body") from exc
                if not isinstance(decoded, dict):
                    raise bad_request("JSON body must be an object")
                values.update(decoded)
            elif mime == "application/x-www-form-urlencoded":
                values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            elif mime == "multipart/form-data":
                fields, files = parse_multipart(body, options.get("boundary", ""))
                values.update(fields)
        return cls(values, files)

    def __contains__(self, name: str) -> bool:
        return self.has(name)

    def has(self, name: str) -> bool:
        """Whether the parameter is given and not empty (Telegram treats empty as absent)."""
        value = self.values.get(name)
        return value is not None and value != ""

    def text(self, name: str, default: str = "") -> str:
        """The parameter as text; nested JSON values are serialised back to JSON."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def integer(self, name: str, default: int = 0) -> int:
        """The parameter as an integer; like Telegram, garbage reads as 0."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                return int(float(str(value).strip()))
            except ValueError:
                return 0

    def number(self, name: str, default: float = 0.0) -> float:
        """The parameter as a number; garbage reads as ``default``."""
        value = self.values.get(name)
        try:
            return float(value) if value not in (None, "") else default  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default

    def flag(self, name: str) -> bool:
        """The parameter as Telegram reads a boolean: ``true``, ``yes`` or ``1``, any case."""
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "yes", "1")

    def json_value(self, name: str, error: str) -> object | None:
        """A JSON-valued parameter, or None when absent; ``error`` is Telegram's 400 text."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(error) from exc

    def file(self, name: str) -> UploadedFile | None:
        """The uploaded file of a multipart field, if any."""
        return self.files.get(name)

    def redacted(self) -> dict[str, object]:
        """The values for logs and the call log, with files shown by name and size."""
        shown: dict[str, object] = dict(self.values)
        for name, upload in self.files.items():
            shown[name] = f"<file {upload.filename!r}, {len(upload.data)} bytes>"
        return shown


def _split_content_type(header: str) -> tuple[str, dict[str, str]]:
    message = email.message.Message()
    message["content-type"] = header or "application/octet-stream"
    params = {key.lower(): value for key, value in message.get_params(failobj=[])[1:]}
    return message.get_content_type(), params


def parse_multipart(
    body: bytes, boundary: str
) -> tuple[dict[str, object], dict[str, UploadedFile]]:
    """Split a ``multipart/form-data`` body into text fields and files, byte for byte."""
    if not boundary:
        raise bad_request("multipart body without a boundary")
    fields: dict[str, object] = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            continue
        if data.endswith(b"\r\n"):
            data = data[:-2]
        part = email.message.Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                part[name.strip()] = value.strip()
        field = part.get_param("name", header="content-disposition")
        if field is None:
            continue
        field = email.utils.collapse_rfc2231_value(field)
        filename = part.get_filename()
        if filename is None:
            fields[field] = data.decode("utf-8", "replace")
        else:
            files[field] = UploadedFile(
                filename, part.get("content-type", "application/octet-stream"), data
            )
    return fields, files
