"""What the engine gives a new bot: a settings loader (``engine.run.Settings.from_env``) and
a database helper (``engine.run.database``), so that no bot copies the shop's."""

from __future__ import annotations

from pathlib import Path

import mongoengine
import pytest
from mongoengine import Document, StringField

from engine import MemoryStore
from engine.run import Application, Settings, database
from engine.run import main as run_main

ROOT = Path(__file__).resolve().parents[2]


def test_settings_from_the_environment_with_the_bots_defaults(tmp_path):
    settings = Settings.from_env({
        "BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
        "WEBHOOK_SECRET": "s3", "MEDIA_DIR": str(tmp_path), "BROADCAST_RATE": "5",
        "MONGO_URI": "mongodb://db:27017/cafe"})
    assert settings == Settings(bot_token="123:abc", telegram_api_url="http://127.0.0.1:8081",
                                webhook_secret="s3", media_dir=str(tmp_path.resolve()),
                                broadcast_rate=5.0, mongo_uri="mongodb://db:27017/cafe")
    assert not settings.embedded_store
    defaults = Settings.from_env({}, mongo_uri="mongomock://localhost/cafe")
    assert defaults.bot_token is None and defaults.broadcast_rate == 25.0
    assert defaults.mongo_uri == "mongomock://localhost/cafe" and defaults.embedded_store
    assert defaults.telegram_api_url == "https://api.telegram.org"
    with pytest.raises(ValueError, match="BROADCAST_RATE"):
        Settings.from_env({"BROADCAST_RATE": "fast"})


def test_settings_read_the_process_environment_and_dotenv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BOT_TOKEN=from-dotenv\nWEBHOOK_SECRET=dotenv\n")
    monkeypatch.setenv("BOT_TOKEN", "restored after the test")  # load_dotenv writes os.environ
    monkeypatch.delenv("BOT_TOKEN")
    monkeypatch.setenv("WEBHOOK_SECRET", "from-env")
    settings = Settings.from_env()
    assert (settings.bot_token, settings.webhook_secret) == ("from-dotenv", "from-env")
    monkeypatch.delenv("BOT_TOKEN")
    assert Settings.from_env(dotenv=False).bot_token is None


class Thing(Document):
    name = StringField(unique=True)
    meta = {"collection": "things"}


def test_the_database_helper_opens_the_embedded_store_with_indexes():
    database.connect("mongomock://localhost/helper_test", documents=[Thing])
    try:
        assert database.is_embedded()
        assert mongoengine.get_db().name == "helper_test"
        assert "name_1" in Thing._get_collection().index_information()
        with database.serialised(), database.serialised():  # re-entrant
            Thing(name="a").save()
        assert isinstance(database.conversation_store(), MemoryStore)
    finally:
        mongoengine.get_db().client.drop_database("helper_test")
        database.disconnect()
    database.connect("mongomock://", default_db="fallback")
    assert mongoengine.get_db().name == "fallback"
    database.disconnect()
    with pytest.raises(ValueError, match="expected mongomock://"):
        database.connect("postgres://localhost/x")


def test_main_needs_no_settings_loader(monkeypatch, capsys):
    """A bot without settings of its own: ``engine.run.main(app)`` reads the environment."""
    from engine.playground.discover import bare_application

    monkeypatch.delenv("BOT_TOKEN", raising=False)
    app = bare_application(ROOT / "tests" / "engine" / "examples" / "mini")
    assert app.load_settings is None
    assert run_main(app, argv=["poll"]) == 2
    assert "BOT_TOKEN is not set" in capsys.readouterr().err
    assert isinstance(app, Application)


def test_the_cafe_copies_no_settings_loader_nor_database_code():
    cafe = ROOT / "examples" / "cafe"
    sources = {path: path.read_text(encoding="utf-8") for path in cafe.rglob("*.py")}
    for path, text in sources.items():
        assert "import settings" not in text, f"{path} reads the shop's settings"
        assert "mongomock" not in text.replace("mongomock://", ""), f"{path} connects itself"
        assert "threading" not in text and "def serialised" not in text, path
    from examples.cafe.flows.cafe import Services
    from examples.cafe.flows.cafe import cafe as app

    assert "texts" not in Services.__dataclass_fields__, "texts are read with ctx.text"
    assert app.unit_of_work is database.serialised and app.is_embedded is database.is_embedded


def test_the_command_line_offers_broadcasts_only_to_a_bot_that_has_them(capsys):
    from examples.cafe.flows.cafe import cafe
    from flows.shop import shop

    with pytest.raises(SystemExit):
        run_main(cafe, argv=["--help"])
    cafe_help = capsys.readouterr().out
    for word in ("broadcast", "{poll,set-webhook,delete-webhook,", "--text", "--news",
                 "--threads", "--no-worker"):
        assert word not in cafe_help, word
    with pytest.raises(SystemExit) as exit_:
        run_main(cafe, argv=["worker"])
    assert exit_.value.code == 2 and "invalid choice: 'worker'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_main(shop, argv=["--help"])
    shop_help = capsys.readouterr().out
    assert "broadcast,worker" in shop_help and "--text" in shop_help and "--no-worker" in shop_help


@pytest.mark.parametrize("text, expected", [
    ("1", True), ("true", True), ("YES", True), (" On ", True),
    ("0", False), ("False", False), ("no", False), ("OFF", False),
    ("", None), ("  ", None), (None, None),
])
def test_one_rule_for_every_yes_no_setting(text, expected):
    from engine.run.env import flag

    assert flag(text, "X") is (False if expected is None else expected)
    assert flag(text, "X", default=True) is (True if expected is None else expected)


@pytest.mark.parametrize("text", ["2", "enabled", "y", "-1", "none"])
def test_a_yes_no_setting_that_is_neither_stops_the_start(text):
    from engine.run.env import flag

    with pytest.raises(ValueError, match=r"BOT_EXCLUSIVE: .* is not yes or no \(expected one "
                       r"of 1, true, yes, on for yes, 0, false, no, off for no"):
        flag(text, "BOT_EXCLUSIVE")


def test_the_run_settings_read_bot_exclusive_as_a_flag():
    """BOT_EXCLUSIVE=on was silently off (the shop's loader took 1/true/yes only), and a bot
    on engine.run.Settings (the cafe) did not read it at all."""
    assert Settings.from_env({}).bot_exclusive is False
    assert Settings.from_env({"BOT_EXCLUSIVE": "on"}).bot_exclusive is True
    assert Settings.from_env({"BOT_EXCLUSIVE": "off"}).bot_exclusive is False
    with pytest.raises(ValueError, match="BOT_EXCLUSIVE: '2'"):
        Settings.from_env({"BOT_EXCLUSIVE": "2"})


def test_the_polling_worker_count_is_a_setting():
    assert Settings.from_env({}).workers == 4
    assert Settings.from_env({"BOT_WORKERS": "16"}).workers == 16
    assert Settings.from_env({"BOT_WORKERS": " 1 "}).workers == 1
    assert Settings.from_env({"BOT_WORKERS": "64"}).workers == 64
    for bad in ("0", "65", "four", "2.5"):
        with pytest.raises(ValueError, match=f"BOT_WORKERS: '{bad}' is not a whole number "
                           "from 1 to 64"):
            Settings.from_env({"BOT_WORKERS": bad})


def test_polling_runs_as_many_ordered_workers_as_bot_workers_says(monkeypatch):
    """run_bot.py polled with 4 workers whatever was set (engine/run/poll.py)."""
    from telebot import apihelper

    import engine.polling
    import engine.telegram
    from engine.playground.discover import bare_application
    from faketelegram import FakeTelegram

    counts = []

    class Recording(engine.telegram.OrderedWorkers):
        def __init__(self, handle, n: int = 4) -> None:
            counts.append(n)
            super().__init__(handle, n)

    monkeypatch.setattr(engine.telegram, "OrderedWorkers", Recording)
    monkeypatch.setattr(engine.polling.Poller, "run_until_signalled", lambda self: None)
    monkeypatch.setattr(apihelper, "API_URL", apihelper.API_URL)  # use_api_url changes it
    monkeypatch.setattr(apihelper, "FILE_URL", apihelper.FILE_URL)
    app = bare_application(ROOT / "tests" / "engine" / "examples" / "mini")
    with FakeTelegram() as tg:
        environ = {"BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "BOT_WORKERS": "3"}
        assert run_main(app, lambda: Settings.from_env(environ), ["poll"]) == 0
        assert run_main(app, lambda: Settings.from_env({**environ, "BOT_WORKERS": ""}),
                        ["poll"]) == 0
    assert counts == [3, 4]


def test_set_webhook_says_webhook_secret_is_missing_and_why(capsys):
    """A newcomer's `set-webhook https://shop.example.com --max-connections 8` got only
    `usage: WEBHOOK_SECRET=... run_bot.py set-webhook https://your.host`."""
    from engine.playground.discover import bare_application

    app = bare_application(ROOT / "tests" / "engine" / "examples" / "mini")
    argv = ["set-webhook", "https://shop.example.com", "--max-connections", "8"]
    assert run_main(app, lambda: Settings(bot_token="1:x"), argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("WEBHOOK_SECRET is not set: set-webhook needs it")
    assert "the webhook refuses requests without it" in err and "long random string" in err
    assert run_main(app, lambda: Settings(bot_token="1:x", webhook_secret="s"),
                    ["set-webhook"]) == 2
    err = capsys.readouterr().err
    assert "set-webhook needs the bot's public base URL" in err and "WEBHOOK_SECRET" not in err


def test_sigterm_during_start_up_is_a_clean_stop(monkeypatch):
    """systemd may stop a unit that is still starting: the signal used to kill the process
    outright until the poller's handler was installed (after "polling as @..." was logged,
    the workers and housekeeping started): now it is handled from the start, nothing is
    polled and what was started is stopped."""
    import os
    import signal

    from telebot import apihelper

    from engine.playground.discover import bare_application
    from faketelegram import FakeTelegram

    monkeypatch.setattr(apihelper, "API_URL", apihelper.API_URL)  # use_api_url changes it
    monkeypatch.setattr(apihelper, "FILE_URL", apihelper.FILE_URL)
    app = bare_application(ROOT / "tests" / "engine" / "examples" / "mini")
    start = type(app).start

    def start_then_signal(self, *args, **kwargs):
        engine = start(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # delivered at once, in this (main) thread
        return engine
    monkeypatch.setattr(type(app), "start", start_then_signal)
    def unhandled(signum, frame):  # stands for the default action: the process killed
        raise AssertionError("SIGTERM came before the bot handled it")
    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        with FakeTelegram() as tg:
            environ = {"BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url}
            assert run_main(app, lambda: Settings.from_env(environ), ["poll"]) == 0
            polled = tg.polls()
        assert polled == 0
        assert signal.getsignal(signal.SIGTERM) is unhandled  # the handler is put back
    finally:
        signal.signal(signal.SIGTERM, previous)
