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
