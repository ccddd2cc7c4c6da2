"""Pictures: ``image`` names only what the bot may send; uploads go into the media directory."""

from __future__ import annotations

import io
import os

import pytest

from models import News, Product

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
BAD = [
    "/proc/self/environ",  # uploaded the bot's environment as a photo before
    "../../../../proc/self/environ",
    "classics-1.png/../../../../../etc/passwd",
    "..",
    "./../catalog.yaml",
    "~/x.png",
    "C:\\Windows\\win.ini",
    "file:///etc/passwd",
    "ftp://example.com/x.png",
    "https://",
    "no-such-file-or-id",
    "missing.png",
    ".hidden.png",
    "a b.png",
    "x" * 600,
]


@pytest.mark.parametrize("image", BAD)
def test_an_image_that_is_not_a_picture_the_bot_may_send_is_422(client, auth, catalog, image):
    product = catalog["products"]["classics-1"]
    news_before = News.objects.count()
    response = client.patch(f"/api/v1/products/{product.pk}", json={"image": image},
                            headers=auth)
    assert response.status_code == 422, image
    assert list(response.get_json()["errors"]) == ["image"]
    assert Product.objects.get(pk=product.pk).image == "classics-1.png"
    news = client.post("/api/v1/news", json={"title": "T", "content": "C", "image": image},
                       headers=auth)
    assert news.status_code == 422 and list(news.get_json()["errors"]) == ["image"]
    assert News.objects.count() == news_before  # nothing to broadcast


def test_a_symlink_out_of_the_media_directory_and_a_file_that_is_not_a_picture(
        client, auth, catalog, media_dir, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)  # a picture, but outside
    (media_dir / "link.png").unlink(missing_ok=True)
    os.symlink(secret, media_dir / "link.png")
    (media_dir / "notes.png").write_text("BOT_TOKEN=123")  # the name lies; the content tells
    product = catalog["products"]["classics-1"]
    for image, reason in (("link.png", "leads out of the media directory"),
                          ("notes.png", "not a PNG, JPEG, GIF or WebP picture")):
        response = client.patch(f"/api/v1/products/{product.pk}", json={"image": image},
                                headers=auth)
        assert response.status_code == 422, image
        assert reason in response.get_json()["errors"]["image"][0]


@pytest.mark.parametrize("image", ["classics-2.png", "https://example.com/pic.png",
                                   "AgACAgIAAxkBAAIBa2ZmZmZmZmZmZmZmZmZm", None])
def test_a_picture_the_bot_may_send_is_accepted(client, auth, catalog, image):
    product = catalog["products"]["classics-1"]
    response = client.patch(f"/api/v1/products/{product.pk}", json={"image": image},
                            headers=auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["image"] == image


def upload(client, auth, data: bytes, name: str = "photo.png", field: str = "file"):
    return client.post("/api/v1/media", data={field: (io.BytesIO(data), name)},
                       headers=auth, content_type="multipart/form-data")


def test_an_uploaded_picture_can_be_named_in_image(client, auth, catalog, media_dir):
    response = upload(client, auth, PNG)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["type"] == "png" and body["size"] == len(PNG)
    assert (media_dir / body["name"]).read_bytes() == PNG
    assert upload(client, auth, PNG).get_json()["name"] == body["name"]  # same picture
    assert upload(client, auth, JPEG, "x.jpg").get_json()["type"] == "jpg"
    product = catalog["products"]["classics-1"]
    patched = client.patch(f"/api/v1/products/{product.pk}", json={"image": body["name"]},
                           headers=auth)
    assert patched.status_code == 200


@pytest.mark.parametrize(("data", "name"), [
    (b"BOT_TOKEN=123\n", "environ.png"), (b"<svg onload=alert(1)>", "x.svg"), (b"", "e.png"),
    (b"GIF8", "short.gif")])
def test_an_upload_that_is_not_a_picture_is_422(client, auth, data, name, media_dir):
    before = set(os.listdir(media_dir))
    response = upload(client, auth, data, name)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["file"]
    assert set(os.listdir(media_dir)) == before


def test_uploads_need_a_token_multipart_one_file_and_a_size_limit(client, auth, monkeypatch):
    assert upload(client, {}, PNG).status_code == 401
    assert client.post("/api/v1/media", json={"file": "x"}, headers=auth).status_code == 415
    assert upload(client, auth, PNG, field="picture").status_code == 422
    from engine import media

    monkeypatch.setattr(media, "MAX_BYTES", 1000)
    monkeypatch.setattr("api.resources.media.MAX_BYTES", 1000)
    big = PNG + b"\x00" * 200_000
    assert upload(client, auth, big).status_code == 413
    assert upload(client, auth, PNG + b"\x00" * 2000).status_code == 422


def test_a_media_directory_that_cannot_be_written_is_a_json_507(client, auth, monkeypatch,
                                                                caplog):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    response = upload(client, auth, PNG + b"unique-bytes")
    assert response.status_code == 507
    assert "MEDIA_DIR" in response.get_json()["message"]
    assert "cannot store an upload in MEDIA_DIR" in caplog.text
