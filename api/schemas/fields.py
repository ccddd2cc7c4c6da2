"""Field types shared by the schemas: text, ids, UTC datetimes, references, booleans."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bson import ObjectId
from flask import current_app, has_app_context
from marshmallow import ValidationError, fields
from marshmallow.utils import missing

import settings
from engine.media import MAX_REF, MediaDir, PictureRefused

OBJECT_ID_PATTERN = "^[0-9a-fA-F]{24}$"
INVALID_ID = "Must be an id of 24 hexadecimal characters."
DATE_TIME = "an RFC 3339 date-time, e.g. 2026-11-01T09:00:00Z"
INT64_MAX = 2**63 - 1

__all__ = [
    "INT64_MAX",
    "INVALID_ID",
    "OBJECT_ID_PATTERN",
    "DateBound",
    "JsonBoolean",
    "ObjectIdField",
    "Picture",
    "Reference",
    "Text",
    "UtcDateTime",
]


class Text(fields.String):
    """A string that can be stored: valid Unicode (no lone surrogates from ``\\ud800``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Must be valid Unicode text.") from None
        return text


PICTURE_HELP = ("A Telegram file_id, an http(s) URL, or the name of a picture in the media "
                "directory (upload one with POST /media).")


def media_dir() -> MediaDir:
    """The API's media directory (``MEDIA_DIR``, in the app's config)."""
    if has_app_context() and current_app.config.get("MEDIA_DIR"):
        return MediaDir(current_app.config["MEDIA_DIR"])
    return MediaDir(settings.load(dotenv=False).media_dir)


class Picture(Text):
    """A picture the bot may send: a ``file_id``, an http(s) URL, or a picture's name in
    the media directory (no absolute path, no ``..``, no symlink out of it, an image by
    its content). The same rules are applied again when the bot sends it."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": PICTURE_HELP, "maxLength": MAX_REF,
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            media_dir().resolve(text)
        except PictureRefused as err:
            raise ValidationError(f"Must be {PICTURE_HELP[0].lower()}{PICTURE_HELP[1:-1]}; "
                                  f"this is not one ({err.reason}).") from None
        return text


class ObjectIdField(fields.String):
    """A document id: 24 hexadecimal characters in, :class:`bson.ObjectId` out."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": OBJECT_ID_PATTERN, "example": "6650c0ffee0000000000cafe",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ObjectId.is_valid(text):
            raise ValidationError(INVALID_ID)
        return ObjectId(text)


class Reference(ObjectIdField):
    """The id of a referenced document, read without loading (dereferencing) it."""

    def get_value(self, obj, attr, accessor=None, default=missing):
        to_mongo = getattr(obj, "to_mongo", None)
        if to_mongo is None:
            return super().get_value(obj, attr, accessor=accessor, default=default)
        return to_mongo(fields=[attr]).get(attr)


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?")


def parse_datetime(text: str) -> dt.datetime:
    """An RFC 3339 date-time as naive UTC, truncated to the millisecond MongoDB keeps.

    A value without an offset is read as UTC; a leap second counts as the second before.
    """
    match = _DATE_TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(f"Must be {DATE_TIME}.")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7) or "", match.group(8)
    try:
        value = dt.datetime(year, month, day, hour, minute, min(second, 59),
                            int(fraction[:3].ljust(3, "0")) * 1000)
        if offset and offset not in "Zz":
            sign = -1 if offset[0] == "-" else 1
            delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            value = (value.replace(tzinfo=dt.timezone(sign * delta))
                     .astimezone(dt.UTC).replace(tzinfo=None))
    except (ValueError, OverflowError):
        raise ValidationError(f"Must be {DATE_TIME}, within the years 1 to 9999.") from None
    return value


class UtcDateTime(fields.DateTime):
    """An RFC 3339 date-time; stored as naive UTC, shown as ``...Z`` with milliseconds."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"

    def _deserialize(self, value, attr, data, **kwargs):
        return parse_datetime(value)


class DateBound(fields.Field):
    """A query bound: a date (``2026-11-01``) or an RFC 3339 date-time, as naive UTC.

    With ``end=True`` a bare date means the end of that day, so ``..._to=2026-11-01``
    includes the whole day.
    """

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        metadata = {"anyOf": [{"type": "string", "format": "date"},
                              {"type": "string", "format": "date-time"}],
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.end = end

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 64:
            raise ValidationError(f"Must be a date (YYYY-MM-DD) or {DATE_TIME}.")
        text = value.strip()
        if len(text) != 10:
            return parse_datetime(text)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError("Must be a date (YYYY-MM-DD).") from None
        start = dt.datetime(day.year, day.month, day.day)
        if not self.end:
            return start
        if day == dt.date.max:
            return dt.datetime.max.replace(microsecond=999000)
        return start + dt.timedelta(days=1) - dt.timedelta(milliseconds=1)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: only ``true`` and ``false``, not ``"yes"`` or ``1``."""

    def _deserialize(self, value, attr, data, **kwargs):
        # identity, not equality: 1 == True, and 1 is not a JSON boolean
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)
