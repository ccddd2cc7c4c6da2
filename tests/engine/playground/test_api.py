"""The playground's JSON endpoints with Flask's test client: the real engine behind them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.playground import create_app
from tests.engine.conftest import MINI
from tests.engine.playground.conftest import MINI_TARGET, playground_app


def bot_messages(snapshot: dict) -> list[dict]:
    return [entry for entry in snapshot["chat"] if entry["from"] == "bot"]


def press(client, snapshot: dict, label: str, message: int = -1) -> dict:
    """Press the inline button ``label`` of the bot's ``message``-th message."""
    entry = bot_messages(snapshot)[message]
    labels = [label for row in entry["buttons"] for label in row]
    response = client.post("/api/press", json={"message_id": entry["id"],
                                               "index": labels.index(label)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_new_browser_session_starts_the_conversation(mini):
    snapshot = mini.test_client().get("/api/chat").get_json()
    assert snapshot["bot"] == "mini" and snapshot["languages"] == ["en", "ru"]
    assert snapshot["chat"][0] == {"from": "user", "text": "/start"}
    assert bot_messages(snapshot)[0]["html"].startswith("Hello, Guest!")
    assert [key["label"] for key in snapshot["keyboard"]] == ["Catalog", "Cart"]
    assert snapshot["state"] == "menu" and snapshot["problems"] == []


def test_buttons_edits_photos_toasts_and_deletions(mini):
    client = mini.test_client()
    client.get("/api/chat")
    snapshot = client.post("/api/keyboard", json={"index": 0}).get_json()
    assert snapshot["chat"][-2] == {"from": "user", "text": "Catalog"}
    catalog = bot_messages(snapshot)[-1]
    assert catalog["buttons"][0] == ["Fruit", "Vegetables"] and not catalog["edited"]

    snapshot = press(client, snapshot, "Fruit")
    edited = bot_messages(snapshot)[-1]
    assert edited["id"] == catalog["id"] and edited["edited"]  # in place
    assert snapshot["state"] == "catalog" and snapshot["params"] == {"node": "fruit"}

    snapshot = press(client, snapshot, "Citrus")
    orange, lemon, footer = bot_messages(snapshot)[-3:]
    assert orange["photo"] == {"ref": "tests/engine/examples/mini/orange.png",
                               "url": "/media/tests/engine/examples/mini/orange.png"}
    assert "Orange &lt;big&gt;" in orange["html"]
    assert lemon["photo"]["kind"] == "url"  # shown as a reference: no network
    picture = client.get(orange["photo"]["url"])
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    picture.close()

    snapshot = press(client, snapshot, "Add to cart", message=-3)
    assert snapshot["answer"] == {"text": "Added to cart", "alert": False}
    assert snapshot["data"]["cart"] == {"p1": 1}

    snapshot = press(client, snapshot, "Show more")
    ids = [entry["id"] for entry in bot_messages(snapshot)]
    assert footer["id"] not in ids  # the footer was deleted and sent again below
    assert "Lime" in bot_messages(snapshot)[-2]["html"]
    assert bot_messages(snapshot)[-1]["html"] == "Products in Citrus"


def test_a_contact_button_shares_the_phone_given(mini):
    client = mini.test_client()
    client.get("/api/chat")
    snapshot = client.post("/api/keyboard", json={"index": 1}).get_json()  # Cart
    assert snapshot["state"] == "cart"
    client.post("/api/keyboard", json={"index": 0})  # Catalog
    snapshot = client.post("/api/send", json={"text": "/cancel"}).get_json()
    assert snapshot["state"] == "cart"
    snapshot = client.post("/api/contact", json={"phone": "+447911123456"}).get_json()
    assert {"from": "user", "contact": "+447911123456"} in snapshot["chat"]


def test_each_browser_has_its_own_conversation(mini):
    first, second = mini.test_client(), mini.test_client()
    one = first.post("/api/keyboard", json={"index": 0}).get_json()
    two = second.get("/api/chat").get_json()
    assert one["user_id"] != two["user_id"]
    assert (one["state"], two["state"]) == ("catalog", "menu")
    assert first.get("/api/chat").get_json()["state"] == "catalog"


def test_restart_and_the_language_switch_start_a_new_conversation(mini):
    client = mini.test_client()
    before = client.post("/api/keyboard", json={"index": 0}).get_json()
    snapshot = client.post("/api/restart", json={"language": "ru"}).get_json()
    assert snapshot["user_id"] != before["user_id"] and snapshot["language"] == "ru"
    assert snapshot["state"] == "menu" and len(snapshot["chat"]) == 2
    assert bot_messages(snapshot)[0]["html"].startswith("Привет")
    again = client.post("/api/restart", json={}).get_json()  # the same language
    assert again["language"] == "ru" and again["user_id"] != snapshot["user_id"]
    refused = client.post("/api/restart", json={"language": "de"})
    assert refused.status_code == 400 and "expected one of en, ru" in refused.get_json()["error"]


@pytest.mark.parametrize("path, payload, status, error", [
    ("/api/send", {"text": " "}, 400, "'text': expected the text to send"),
    ("/api/send", ["x"], 400, "expected a JSON object"),
    ("/api/press", {"message_id": 999, "index": 0}, 404, "no message 999 with buttons"),
    ("/api/press", {"message_id": "1", "index": 0}, 400, "'message_id': expected an integer"),
    ("/api/keyboard", {"index": 9}, 404, "the reply keyboard has no button #9"),
])
def test_bad_requests_are_told_what_is_wrong(mini, path, payload, status, error):
    response = mini.test_client().post(path, json=payload)
    assert response.status_code == status
    assert response.get_json()["error"].startswith(error)


def test_pictures_outside_the_media_directory_are_not_served(mini):
    client = mini.test_client()
    assert client.get("/media/../setup.cfg").status_code == 404
    assert client.get("/media/setup.cfg").status_code == 404  # not a picture
    with client.get("/media/tests/engine/examples/mini/orange.png") as picture:
        assert picture.status_code == 200


def test_the_page_and_its_files_are_served(mini):
    client = mini.test_client()
    with client.get("/") as page:
        assert page.status_code == 200 and b'<script src="/static/playground.js">' in page.data
    for name in ("playground.css", "playground.js"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200


def test_the_saved_script_replays(mini, tmp_path, capsys):
    client = mini.test_client()
    snapshot = client.post("/api/keyboard", json={"index": 0}).get_json()
    snapshot = press(client, snapshot, "Fruit")
    snapshot = press(client, snapshot, "Citrus")
    snapshot = press(client, snapshot, "Add to cart", message=-3)
    snapshot = client.post("/api/keyboard", json={"index": 1}).get_json()
    press(client, snapshot, "➕ Orange <big>")
    client.post("/api/send", json={"text": "hello?"})
    response = client.get("/api/script")
    assert response.headers["Content-Disposition"] == 'attachment; filename="mini_playground.yaml"'
    script = response.get_data(as_text=True)
    assert f"# Replay: python -m engine replay THIS_FILE --target {MINI_TARGET}" in script
    path = tmp_path / "walk.yaml"
    path.write_text(script, encoding="utf-8")
    capsys.readouterr()
    assert main(["replay", str(path), "--target", MINI_TARGET]) == 0
    assert f"PASS {path} (8 steps" in capsys.readouterr().out


def test_a_script_of_a_bot_without_a_target_replays_on_its_flows(tiny, tiny_dir, tmp_path,
                                                                  capsys):
    """No _replay.yaml and no --target: replay falls back on the Application of the flows
    directory the script names (here the flows alone, on an in-memory store)."""
    client = tiny.test_client()
    snapshot = client.get("/api/chat").get_json()
    press(client, press(client, snapshot, "Next"), "Back")
    script = client.get("/api/script").get_data(as_text=True)
    assert f"flows: {tiny_dir}" in script and "--target" not in script
    assert f"replay runs on the Application of {tiny_dir}" in script
    path = tmp_path / "saved" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(script, encoding="utf-8")
    capsys.readouterr()
    assert main(["replay", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"PASS {path} (3 steps" in out and "1 passed, 0 failed" in out
    assert f"replaying on the Application of {tiny_dir}" in err
    elsewhere = tmp_path / "bare.yaml"  # a script naming no flows: --flows, or a clear error
    elsewhere.write_text(script.replace(f"flows: {tiny_dir}\n", ""), encoding="utf-8")
    assert main(["replay", str(elsewhere), "--flows", str(tiny_dir)]) == 0
    capsys.readouterr()
    assert main(["replay", str(elsewhere)]) == 2
    assert "give --flows DIR" in capsys.readouterr().err


def test_graph_is_drawn_by_graphviz_or_given_as_mermaid(mini, monkeypatch):
    import shutil

    from engine.playground import live

    if shutil.which("dot"):
        graph = mini.test_client().get("/api/graph").get_json()
        assert graph["kind"] == "svg" and graph["svg"].startswith("<svg")
        assert "<title>menu</title>" in graph["svg"] and graph["reloads"] == 0
    monkeypatch.setattr(live.shutil, "which", lambda name: None)
    drawn = live.graph_of(mini.playground.engine.flowset)
    assert drawn["kind"] == "mermaid"
    assert drawn["mermaid"].startswith("stateDiagram-v2\n    [*] --> menu")


def test_a_saved_flow_file_is_reloaded(tiny, tiny_dir):
    client = tiny.test_client()
    snapshot = client.get("/api/chat").get_json()
    assert bot_messages(snapshot)[-1]["html"].startswith("<b>Bold</b>")
    texts = tiny_dir / "texts" / "en.yaml"
    texts.write_text(texts.read_text(encoding="utf-8").replace(
        "Second screen (en)", "Second screen, changed"), encoding="utf-8")
    snapshot = press(client, snapshot, "Next")  # any request looks at the files first
    assert snapshot["reloads"] == 1 and snapshot["problems"] == []
    assert bot_messages(snapshot)[-1]["html"] == "Second screen, changed"
    assert bot_messages(snapshot)[-1]["edited"]  # the same conversation, carried over


def test_flows_that_fail_the_checker_are_reported_and_the_old_ones_run_on(tiny, tiny_dir):
    client = tiny.test_client()
    snapshot = client.get("/api/chat").get_json()
    bot = tiny_dir / "bot.yaml"
    good = bot.read_text(encoding="utf-8")
    bot.write_text(good.replace("dest: second", "dest: third"), encoding="utf-8")
    snapshot = press(client, snapshot, "Next")
    assert snapshot["reloads"] == 0
    where = str(bot.relative_to(Path.cwd())) if bot.is_relative_to(Path.cwd()) else str(bot)
    assert any(problem.startswith(f"{where}:30:5: transitions[2]: ") and "third" in problem
               for problem in snapshot["problems"]), snapshot["problems"]
    assert snapshot["state"] == "second"  # the old flows answered
    bot.write_text(good, encoding="utf-8")
    snapshot = client.post("/api/send", json={"text": "/start"}).get_json()
    assert snapshot["problems"] == [] and snapshot["reloads"] == 1


def test_an_engine_failure_is_shown_beside_the_chat(mini):
    from tests.engine.examples.mini import actions

    client = mini.test_client()
    snapshot = client.post("/api/keyboard", json={"index": 0}).get_json()
    snapshot = press(client, press(client, snapshot, "Fruit"), "Citrus")
    press(client, snapshot, "Add to cart", message=-3)
    snapshot = client.post("/api/keyboard", json={"index": 1}).get_json()
    press(client, snapshot, "Check out")
    client.post("/api/send", json={"text": "ann@example.com"})
    snapshot = client.post("/api/send", json={"text": "+7 999 123-45-67"}).get_json()
    assert snapshot["state"] == "confirm"
    actions.FAILURES["place"] = True
    try:
        snapshot = press(client, snapshot, "Place order")
    finally:
        actions.FAILURES["place"] = False
    assert snapshot["state"] == "confirm"
    assert snapshot["answer"]["alert"] and snapshot["answer"]["text"].startswith("Sorry")
    assert len(snapshot["errors"]) == 1 and "in action 'checkout.place'" in snapshot["errors"][0]


def test_a_request_body_is_limited_to_64_kib(mini):
    client = mini.test_client()
    client.get("/api/chat")
    response = client.post("/api/send", data=b'{"text": "' + b"a" * 70_000 + b'"}',
                           content_type="application/json")
    assert response.status_code == 413 and "error" in response.get_json()
    assert client.post("/api/send", json={"text": "a" * 5000}).status_code == 200


def test_host_headers_other_than_the_bound_host_are_refused():
    """DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1 must not
    drive the playground; the loopback names and the bound address are served."""
    from engine.playground.web import allowed_hosts

    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("192.168.1.5") == ["192.168.1.5"]
    web = playground_app(MINI)
    web_hosts = create_app(web.playground, hosts=allowed_hosts("127.0.0.1"))
    client = web_hosts.test_client()
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/chat", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example:8000", "evil.example", "127.0.0.1.evil.example"):
        response = client.get("/api/chat", headers={"Host": host})
        assert response.status_code == 403, host
        assert "DNS rebinding" in response.get_json()["error"]


def test_the_command_line_warns_when_it_listens_beyond_this_machine(tiny_dir, monkeypatch,
                                                                     capsys):
    from flask import Flask

    served = []
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: served.append(kwargs))
    monkeypatch.setenv("MONGO_URI", "mongomock://localhost/untouched")  # put back after
    assert main(["playground", str(tiny_dir), "--port", "0"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["playground", str(tiny_dir), "--host", "0.0.0.0", "--port", "0"]) == 0
    assert "no authentication" in capsys.readouterr().err
    assert [s["host"] for s in served] == ["127.0.0.1", "0.0.0.0"]
