"""Fixtures for the engine's tests: example flows, a chat client, temporary flow dirs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine import ChatClient, Engine, MemoryStore, Registry, StubSender, load_flows

EXAMPLES = Path(__file__).parent / "examples"
MINI = EXAMPLES / "mini"

BASE_TEXTS = {
    "engine.error": "Sorry", "engine.outdated": "Outdated", "engine.next": "Next",
    "engine.previous": "Prev", "engine.more": "More", "engine.invalid": "Invalid",
    "engine.reset": "Reset", "engine.keyboard": "Menu", "engine.unexpected": "Unexpected",
    "engine.foreign_contact": "Not your contact",
    "menu.title": "Menu", "a.go": "Go",
}


@pytest.fixture
def mini_flows():
    return load_flows(MINI)


@pytest.fixture
def make_client(mini_flows):
    """Build chat clients on one engine (one per user), sharing the store and the sender."""
    engine = Engine(mini_flows, MemoryStore(), StubSender())

    def make(user_id: int = 1, **kwargs) -> ChatClient:
        kwargs.setdefault("first_name", "Ann")
        return ChatClient(engine, user_id, **kwargs)
    return make


@pytest.fixture
def client(make_client):
    from tests.engine.examples.mini import actions

    actions.FAILURES["place"] = False
    return make_client()


@pytest.fixture
def registry():
    reg = Registry()
    reg.action("save")(lambda ctx: None)
    reg.condition("is_ok")(lambda ctx: True)
    reg.validator("email")(lambda ctx, value: value)
    reg.data_source("items")(lambda ctx: [])
    return reg


@pytest.fixture
def flow_dir(tmp_path, registry):
    """Write flow files into a temporary directory and load them; returns the loader."""

    def write(files: dict[str, str], texts: dict | None = None, langs=("en",)):
        for name, content in files.items():
            (tmp_path / name).write_text(textwrap.dedent(content), encoding="utf-8")
        catalog = {lang: {**BASE_TEXTS, **(texts or {})} for lang in langs}
        return lambda: load_flows(tmp_path, registry=registry, texts=catalog)
    return write
