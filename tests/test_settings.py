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
