"""Pictures uploaded into the media directory."""

from __future__ import annotations

from marshmallow import Schema, fields

__all__ = ["MediaSchema", "MediaUploadSchema"]


class MediaSchema(Schema):
    """An uploaded picture: put ``name`` in a product's or a news item's ``image``."""

    name = fields.String(metadata={"description": "The picture's name in the media directory "
                                                  "(its content's hash and type).",
                                   "example": "3f1c0a9e5b7d4c2a8e6f1b0d9c7a5e3f.png"})
    type = fields.String(metadata={"enum": ["png", "jpg", "gif", "webp"]})
    size = fields.Integer(metadata={"description": "Bytes."})


class MediaUploadSchema(Schema):
    """The multipart form of ``POST /media``: one picture in the field ``file``."""

    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "A PNG, JPEG, GIF or WebP picture of at most 10 MB."})
