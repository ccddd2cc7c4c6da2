"""``/media``: pictures uploaded into the media directory (``MEDIA_DIR``), for ``image``.

A product's or a news item's ``image`` may name a file only inside that directory, so
this is how a picture of one's own gets there: the bytes are checked by their content
(PNG, JPEG, GIF, WebP), limited to Telegram's 10 MB, and stored under their hash.
"""

from __future__ import annotations

import logging

from flask import request

from api.errors import StorageUnavailable, Unprocessable, UnsupportedMediaType
from api.http import json_response
from api.resources.base import ApiResource
from api.schemas.fields import media_dir
from api.schemas.media import MediaSchema, MediaUploadSchema
from engine.media import MAX_BYTES, PictureRefused, sniff

logger = logging.getLogger(__name__)

__all__ = ["MediaUpload"]

ENVELOPE = 64 * 1024  # room for the multipart boundaries and headers around the file


class MediaUpload(ApiResource):
    """``POST /media`` (token): store a picture, answer its name."""

    private = True
    tag = "media"
    openapi = {
        "summary": "Upload a picture",
        "description": "Send the picture as `multipart/form-data` in the field `file`. The "
                       "answer's `name` goes into a product's or a news item's `image`. The "
                       "same picture uploaded twice gets the same name.",
        "multipart": MediaUploadSchema,
        "response": MediaSchema,
        "status": "201",
        "errors": ("400", "413", "415"),
    }

    def post(self):
        request.max_content_length = MAX_BYTES + ENVELOPE  # a photo is larger than JSON
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("The upload must be multipart/form-data, with the "
                                       "picture in the field `file`.")
        unknown = (set(request.files) | set(request.form)) - {"file"}
        files = request.files.getlist("file")
        errors = {name: ["Unknown field."] for name in sorted(unknown)}
        if len(files) != 1:
            errors["file"] = ["Exactly one file is required."]
        if errors:
            raise Unprocessable(location="form", errors=errors)
        data = files[0].read(MAX_BYTES + 1)
        try:
            name = media_dir().save(data)
        except PictureRefused as err:
            raise Unprocessable(location="form",
                                errors={"file": [f"{err.reason[0].upper()}{err.reason[1:]}."]}
                                ) from None
        except OSError as err:  # a read-only or full MEDIA_DIR: the operator's to fix
            logger.error("cannot store an upload in MEDIA_DIR: %s", err)
            raise StorageUnavailable("The picture could not be stored: the media directory "
                                     "is not writable or full. Tell the shop's operator "
                                     "(MEDIA_DIR).") from None
        body = MediaSchema().dump({"name": name, "type": sniff(data[:16]), "size": len(data)})
        return json_response(body, 201)
