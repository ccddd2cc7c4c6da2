"""Fixtures of the playground's tests: playgrounds of the mini example and of a tiny bot
copied where a test may edit it, and their Flask test clients."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.loader import load_flows
from engine.playground import Playground, create_app, discover
from tests.engine.conftest import MINI

ROOT = Path(__file__).resolve().parents[3]
TINY = Path(__file__).resolve().parent / "tiny"
MINI_TARGET = "tests.engine.examples.mini.replay:target"


def playground_app(directory: Path, *, target: str | None = None, setup=None):
    """The web app of a playground of ``directory`` (its flows alone, on a memory store)."""
    load_flows(directory)
    playground = Playground(discover.bare_application(directory), discover.default_settings())
    web = create_app(playground, media=[ROOT], setup=setup, target=target)
    web.playground = playground
    return web


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    """A copy of the tiny bot that a test may edit."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


@pytest.fixture
def tiny(tiny_dir):
    return playground_app(tiny_dir)


@pytest.fixture
def mini():
    from tests.engine.examples.mini import actions

    actions.FAILURES["place"] = False
    return playground_app(MINI, target=MINI_TARGET)
