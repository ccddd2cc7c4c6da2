"""The second bot, examples/cafe, in the playground: found by its flows directory, and a
session saved as a script replays against the cafe's target (its clock pinned by CAFE_NOW,
as the target pins it)."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.loader import load_flows
from engine.playground import Playground, create_app, discover

CAFE = "examples/cafe/flows"
TARGET = "examples.cafe.flows.replay:target"


@pytest.fixture
def cafe(monkeypatch):
    import mongoengine

    monkeypatch.setenv("CAFE_NOW", "2030-05-27T10:00")
    monkeypatch.setenv("MONGO_URI", "mongomock://localhost/playground_cafe")
    load_flows(CAFE)
    app, target = discover.find(CAFE)
    assert target == TARGET and discover.default_setup(app, target) == ["demo"]
    yield create_app(Playground(app, app.load_settings()), setup=["demo"], target=target)
    mongoengine.disconnect()


def test_a_booking_walk_saved_in_the_playground_replays(cafe, tmp_path, capsys):
    client = cafe.test_client()
    snapshot = client.get("/api/chat").get_json()
    assert snapshot["bot"] == "cafe" and snapshot["state"] == "main_menu"
    for _ in range(2):  # the first date, then its first free time
        menu = [entry for entry in snapshot["chat"] if entry["from"] == "bot"][-1]
        snapshot = client.post("/api/press", json={"message_id": menu["id"], "index": 0}
                               ).get_json()
    assert snapshot["state"] != "main_menu"
    path = tmp_path / "booking.yaml"
    path.write_text(client.get("/api/script").get_data(as_text=True), encoding="utf-8")
    capsys.readouterr()
    assert main(["replay", str(path), "--target", TARGET]) == 0
    assert f"PASS {path}" in capsys.readouterr().out


def test_the_phone_keyboard_goes_once_the_phone_is_shared(cafe):
    """The cafe has no main keyboard: the reply keyboard of the phone step is taken away
    when the confirmation comes, so the page stops showing it."""
    client = cafe.test_client()
    snapshot = client.post("/api/send", json={"text": "/book"}).get_json()
    for _ in range(3):  # the first date, its first free time, one guest
        last = [entry for entry in snapshot["chat"] if entry["from"] == "bot"][-1]
        snapshot = client.post("/api/press", json={"message_id": last["id"], "index": 0}
                               ).get_json()
    snapshot = client.post("/api/send", json={"text": "Анна"}).get_json()
    assert snapshot["keyboard"][0] == {"label": "📱 Отправить мой номер", "contact": True}
    snapshot = client.post("/api/keyboard", json={"index": 0, "phone": "+447911123456"}
                           ).get_json()
    assert snapshot["state"] == "confirm_booking" and snapshot["keyboard"] == []


@pytest.mark.browser
def test_the_contact_button_shows_its_phone_sign_once(cafe):
    """The cafe's contact button is labelled "📱 ..." already: the page adds no second 📱."""
    from tests.engine.playground import browser

    if browser.missing():
        pytest.skip(browser.missing())
    from selenium.webdriver.common.by import By

    client = cafe.test_client()
    snapshot = client.post("/api/send", json={"text": "/book"}).get_json()
    for _ in range(3):
        last = [entry for entry in snapshot["chat"] if entry["from"] == "bot"][-1]
        snapshot = client.post("/api/press", json={"message_id": last["id"], "index": 0}
                               ).get_json()
    client.post("/api/send", json={"text": "Анна"})
    cookie = client.get_cookie("session")
    with browser.serve(cafe) as url, browser.chromium() as driver:
        driver.get(url + "/static/index.html")
        driver.add_cookie({"name": "session", "value": cookie.value})
        driver.get(url)
        keys = browser.wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR,
                                                                  "#keyboard button"))
        assert keys[0].text == "📱 Отправить мой номер"
