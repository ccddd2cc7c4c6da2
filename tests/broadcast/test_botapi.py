"""The Bot API client against the fake server: every answer sorted into what to do next."""

from __future__ import annotations

import pytest

from engine.broadcast import (
    BLOCKED,
    FAILED,
    FATAL,
    RETRY_AFTER,
    SENT,
    TRANSIENT,
    BotApi,
    Message,
    classify,
)
from tests.broadcast.conftest import bot_sends
from tests.engine.conftest import MINI


@pytest.fixture
def api(tg):
    client = BotApi(tg.url, tg.token, timeout=(0.5, 0.5), media_dir=MINI)
    yield client
    client.close()


@pytest.fixture
def ann(tg):
    user = tg.user(42, first_name="Ann")
    user.send("/start")
    return user


def test_a_message_is_sent_with_its_formatting(api, tg, ann):
    result = api.send(42, Message("<b>Sale</b> &amp; more"))
    assert result.kind == SENT and result.message_id
    sent = bot_sends(tg, 42)[0]
    assert (sent["text"], sent["parse_mode"]) == ("Sale & more", "HTML")


@pytest.mark.parametrize(("fault", "kind", "extra"), [
    ({"kind": "429", "retry_after": 3}, RETRY_AFTER, {"retry_after": 3.0}),
    ({"kind": "500"}, TRANSIENT, {"code": 500}),
    ({"kind": "502"}, TRANSIENT, {"code": 502, "description": "HTTP 502 Bad Gateway"}),
    ({"kind": "timeout", "delay": 1.0}, TRANSIENT, {"description": "timeout: ReadTimeout"}),
    ({"kind": "disconnect"}, TRANSIENT, {}),
    ({"kind": "error", "code": 400, "description": "Bad Request: something"}, FAILED,
     {"code": 400, "description": "Bad Request: something"}),
])
def test_failures_are_classified(api, tg, ann, fault, kind, extra):
    tg.fail_next("sendMessage", **fault)
    result = api.send(42, Message("hi"))
    assert result.kind == kind
    for name, value in extra.items():
        assert getattr(result, name) == value
    assert bot_sends(tg, 42) == []  # none of them was delivered


def test_blocked_unknown_chats_and_a_wrong_token(api, tg, ann):
    ann.block()
    blocked = api.send(42, Message("hi"))
    assert (blocked.kind, blocked.description) == (BLOCKED, "Forbidden: bot was blocked by "
                                                            "the user")
    assert api.send(7, Message("hi")).kind == FAILED  # never started the bot
    wrong = BotApi(tg.url, "1:wrong", timeout=(0.5, 0.5))
    assert wrong.send(42, Message("hi")).kind == FATAL
    wrong.close()


def test_a_local_picture_is_uploaded_once(api, tg, ann):
    picture = "orange.png"  # a name in the media directory
    assert api.send(42, Message("<i>one</i>", picture)).kind == SENT
    assert api.send(42, Message("two", picture)).kind == SENT
    first, second = bot_sends(tg, 42)
    assert first.get("upload") and not second.get("upload")
    assert first["photo"] == second["photo"] and first["caption"] == "one"


def test_classify_keeps_unexpected_codes_retryable():
    assert classify(429, "Too Many Requests", None).retry_after == 1.0
    assert classify(302, "Found", None).kind == TRANSIENT
    assert classify(404, "Not Found", None).kind == FATAL
    assert classify(409, "Conflict", None).kind == FAILED


@pytest.mark.parametrize("picture", [
    "/etc/passwd", str(MINI / "orange.png"), "../../../../proc/self/environ", "../mini/orange.png",
    "run.py", "file:///etc/passwd", "no-such-picture.png"])
def test_a_picture_from_outside_the_media_directory_is_never_uploaded(api, tg, ann, picture,
                                                                      caplog):
    # a news item's image reached the broadcast before the API checked it
    assert api.send(42, Message("news", picture)).kind == SENT
    assert api.send(42, Message("again", picture)).kind == SENT
    first, second = bot_sends(tg, 42)
    assert "photo" not in first and first["text"] == "news"  # sent without it
    assert not any(c.get("upload") for c in bot_sends(tg, 42))
    assert len([r for r in caplog.records if "without its picture" in r.message]) == 1
