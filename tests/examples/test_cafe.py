"""The cafe example (examples/cafe): its flows check clean, its scripts cover all of them,
its bookings are atomic, and it runs with the same commands as the shop."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from engine import ChatClient
from engine.cli import main as engine_main
from engine.replay import Runner, load_script
from engine.replay.script import find_scripts
from examples.cafe import models
from examples.cafe.flows import replay
from examples.cafe.flows.cafe import cafe, load_settings, open_database

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = ROOT / "examples" / "cafe" / "conversations"
DAY = "2030-05-28"  # tomorrow in the scripts' clock (replay.NOW)


@pytest.fixture
def cafe_db():
    open_database("mongomock://localhost/cafe_test")
    yield
    import mongoengine

    mongoengine.get_db().client.drop_database("cafe_test")
    mongoengine.disconnect()


def test_the_cafe_flows_check_clean(capsys):
    assert engine_main(["check", "examples/cafe/flows"]) == 0
    assert "examples/cafe/flows: OK (11 states" in capsys.readouterr().out


def test_the_conversations_cover_every_transition_and_state():
    runner = Runner("examples.cafe.flows.replay:target")
    languages = set()
    for path in find_scripts([CONVERSATIONS]):
        script = load_script(path)
        languages.add(script.user.get("language"))
        result = runner.run(script)
        assert result.ok, "\n".join(result.failures)
    report = runner.coverage.report()
    assert runner.coverage.percent == 100, report
    assert "states 11/11" in report, report
    assert languages == {"ru", "en"}


def test_graph_is_written_from_the_compiled_machine(tmp_path):
    target = tmp_path / "cafe.mmd"
    assert engine_main(["graph", "examples/cafe/flows", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("stateDiagram-v2\n    [*] --> main_menu")
    assert "confirm_booking --> booked: confirm" in text


def test_the_last_table_goes_once_and_a_cancel_frees_it_once(cafe_db):
    first = [models.book(DAY, "19:00", user=n, party=2, name="A", phone="+1", tables=2)
             for n in (1, 2)]
    with pytest.raises(models.SlotTaken):
        models.book(DAY, "19:00", user=3, party=2, name="C", phone="+3", tables=2)
    assert models.full_times(DAY, tables=2) == {"19:00"}
    assert models.cancel(first[0].id, user=2) is None  # not hers to cancel
    assert models.cancel(first[0].id, user=1) == first[0]
    assert models.cancel(first[0].id, user=1) is None
    slot = models.Slot.objects.get(id=f"{DAY}T19:00")
    assert (slot.taken, [b.user for b in slot.bookings]) == (1, [2])


def walk_to_confirmation(client: ChatClient) -> None:
    client.send("/book")
    client.click("Вт, 28 мая")
    client.click("19:00")
    client.click("2")
    client.send("Анна")
    client.send("+79161234567")
    assert client.state == "confirm_booking"


def test_a_table_taken_between_the_check_and_the_write_is_refused(monkeypatch):
    """The last table goes to someone else after this update's check passed: the atomic
    update refuses, the guest keeps the confirmation with the message, nothing is booked."""
    client = ChatClient(replay.make_engine(), 7, first_name="Анна", language_code="ru")
    walk_to_confirmation(client)
    replay.book_out(DAY, "19:00")
    monkeypatch.setattr(models, "full_times", lambda day, tables=3: set())  # the stale check
    client.click("✅ Забронировать")
    assert client.last_answer == "Этот час только что заняли. Выберите другой."
    assert client.state == "confirm_booking"
    assert models.bookings_of(7, DAY) == []
    assert models.Slot.objects.get(id=f"{DAY}T19:00").taken == models.TABLES


def test_times_already_past_today_are_not_offered():
    engine = replay.make_engine()
    engine.services = type(engine.services)(now=lambda: datetime(2030, 5, 27, 18, 30))
    client = ChatClient(engine, 8, first_name="Ann", language_code="en")
    client.send("/book")
    client.click("Mon, 27 May")
    assert [[b.label for b in row] for row in client.last.markup.rows] == \
        [["19:00", "20:00", "21:00"], ["« Back"]]


def test_the_console_records_a_script_that_replays(tmp_path, monkeypatch):
    """``run.py --console --record``: the script sets up the console's demo data (the
    application's ``record_setup``) in the console's language, and replays."""
    monkeypatch.setenv("CAFE_NOW", "2030-05-27T10:00")
    monkeypatch.setenv("MONGO_URI", "mongomock://localhost/cafe_console")  # not CI's server
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n2\n"))  # 📅 Book a table, Tue 28 May
    script = tmp_path / "walk.yaml"
    from examples.cafe.run import main

    assert main(["--console", "--lang", "en", "--record", str(script)]) == 0
    recorded = yaml.safe_load(script.read_text(encoding="utf-8"))
    assert recorded["setup"] == ["demo"]
    assert recorded["user"]["language"] == "en"
    assert recorded["steps"][-1]["state"] == "times"
    assert "19:00" not in str(recorded["steps"][-1]["expect"])  # the demo's full slots
    result = Runner(replay.target).run(load_script(script))
    assert result.ok, "\n".join(result.failures)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("# Recorded with --console --record of examples/cafe/flows.\n"
                           "# Replay: python -m engine replay THIS_FILE --target "
                           "examples.cafe.flows.replay:target\n")
    assert recorded["flows"] == "examples/cafe/flows"
    # without the target, replay falls back on the flows' Application (its demo for setup)
    assert engine_main(["replay", str(script)]) == 0


def test_the_webhook_app_serves_the_cafe(monkeypatch):
    from telebot import apihelper

    from engine.run import create_app, webhook_path
    from faketelegram import FakeTelegram
    from tests.engine.test_updates import message

    monkeypatch.setattr(apihelper, "API_URL", apihelper.API_URL)
    monkeypatch.setattr(apihelper, "FILE_URL", apihelper.FILE_URL)
    with FakeTelegram() as tg:
        monkeypatch.setenv("BOT_TOKEN", tg.token)
        monkeypatch.setenv("WEBHOOK_SECRET", "s")
        monkeypatch.setenv("TELEGRAM_API_URL", tg.url)
        monkeypatch.setenv("MONGO_URI", "mongomock://localhost/cafe_webhook")
        config = load_settings()
        client = create_app(cafe, config).test_client()
        assert client.get("/healthz").status_code == 200
        tg.user(7, first_name="Ann").send("hello")  # the chat exists: the bot may answer
        response = client.post(webhook_path(tg.token), json={"update_id": 1, "message": message()},
                               headers={"X-Telegram-Bot-Api-Secret-Token": "s"})
        assert response.status_code == 200
        sent = tg.calls(method="sendMessage")
        assert sent[-1]["ok"] and "This is Café Luna" in sent[-1]["params"]["text"]


def test_the_phone_keyboard_goes_once_the_phone_is_given_in_the_console():
    """The cafe has no main keyboard: the phone step's reply keyboard is taken away when
    the confirmation comes (else it stays under every later screen)."""
    from engine.run.console import Console

    lines: list[str] = []
    console = Console(replay.make_engine(), user_id=9, language_code="en", out=lines.append)
    console.step("/book")
    console.client.click("Tue, 28 May")
    console.client.click("19:00")
    console.client.click("2")
    console.step("Ann")
    assert lines[-1].startswith("⌨️") and "📱 Send my number" in lines[-1]
    lines.clear()
    console.step("+447911123456")
    assert console.client.state == "confirm_booking"
    assert not any(line.startswith("⌨️") for line in lines), lines
    assert "OK 👌" in lines
    assert all(choice[0] == "button" for choice in console.choices.values())
