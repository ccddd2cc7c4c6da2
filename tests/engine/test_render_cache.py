"""The renderer keeps a screen that shows nothing but its placeholders' values: the next
user with the same values gets the same messages without rendering, and any value that
differs (also only in its type: 1, True) or that cannot be compared safely renders afresh."""

from __future__ import annotations

import yaml

from engine import ChatClient, Engine, MemoryStore, StubSender
from engine.context import Context
from engine.render import Inline, Renderer, fingerprint
from engine.telegram import markup_json

FLOW = """
bot:
  start: home
  languages: [en, ru]
  default_language: en
states:
  home:
    screen:
      text: home.text
      buttons:
        - {label: "{data.n} more", trigger: bump, args: {n: "{data.n}"}}
        - {label: a.go, trigger: bump, when: data.vip}
        - {label: b.plain, trigger: bump, unless: data.vip}
transitions:
  - {trigger: bump, source: home, dest: "="}
"""
TEXTS = {"home.text": "Hi {user.first_name}: [{data.n}]", "b.plain": "Plain"}


def renderer_and_state(flow_dir):
    flowset = flow_dir({"bot.yaml": FLOW}, texts=TEXTS, langs=("en", "ru"))()
    return Renderer(flowset), flowset.states["home"], flowset


def ctx(data: dict, name: str = "Ann", lang: str = "en", catalog=None) -> Context:
    from engine.events import CALLBACK, Event

    event = Event(CALLBACK, 1, 1, user={"id": 1, "first_name": name})
    return Context(user_id=1, chat_id=1, state="home", lang=lang, data=data, params={},
                   event=event, catalog=catalog)


def shown(plan) -> tuple:
    main = plan.main
    rows = [[(b.label, b.data) for b in row] for row in main.markup.rows]
    return main.text, rows


def test_same_values_share_the_rendered_screen_and_fresh_plans(flow_dir):
    renderer, home, _ = renderer_and_state(flow_dir)
    first = renderer.plan(home, ctx({"n": 2}))
    second = renderer.plan(home, ctx({"n": 2}))
    assert shown(first) == shown(second) == (
        "Hi Ann: [2]", [[("2 more", "1:bump:n=2")], [("Plain", "1:bump")]])
    assert first.main is not second.main and first is not second  # the engine changes them
    assert first.main.markup is second.main.markup  # shared, never changed
    first.main.markup = None  # what the engine does to put a keyboard on the message
    assert renderer.plan(home, ctx({"n": 2})).main.markup is second.main.markup
    assert fingerprint(second.main, "HTML") == fingerprint(
        renderer._plan(home, ctx({"n": 2})).main, "HTML")


def test_any_difference_renders_afresh(flow_dir):
    renderer, home, _ = renderer_and_state(flow_dir)
    assert shown(renderer.plan(home, ctx({"n": 2})))[0] == "Hi Ann: [2]"
    assert shown(renderer.plan(home, ctx({"n": 3})))[0] == "Hi Ann: [3]"
    assert shown(renderer.plan(home, ctx({"n": 2}, name="Bob")))[0] == "Hi Bob: [2]"
    assert shown(renderer.plan(home, ctx({"n": 2}, name="<b>")))[0] == "Hi &lt;b&gt;: [2]"
    # equal values of other types format differently: 1 == True == 1.0
    assert shown(renderer.plan(home, ctx({"n": 1})))[0] == "Hi Ann: [1]"
    assert shown(renderer.plan(home, ctx({"n": True})))[0] == "Hi Ann: [True]"
    assert shown(renderer.plan(home, ctx({"n": 1.0})))[0] == "Hi Ann: [1.0]"
    # a condition's truth value is part of what the screen shows
    assert [row[0][0] for row in shown(renderer.plan(home, ctx({"n": 1, "vip": 1})))[1]] == \
        ["1 more", "Go"]
    assert [row[0][0] for row in shown(renderer.plan(home, ctx({"n": 1, "vip": 0})))[1]] == \
        ["1 more", "Plain"]


def test_a_value_that_may_change_in_place_is_never_kept(flow_dir):
    renderer, home, _ = renderer_and_state(flow_dir)
    items = ["a"]
    assert shown(renderer.plan(home, ctx({"n": items})))[0] == "Hi Ann: [['a']]"
    items.append("b")
    assert shown(renderer.plan(home, ctx({"n": items})))[0] == "Hi Ann: [['a', 'b']]"
    static = renderer._static[("home", "en")]
    assert all(key[1] is not list for key in static.rendered)


def test_languages_are_kept_apart(flow_dir):
    flowset = flow_dir({"bot.yaml": FLOW}, texts=TEXTS, langs=("en", "ru"))()
    flowset.catalog.texts["ru"]["home.text"] = "Привет {user.first_name}: {data.n}"
    renderer = Renderer(flowset)
    home = flowset.states["home"]
    assert shown(renderer.plan(home, ctx({"n": 2})))[0] == "Hi Ann: [2]"
    assert shown(renderer.plan(home, ctx({"n": 2}, lang="ru")))[0] == "Привет Ann: 2"


def test_the_kept_markups_json_is_made_once_and_a_messages_own_every_time(flow_dir):
    renderer, home, _ = renderer_and_state(flow_dir)
    markup = renderer.plan(home, ctx({"n": 2})).main.markup
    made = markup_json(markup)
    assert markup_json(renderer.plan(home, ctx({"n": 2})).main.markup) is made
    own = Inline([list(row) for row in markup.rows])
    assert markup_json(own) == made and own.derived is None


def test_the_engine_shows_each_users_values(flow_dir):
    flowset = flow_dir({"bot.yaml": FLOW}, texts=TEXTS, langs=("en", "ru"))()
    engine = Engine(flowset, MemoryStore(), StubSender())
    ann = ChatClient(engine, 1, first_name="Ann", language_code="en")
    bob = ChatClient(engine, 2, first_name="Bob", language_code="en")
    ann.send("/start")
    bob.send("/start")
    assert ann.last.text == "Hi Ann: []" and bob.last.text == "Hi Bob: []"
    assert ann.last.buttons == [[" more"], ["Plain"]]


def test_free_text_is_not_kept_and_every_state_together_keeps_a_bounded_number(flow_dir):
    """Values a user types can land in placeholders: a cache keyed by them must not grow with
    what an attacker types. A long value is never kept (nobody else will show it: no hit to
    win), and all the states and languages of a renderer keep at most SCREENS_KEPT screens."""
    from engine import render

    states = {f"s{i}": {"screen": {"text": "t.note",
                                   "buttons": [{"label": "b.plain", "trigger": "next"}]}}
              for i in range(40)}
    flow = {"bot": {"start": "s0", "languages": ["en", "ru"], "default_language": "en"},
            "states": states, "transitions": [
                {"trigger": "next", "source": f"s{i}", "dest": f"s{(i + 1) % 40}"}
                for i in range(40)]}
    flowset = flow_dir({"bot.yaml": yaml.safe_dump(flow)},
                       texts={**TEXTS, "t.note": "Note: {data.n}"}, langs=("en", "ru"))()
    renderer = Renderer(flowset)
    long = "x" * (render.VALUE_KEPT + 1)
    for n in range(300):  # a user typing note after note
        plan = renderer.plan(flowset.states["s0"], ctx({"n": f"{long}{n}"}))
        assert plan.main.text == f"Note: {long}{n}"
    assert not renderer._static[("s0", "en")].rendered
    for name in states:  # short values, but on every state, in both languages
        for lang in ("en", "ru"):
            for n in range(render.SCREENS_CACHED):
                plan = renderer.plan(flowset.states[name], ctx({"n": n}, lang=lang))
                assert plan.main.text == f"Note: {n}"
    kept = sum(len(static.rendered) for static in renderer._static.values() if static)
    assert 0 < kept <= render.SCREENS_KEPT
    assert shown(renderer.plan(flowset.states["s3"], ctx({"n": 7})))[0] == "Note: 7"


def test_many_threads_each_see_their_own_values(flow_dir, monkeypatch):
    """Ordered workers render at once: with caches small enough to be cleared all the time,
    every plan still shows its own context's values."""
    import threading

    from engine import render

    monkeypatch.setattr(render, "SCREENS_CACHED", 8)
    monkeypatch.setattr(render, "SCREENS_KEPT", 12)
    renderer, home, _ = renderer_and_state(flow_dir)
    wrong: list = []

    def work(worker: int) -> None:
        for i in range(300):
            n, name = (worker * 7 + i) % 23, f"u{i % 5}"
            lang = ("en", "ru")[i % 2]
            text, rows = shown(renderer.plan(home, ctx({"n": n, "vip": i % 3 == 0}, name=name,
                                                       lang=lang)))
            if text != f"Hi {name}: [{n}]" or rows[0] != [(f"{n} more", f"1:bump:n={n}")] or \
                    rows[1][0][1] != "1:bump" or len(rows) != 2:
                wrong.append((worker, i, text, rows))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    kept = sum(len(static.rendered) for static in renderer._static.values() if static)
    assert kept <= 12 + 8  # the bound, give or take the workers' racing inserts
