"""Files the fake Telegram knows: uploads (kept byte for byte), URLs, and their file ids.

A file sent by URL is not fetched (tests never reach the network); it gets a file id of its
own, the same one every time the same URL is sent, as Telegram caches URLs. Uploads get a new
file id each time, and a ``file_unique_id`` derived from the content.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass

from .errors import bad_request
from .params import UploadedFile

__all__ = ["FileStore", "StoredFile"]

_KIND_PREFIX = {"photo": "AgAC", "document": "BQAC", "sticker": "CAAC"}
_EXTENSIONS = {"photo": "jpg", "document": "bin", "sticker": "webp"}
_THUMB_SIDE = 90


@dataclass
class StoredFile:
    """One stored file; ``data`` is None for a file known only by its URL."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None
    size: int
    width: int
    height: int
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None
    file_path: str = ""

    def to_json(self) -> dict:
        """The Bot API ``File`` object (getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """File ids, what they point at, and the bytes of uploads. Not thread-safe on its own."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._aliases: dict[str, str] = {}  # thumbnail file ids -> the file they belong to
        self._by_url: dict[tuple[str, str], StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def upload(self, kind: str, upload: UploadedFile) -> StoredFile:
        """Store an uploaded file; an empty one is refused as Telegram refuses it."""
        if not upload.data:
            raise bad_request("file must be non-empty")
        width, height = image_size(upload.data)
        digest = hashlib.sha256(upload.data).hexdigest()
        return self._add(
            kind,
            upload.data,
            len(upload.data),
            width,
            height,
            digest,
            file_name=upload.filename or None,
            mime_type=upload.content_type or None,
        )

    def add_bytes(self, kind: str, data: bytes, file_name: str | None = None) -> StoredFile:
        """Store bytes a user sends (a photo or sticker injected through the control API)."""
        width, height = image_size(data)
        digest = hashlib.sha256(data).hexdigest()
        return self._add(kind, data, len(data), width, height, digest, file_name=file_name)

    def resolve(self, kind: str, reference: str) -> StoredFile:
        """The file a string parameter names: a known file id, or an HTTP(S) URL."""
        reference = reference.strip()
        known = self.get(reference)
        if known is not None:
            return known
        if reference.startswith(("http://", "https://")):
            cached = self._by_url.get((kind, reference))
            if cached is None:
                digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()
                cached = self._add(kind, None, 0, 800, 600, digest, url=reference)
                self._by_url[(kind, reference)] = cached
            return cached
        raise bad_request("wrong file identifier/HTTP URL specified")

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id (thumbnail ids included), if any."""
        return self._files.get(self._aliases.get(file_id, file_id))

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file getFile reported at ``file_path``, for downloads."""
        return self._by_path.get(file_path)

    def photo_sizes(self, stored: StoredFile) -> list[dict]:
        """The PhotoSize array of a photo: a thumbnail, then the photo itself (the largest)."""
        full = self._size(stored.file_id, stored, stored.width, stored.height, stored.size)
        if max(stored.width, stored.height) <= _THUMB_SIDE:
            return [full]
        scale = _THUMB_SIDE / max(stored.width, stored.height)
        thumb_id = stored.file_id + "-thumb"
        self._aliases[thumb_id] = stored.file_id
        thumb = self._size(
            thumb_id,
            stored,
            max(1, round(stored.width * scale)),
            max(1, round(stored.height * scale)),
            max(1, stored.size // 20) if stored.size else 0,
        )
        return [thumb, full]

    def _size(self, file_id: str, stored: StoredFile, width: int, height: int, size: int) -> dict:
        unique = stored.file_unique_id if file_id == stored.file_id else stored.file_unique_id + "t"
        data = {"file_id": file_id, "file_unique_id": unique, "width": width, "height": height}
        if size:
            data["file_size"] = size
        return data

    def _add(
        self,
        kind: str,
        data: bytes | None,
        size: int,
        width: int,
        height: int,
        digest: str,
        **extra: str | None,
    ) -> StoredFile:
        number = next(self._counter)
        file_id = f"{_KIND_PREFIX.get(kind, 'BQAC')}AgIAAxkBFake{number:06d}{digest[:12]}"
        path = f"{kind}s/file_{number}.{_EXTENSIONS.get(kind, 'bin')}"
        stored = StoredFile(
            file_id,
            "AQAD" + digest[:16],
            kind,
            data,
            size,
            width,
            height,
            file_path=path,
            **extra,  # type: ignore[arg-type]
        )
        self._files[file_id] = stored
        self._by_path[path] = stored
        return stored


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF, JPEG or WebP image; 512x512 when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if (
        data.startswith(b"RIFF")
        and data[8:12] == b"WEBP"
        and data[12:16] == b"VP8X"
        and len(data) >= 30
    ):
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return 512, 512


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return 512, 512
