"""The media rules: what a picture reference may be, and how pictures get into the directory."""

from __future__ import annotations

import os

import pytest

from engine.media import MediaDir, PictureRefused, sniff
from tests.engine.conftest import MINI


@pytest.fixture
def media(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "orange.png").write_bytes((MINI / "orange.png").read_bytes())
    return MediaDir(tmp_path / "pics")


def test_the_three_kinds(media):
    assert media.resolve("orange.png").kind == "file"
    assert media.resolve("https://example.com/a.png").kind == "url"
    assert media.resolve("AgACAgIAAxkBAAIBa2ZmZmZmZmZm").kind == "file_id"


@pytest.mark.parametrize("ref", ["/etc/passwd", "../x.png", "a/../../x.png", "~/x.png",
                                 "file:///etc/passwd", "", "x\n.png", "javascript:alert(1)"])
def test_refused(media, ref):
    with pytest.raises(PictureRefused):
        media.resolve(ref)


def test_symlinks_may_not_lead_out(media, tmp_path):
    (tmp_path / "outside.png").write_bytes((MINI / "orange.png").read_bytes())
    os.symlink(tmp_path / "outside.png", media.root / "link.png")
    with pytest.raises(PictureRefused, match="leads out"):
        media.resolve("link.png")
    os.symlink(media.root / "orange.png", media.root / "inside.png")
    assert media.resolve("inside.png").kind == "file"


def test_without_a_directory_no_file_is_sent():
    with pytest.raises(PictureRefused, match="no media directory"):
        MediaDir(None).resolve("orange.png")


def test_save_names_a_picture_by_its_content(media):
    data = (MINI / "orange.png").read_bytes()
    name = media.save(data)
    assert name == media.save(data) and name.endswith(".png") and sniff(data) == "png"
    assert media.resolve(name).kind == "file"
    assert not [n for n in os.listdir(media.root) if n.startswith(".upload-")]
    with pytest.raises(PictureRefused, match="not a PNG"):
        media.save(b"#!/bin/sh\nrm -rf /\n")
