import pytest

import settings


def test_defaults():
    s = settings.load({})
    assert s.mongo_uri == "mongomock://localhost/shop" and s.embedded_store
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.bot_token is None and s.api_tokens == frozenset() and s.admin_ids == frozenset()


def test_values_are_parsed():
    s = settings.load({"BOT_TOKEN": "1:x", "MONGO_URI": "mongodb://h/db", "API_TOKENS": "a, b,,",
                       "ADMIN_IDS": "1,2", "TELEGRAM_API_URL": "http://127.0.0.1:9/",
                       "WEBHOOK_SECRET": "s"})
    assert s.api_tokens == {"a", "b"} and s.admin_ids == {1, 2} and not s.embedded_store
    assert s.telegram_api_url == "http://127.0.0.1:9"


def test_bad_admin_id_is_named():
    with pytest.raises(ValueError, match="'x'"):
        settings.load({"ADMIN_IDS": "1,x"})


@pytest.mark.parametrize("value", ["fast", "0", "-5", "nan", "inf"])
def test_a_bad_broadcast_rate_is_named(value):
    with pytest.raises(ValueError, match="BROADCAST_RATE"):
        settings.load({"BROADCAST_RATE": value})


def test_broadcast_rate():
    assert settings.load({}).broadcast_rate == 25.0
    assert settings.load({"BROADCAST_RATE": "12.5"}).broadcast_rate == 12.5


def test_a_private_chat_is_refused_as_the_staff_chat():
    """Issue 15: a private chat as STAFF_CHAT_ID made Cancel never completable."""
    with pytest.raises(ValueError, match="STAFF_CHAT_ID: 900 is a private chat"):
        settings.load({"STAFF_CHAT_ID": "900"})
    assert settings.load({"STAFF_CHAT_ID": "-1001234567890"}).staff_chat_id == -1001234567890


@pytest.mark.parametrize("name, field", [("BOT_EXCLUSIVE", "bot_exclusive"),
                                         ("STARS", "stars"), ("API_DEMO", "api_demo")])
def test_every_yes_no_setting_takes_the_same_words(name, field):
    """STARS=on was on but BOT_EXCLUSIVE=on and API_DEMO=on silently off; STARS=2 off."""
    assert getattr(settings.load({}), field) is False
    assert getattr(settings.load({name: ""}), field) is False
    for yes in ("1", "true", "Yes", "ON"):
        assert getattr(settings.load({name: yes}), field) is True, yes
    for no in ("0", "FALSE", "no", "off"):
        assert getattr(settings.load({name: no}), field) is False, no
    for bad in ("2", "enabled"):
        with pytest.raises(ValueError, match=f"{name}: '{bad}' is not yes or no .*on for yes"):
            settings.load({name: bad})


def test_the_polling_worker_count():
    assert settings.load({}).workers == 4
    assert settings.load({"BOT_WORKERS": "16"}).workers == 16
    with pytest.raises(ValueError, match="BOT_WORKERS: '65' is not a whole number from 1 to 64"):
        settings.load({"BOT_WORKERS": "65"})


@pytest.mark.parametrize("name", ["STARS_RATE", "PAYMENT_HOLD_MINUTES"])
def test_a_bad_whole_number_is_named(name):
    with pytest.raises(ValueError, match=f"{name}: '0' is not a whole number"):
        settings.load({name: "0"})


def test_the_docstring_cites_no_missing_document():
    """It cited design.md, which is not in the repository, and claimed nothing else read
    the environment."""
    assert "design.md" not in settings.__doc__
    for name in ("ADMIN_SECRET_KEY", "ADMIN_PASSWORD", "ADMIN_COOKIE_SECURE",
                 "ADMIN_SESSION_HOURS", "ADMIN_LOGIN_ATTEMPTS", "ENGINE_COVERAGE_FILE",
                 "CAFE_NOW"):
        assert name in settings.__doc__, name


@pytest.mark.parametrize("name, key, default", [
    ("ADMIN_COOKIE_SECURE", "SESSION_COOKIE_SECURE", False),
    ("ADMIN_COOKIE_HTTPONLY", "SESSION_COOKIE_HTTPONLY", True),
])
def test_the_admins_cookie_flags_take_the_same_words(name, key, default, monkeypatch):
    from flask import Flask

    from api.admin.security import cookie_settings

    def flag(value: str) -> bool:
        monkeypatch.setenv(name, value)
        app = Flask(__name__)
        cookie_settings(app)
        return app.config[key]

    assert flag("") is default and flag("  ") is default
    assert flag("on") is True and flag("Yes") is True and flag("OFF") is False
    with pytest.raises(ValueError, match=f"{name}: '2' is not yes or no"):
        flag("2")


def test_gunicorns_config_reads_bot_exclusive_with_the_same_words(monkeypatch):
    """deploy/gunicorn.conf.py reads BOT_EXCLUSIVE without importing the project (its guard
    against several workers); BOT_EXCLUSIVE=on passed that guard."""
    import runpy
    from pathlib import Path

    from engine.run.env import FALSE, TRUE

    conf = runpy.run_path(str(Path(settings.__file__).parent / "deploy" / "gunicorn.conf.py"))
    for word in TRUE + ("ON", " Yes "):
        monkeypatch.setenv("BOT_EXCLUSIVE", word)
        assert conf["_exclusive"]() is True, word
    for word in FALSE:
        monkeypatch.setenv("BOT_EXCLUSIVE", word)
        assert conf["_exclusive"]() is False, word
