"""The shop in the playground: found by its flows directory, on the demo catalog, and a
session saved as a script replays against the shop's target (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

import models
import settings
from engine.cli import main
from engine.loader import load_flows
from engine.playground import Playground, create_app, discover
from flows.shop import FLOWS_DIR, shop


@pytest.fixture
def web():
    load_flows(FLOWS_DIR)
    app, target = discover.find(FLOWS_DIR)
    assert (app, target) == (shop, "flows.replay:target")
    setup = discover.default_setup(app, target)
    assert setup == ["demo_catalog"]
    config = settings.load(env={"MONGO_URI": "mongomock://localhost/playground_test"})
    yield create_app(Playground(app, config), media=[config.media_dir], setup=setup,
                     target=target)
    models.disconnect()


def bots(snapshot: dict) -> list[dict]:
    return [entry for entry in snapshot["chat"] if entry["from"] == "bot"]


def press(client, entry: dict, index: int) -> dict:
    response = client.post("/api/press", json={"message_id": entry["id"], "index": index})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_shopping_session_saved_as_a_script_replays(web, tmp_path, capsys):
    client = web.test_client()
    snapshot = client.post("/api/keyboard", json={"index": 0}).get_json()  # 🛍 Каталог
    for label in ("Электроника", "Аудио", "Наушники"):
        entry = bots(snapshot)[-1]
        labels = [text for row in entry["buttons"] for text in row]
        snapshot = press(client, entry, labels.index(label))
    cards = [entry for entry in bots(snapshot) if entry["buttons"] == [["🛒 В корзину"]]]
    assert len(cards) >= 2 and all(card["photo"]["url"].startswith("/media/") for card in cards)
    with client.get(cards[0]["photo"]["url"]) as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/png"
    for card in cards[:2]:
        snapshot = press(client, card, 0)
        assert snapshot["answer"]["text"].endswith("в корзине: 1 шт.")
    snapshot = client.post("/api/keyboard", json={"index": 1}).get_json()  # 🛒 Корзина
    cart = bots(snapshot)[-1]
    labels = [text for row in cart["buttons"] for text in row]
    assert labels.count("➕") == 2
    second_plus = labels.index("➕", labels.index("➕") + 1)
    snapshot = press(client, cart, second_plus)  # the second line's ➕: recorded by position
    assert snapshot["state"] == "cart" and bots(snapshot)[-1]["edited"]

    script = client.get("/api/script").get_data(as_text=True)
    assert "setup:\n- demo_catalog\n" in script
    assert f"- click:\n    index: {second_plus}\n  message: -1\n" in script
    path = tmp_path / "session.yaml"
    path.write_text(script, encoding="utf-8")
    capsys.readouterr()
    assert main(["replay", str(path), "--target", "flows.replay:target"]) == 0
    assert f"PASS {path}" in capsys.readouterr().out


def test_the_command_line_refuses_flows_that_fail_the_checker(tmp_path, capsys):
    (tmp_path / "bot.yaml").write_text("bot: {start: nowhere}\n", encoding="utf-8")
    assert main(["playground", str(tmp_path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bot.yaml'}:1:" in err
    assert err.rstrip().endswith("problem(s) found: fix them and start again")


def test_the_command_line_is_listed():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "engine", "playground", "--help"],
                          capture_output=True, text=True, cwd=Path(FLOWS_DIR).parent, timeout=60)
    assert done.returncode == 0 and "--port" in done.stdout and "--media-dir" in done.stdout
