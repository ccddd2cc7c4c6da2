"""The second bot, examples/cafe, in the playground: found by its flows directory, and a
session saved as a script replays against the cafe's target (its clock pinned by CAFE_NOW,
as the target pins it)."""

from __future__ import annotations

import time

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


def to_the_phone_step(cafe):
    """A test client's session of the cafe at the phone step (its reply keyboard shown)."""
    client = cafe.test_client()
    snapshot = client.post("/api/send", json={"text": "/book"}).get_json()
    for _ in range(3):
        last = [entry for entry in snapshot["chat"] if entry["from"] == "bot"][-1]
        snapshot = client.post("/api/press", json={"message_id": last["id"], "index": 0}
                               ).get_json()
    client.post("/api/send", json={"text": "Анна"})
    return client.get_cookie("session")


def keyboard_labels(cafe, cookie) -> list[str]:
    """The reply keyboard's labels as a browser on that session draws them."""
    from tests.engine.playground import browser

    if browser.missing():
        pytest.skip(browser.missing())
    from selenium.webdriver.common.by import By

    with browser.serve(cafe) as url, browser.chromium() as driver:
        browser.open_as(driver, url, cookie)
        # read inside the wait: the page redraws the keyboard when a poll brings news
        return browser.wait_for(driver, lambda d: [
            key.text for key in d.find_elements(By.CSS_SELECTOR, "#keyboard button")])


@pytest.mark.browser
def test_the_contact_button_shows_its_phone_sign_once(cafe):
    """The cafe's contact button is labelled "📱 ..." already: the page adds no second 📱."""
    assert keyboard_labels(cafe, to_the_phone_step(cafe))[0] == "📱 Отправить мой номер"


@pytest.mark.browser
def test_the_page_is_the_sessions_own_on_a_slow_server(cafe):
    """The browser is given the test client's session before the page first asks for the
    chat: a loaded machine answering that first question (a new session, slow to make)
    after the cookie was set must not replace the cookie (the contact button's test failed
    so once under the full suite: the page showed a new session, with no keyboard)."""
    cookie = to_the_phone_step(cafe)
    inner = cafe.wsgi_app

    def slow(environ, start_response):  # the delays of a loaded machine, made certain
        if environ["PATH_INFO"] == "/api/chat" and "session=" not in environ.get(
                "HTTP_COOKIE", ""):
            time.sleep(0.4)  # a new session: its /start runs first
        elif environ["PATH_INFO"] == "/":
            time.sleep(0.8)
        return inner(environ, start_response)

    cafe.wsgi_app = slow
    assert keyboard_labels(cafe, cookie)[0] == "📱 Отправить мой номер"
