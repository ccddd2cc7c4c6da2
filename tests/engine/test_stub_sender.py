"""The in-process stub refuses what Telegram refuses (issue 14.9): markup it cannot parse, and
lengths counted on the visible text, as Telegram counts them."""

from __future__ import annotations

import pytest

from engine import ChatClient, Engine, Html, MemoryStore, SendError, StubSender
from faketelegram.parse_html import parse_html
from engine.render import fit
from engine.templates import render


@pytest.mark.parametrize("text", ["Prices > 3000 and < 10000", "<b>bold", "<blink>x</blink>",
                                  "<b>x</i>"])
def test_html_telegram_cannot_parse_is_refused(text):
    stub = StubSender()
    with pytest.raises(SendError) as err:
        stub.send(1, text, None, None, "HTML")
    assert err.value.code == 400
    assert err.value.description.startswith("Bad Request: can't parse entities: ")
    message_id = stub.send(1, "ok", None, None, "HTML")
    with pytest.raises(SendError):
        stub.edit(1, message_id, text, None, None, "HTML")
    assert stub.chat(1)[0].text == "ok"


def test_the_same_text_without_a_parse_mode_is_plain():
    StubSender().send(1, "Prices > 3000 and < 10000", None, None, None)


def test_limits_count_the_visible_text():
    stub = StubSender()
    stub.send(1, "<b>" + "x" * 4096 + "</b>", None, None, "HTML")
    stub.send(1, "&lt;" * 1024, "photo.png", None, "HTML")
    with pytest.raises(SendError, match="message is too long"):
        stub.send(1, "x" * 4097, None, None, "HTML")
    with pytest.raises(SendError, match="text is empty"):
        stub.send(1, "<b> </b>", None, None, "HTML")


def test_a_bad_value_fails_in_process_as_it_would_in_telegram(flow_dir, registry):
    # Html values are inserted as they are: broken ones must not pass in-process
    registry.data_source("bad")(lambda ctx: Html("a < b"))
    flow = """
bot: {start: menu, languages: [en], commands: [{command: start, trigger: go}]}
states:
  menu:
    screen: {text: "{bad}", data: {bad: bad}, buttons: [{label: a.go, trigger: go}]}
transitions:
  - {trigger: go, source: menu, dest: menu}
"""
    client = ChatClient(Engine(flow_dir({"bot.yaml": flow})(), MemoryStore(), StubSender()))
    client.send("/start")
    assert client.texts() == ["Sorry"]  # engine.error: Telegram would have answered 400


@pytest.mark.parametrize("value", ["a < b", "<b>x</b>", "Tom & Jerry", "&lt;", "</i>"])
def test_rendered_values_are_escaped_so_telegram_can_parse_them(value):
    text = render("<b>{v}</b> {v:>12} {d.name}", {"v": value, "d": {"name": value}})
    plain, _ = parse_html(text.encode())
    assert plain == f"{value} {value:>12} {value}"
    assert render("{v}", {"v": Html("<i>x</i>")}) == "<i>x</i>"  # already HTML: as it is


def test_a_long_text_cut_to_the_limit_stays_parseable():
    cut = fit("<b>" + "a &lt; b &amp; c " * 500 + "</b>", 100)
    plain, _ = parse_html(cut.encode())
    assert plain.startswith("a < b & c") and len(plain) <= 100
