"""What the markup parsers share: a byte reader in TDLib's manner, and the entity shape."""

from __future__ import annotations

__all__ = ["SPACES", "MarkupError", "Reader", "entity"]

# td::is_space; NUL is included because TDLib reads the text as a NUL-terminated C string.
SPACES = frozenset(b" \t\r\n\0\v")


class MarkupError(Exception):
    """Markup Telegram cannot parse; the message is TDLib's, without the "can't parse" prefix."""


class Reader:
    """The source as bytes (reading past the end gives 0) and the visible text being built."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.out = bytearray()
        self.utf16 = 0

    def at(self, index: int) -> int:
        """The byte at ``index``, or 0 past the end."""
        return self.data[index] if index < len(self.data) else 0

    def char(self, index: int) -> str:
        """The byte at ``index`` as a one-character string ("\\0" past the end)."""
        return chr(self.at(index))

    def copy(self, byte: int) -> None:
        """Append a source byte to the visible text, counting UTF-16 units per character."""
        if byte & 0xC0 != 0x80:  # the first byte of a character
            self.utf16 += 2 if byte >= 0xF0 else 1
        self.out.append(byte)

    def add_char(self, code: int) -> None:
        """Append a decoded character (from an escape or a character reference)."""
        self.out += chr(code).encode("utf-8", "surrogatepass")
        self.utf16 += 2 if code > 0xFFFF else 1

    def text(self) -> str:
        """The visible text so far."""
        return self.out.decode("utf-8", "replace")


def entity(kind: str, offset: int, length: int, **extra: str) -> dict:
    """A MessageEntity in the Bot API's JSON shape."""
    return {"type": kind, "offset": offset, "length": length, **extra}
