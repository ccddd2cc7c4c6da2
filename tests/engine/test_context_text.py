"""``ctx.text(key, **values)``: an action or data source reads a text of the running flows'
catalog in the conversation's language, so no bot stashes the catalog in its services (and
the playground's reload brings changed texts to them too)."""

from __future__ import annotations

import textwrap

import pytest

from engine import ChatClient, Engine, MemoryStore, StubSender, action, data_source
from engine.context import Context
from engine.playground import Playground, create_app, discover
from tests.engine.conftest import BASE_TEXTS

BOT = """
bot:
  start: home
  languages: [en, ru]
  default_language: en
states:
  home:
    screen:
      text: home.text
      buttons:
        - {each: ctx_text_test.days, label: "{item.label}", trigger: pick,
           args: {n: "{item.n}"}, page_size: 10, columns: 2}
transitions:
  - {trigger: pick, source: home, dest: "=", before: ctx_text_test.picked}
"""


@data_source("ctx_text_test.days")
def days(ctx) -> list[dict]:
    return [{"n": n, "label": ctx.text("day.label", n=n)} for n in (1, 2)]


@action("ctx_text_test.picked")
def picked(ctx) -> None:
    ctx.data["said"] = ctx.text("day.picked", n=ctx.args["n"])


def write_bot(directory, label: str = "Day {n}") -> None:
    (directory / "texts").mkdir(exist_ok=True)
    (directory / "bot.yaml").write_text(textwrap.dedent(BOT), encoding="utf-8")
    for lang, words in (("en", (label, "{user.first_name} picked «{n}»")),
                        ("ru", ("День {n}", "{user.first_name} выбрал(а) «{n}»"))):
        texts = {**BASE_TEXTS, "home.text": "Pick", "day.label": words[0],
                 "day.picked": words[1]}
        (directory / "texts" / f"{lang}.yaml").write_text(
            "".join(f'{key}: "{value}"\n' for key, value in texts.items()), encoding="utf-8")


def test_actions_and_data_sources_read_texts_in_the_users_language(tmp_path):
    from engine.loader import load_flows

    write_bot(tmp_path)
    engine = Engine(load_flows(tmp_path), MemoryStore(), StubSender())
    ann = ChatClient(engine, 1, first_name="Ann", language_code="en")
    ann.send("/start")
    assert ann.last.buttons == [["Day 1", "Day 2"]]
    ann.click("Day 2")
    assert ann.conversation.data["said"] == "Ann picked «2»"
    ivan = ChatClient(engine, 2, first_name="Иван", language_code="ru")
    ivan.send("/start")
    assert ivan.last.buttons == [["День 1", "День 2"]]
    ivan.click("День 1")
    assert ivan.conversation.data["said"] == "Иван выбрал(а) «1»"
    with pytest.raises(LookupError):
        Context(user_id=1, chat_id=1, state="home", lang="en", data={}, params={}).text("x")


def test_the_playground_reload_brings_the_new_texts_to_data_sources(tmp_path):
    write_bot(tmp_path)
    playground = Playground(discover.bare_application(tmp_path), discover.default_settings())
    client = create_app(playground).test_client()
    snapshot = client.get("/api/chat").get_json()
    assert snapshot["chat"][-1]["buttons"] == [["Day 1", "Day 2"]]
    write_bot(tmp_path, label="Date {n}")
    assert playground.reload()
    snapshot = client.post("/api/send", json={"text": "/start"}).get_json()
    assert snapshot["chat"][-1]["buttons"] == [["Date 1", "Date 2"]]
