"""Pictures a bot may send: a Telegram ``file_id``, an http(s) URL, or a file of one media
directory.

A picture reference comes from data (a product's ``image``, a news item's, a flow's
template), so it is never trusted as a path: a name is relative to the media directory,
may not be absolute nor contain ``..``, must stay inside the directory once symlinks are
resolved, and must be a picture by its content (PNG, JPEG, GIF or WebP, at most Telegram's
10 MB). The API checks references when they are written and the senders check them again
when they send (a reference written before these rules, or a file changed since, is
refused there too); :meth:`MediaDir.save` is how a picture gets into the directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from engine.sender import SendError

MAX_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo sent by upload
FILE_ID = re.compile(r"[A-Za-z0-9_-]{20,255}")  # Telegram's file ids: base64url, no dots
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # one path segment of a name
MAX_REF = 512
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF87a", "gif"),
               (b"GIF89a", "gif"))

__all__ = ["MAX_BYTES", "MediaDir", "Picture", "PictureRefused", "sniff"]


class PictureRefused(SendError):
    """A picture reference that may not be sent; ``reason`` says why, for people."""

    def __init__(self, ref: object, reason: str) -> None:
        super().__init__(400, f"picture {str(ref)[:100]!r} refused: {reason}")
        self.reason = reason


def sniff(head: bytes) -> str | None:
    """The picture type of a file's first bytes (``png``, ``jpg``, ``gif``, ``webp``)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class Picture:
    """A checked reference: ``kind`` is ``file_id``, ``url`` or ``file`` (``value`` is then
    the file's real path)."""

    kind: str
    value: str


class MediaDir:
    """The one directory whose pictures may be uploaded to Telegram (``None``: none may)."""

    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root).resolve() if root is not None else None

    def __repr__(self) -> str:
        return f"MediaDir({str(self.root)!r})"

    def resolve(self, ref: object) -> Picture:
        """The checked picture ``ref`` names; raises :class:`PictureRefused`."""
        if not isinstance(ref, str) or not ref or len(ref) > MAX_REF:
            raise PictureRefused(ref, f"expected a file_id, an http(s) URL or a picture name "
                                      f"of at most {MAX_REF} characters")
        if any(ord(c) < 32 or c in "\\\x7f" or c.isspace() for c in ref):
            raise PictureRefused(ref, "contains blanks, backslashes or control characters")
        if "://" in ref or ref.lower().startswith(("http:", "https:")):
            parts = urlsplit(ref)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise PictureRefused(ref, "only http(s) URLs with a host are accepted")
            return Picture("url", ref)
        if FILE_ID.fullmatch(ref) and (self.root is None or not (self.root / ref).is_file()):
            return Picture("file_id", ref)
        return Picture("file", str(self.path(ref)))

    def path(self, name: str) -> Path:
        """The real path of the picture ``name`` in the directory; raises
        :class:`PictureRefused` unless it is one."""
        if self.root is None:
            raise PictureRefused(name, "no media directory is configured")
        pure = PurePosixPath(name)
        if pure.is_absolute() or name.startswith("~"):
            raise PictureRefused(name, "absolute paths are not accepted: give a name in the "
                                       "media directory")
        if not all(NAME.fullmatch(part) and part != ".." for part in pure.parts) or \
                name.endswith("/"):
            raise PictureRefused(name, "not a picture name (letters, digits, '_', '-', '.', "
                                       "'/' between folders; no '..', no hidden files)")
        path = (self.root / pure).resolve()
        if not path.is_relative_to(self.root):
            raise PictureRefused(name, "leads out of the media directory")
        if not path.is_file():
            raise PictureRefused(name, "no such picture in the media directory")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PictureRefused(name, f"{size} bytes; at most {MAX_BYTES} are accepted")
        with path.open("rb") as handle:
            if sniff(handle.read(16)) is None:
                raise PictureRefused(name, "not a PNG, JPEG, GIF or WebP picture")
        return path

    def save(self, data: bytes) -> str:
        """Store a picture's bytes in the directory; returns its name (for ``image``).

        The name is the content's hash, so saving the same picture again changes nothing;
        the file is written aside and renamed into place, so a reader never sees half of it.
        """
        if len(data) > MAX_BYTES:
            raise PictureRefused("upload", f"{len(data)} bytes; at most {MAX_BYTES} are "
                                           "accepted")
        kind = sniff(data[:16])
        if kind is None:
            raise PictureRefused("upload", "not a PNG, JPEG, GIF or WebP picture")
        if self.root is None:
            raise PictureRefused("upload", "no media directory is configured")
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{kind}"
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / name
        if not target.is_file():
            fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return name
