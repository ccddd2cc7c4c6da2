"""Photos and files: uploads over multipart, file ids, URLs, getFile, editMessageMedia."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from telebot import types
from telebot.apihelper import ApiTelegramException

from .conftest import USER_ID


def _png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (grey), built without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_photo_upload_gets_a_new_reusable_file_id(tg, bot, ann):
    picture = _png(640, 480)
    sent = bot.send_photo(USER_ID, io.BytesIO(picture), caption="<b>Phone</b>", parse_mode="HTML")
    largest = sent.photo[-1]
    assert (largest.width, largest.height, largest.file_size) == (640, 480, len(picture))
    assert sent.photo[0].width == 90 and sent.caption == "Phone"
    again = bot.send_photo(USER_ID, largest.file_id)
    assert again.photo[-1].file_id == largest.file_id  # a file id is reusable and stable
    assert bot.send_photo(USER_ID, sent.photo[0].file_id)  # so is the thumbnail's
    second = bot.send_photo(USER_ID, picture)
    assert second.photo[-1].file_id != largest.file_id  # every upload is a new file...
    assert second.photo[-1].file_unique_id == largest.file_unique_id  # ...of the same content
    entry = tg.transcript(USER_ID, actor="bot")[0]
    assert (
        entry["photo"] == largest.file_id
        and entry["file_size"] == len(picture)
        and entry["caption"] == "Phone"
    )


def test_photo_by_url_is_cached_not_fetched(tg, bot, ann):
    first = bot.send_photo(USER_ID, "https://example.org/cat.jpg")
    second = bot.send_photo(USER_ID, "https://example.org/cat.jpg")
    assert first.photo[-1].file_id == second.photo[-1].file_id
    assert tg.transcript(USER_ID, actor="bot")[0]["url"] == "https://example.org/cat.jpg"


def test_get_file_and_download(tg, bot, ann):
    data = _png(10, 10)
    sent = bot.send_document(USER_ID, types.InputFile(io.BytesIO(data), file_name="price.png"))
    assert sent.document.file_name == "price.png" and sent.document.file_size == len(data)
    info = bot.get_file(sent.document.file_id)
    assert info.file_size == len(data)
    assert bot.download_file(info.file_path) == data
    with pytest.raises(ApiTelegramException, match="invalid file_id"):
        bot.get_file("nope")


def test_edit_message_media(tg, bot, ann):
    sent = bot.send_photo(USER_ID, "https://example.org/a.jpg", caption="A")
    edited = bot.edit_message_media(
        types.InputMediaPhoto(io.BytesIO(_png(100, 50)), caption="B"), USER_ID, sent.message_id
    )  # an upload: telebot sends it as attach://<name> in multipart
    assert edited.caption == "B" and edited.photo[-1].width == 100
    same = types.InputMediaPhoto(edited.photo[-1].file_id, caption="B")
    with pytest.raises(ApiTelegramException, match="message is not modified"):
        bot.edit_message_media(same, USER_ID, sent.message_id)
    recaptioned = bot.edit_message_media(
        types.InputMediaPhoto(edited.photo[-1].file_id, caption="C"), USER_ID, sent.message_id
    )
    assert recaptioned.caption == "C"
    text = bot.send_message(USER_ID, "plain")
    with pytest.raises(ApiTelegramException, match="message media can't be edited"):
        bot.edit_message_media(same, USER_ID, text.message_id)
    current = tg.message(USER_ID, sent.message_id)
    assert current["caption"] == "C" and current["photo"][-1]["width"] == 100
    assert [e["method"] for e in tg.transcript(USER_ID, actor="bot")][:3] == [
        "sendPhoto",
        "editMessageMedia",
        "editMessageMedia",
    ]


def test_sticker_and_empty_upload(tg, bot, ann):
    assert bot.send_sticker(USER_ID, "https://example.org/s.webp").sticker.type == "regular"
    with pytest.raises(ApiTelegramException, match="file must be non-empty"):
        bot.send_photo(USER_ID, io.BytesIO(b""))
