"""One test per rule of the flow checker, each asserting file, line and message."""

from __future__ import annotations

import pytest

from engine import FlowError, load_flows

BOT = """
bot:
  start: menu
  languages: [en]
states:
  menu:
    screen:
      text: menu.title
      buttons:
        - {label: a.go, trigger: go}
transitions:
  - {trigger: go, source: menu, dest: menu}
"""


def problems(loader) -> list:
    with pytest.raises(FlowError) as err:
        loader()
    return err.value.problems


def one(loader):
    found = problems(loader)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_a_valid_flow_loads(flow_dir):
    flows = flow_dir({"bot.yaml": BOT})()
    assert list(flows.states) == ["menu"]


def test_yaml_syntax_error_is_located(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT, "bad.yaml": "states:\n  x: [unclosed\n"}))
    assert p.file.endswith("bad.yaml") and p.line == 3 and "YAML syntax" in p.message


def test_unknown_key_with_suggestion(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("      text: menu.title", "      txt: menu.title\n"
                                              "      text: menu.title")}))
    assert (p.file.endswith("bot.yaml"), p.line, p.column) == (True, 8, 7)
    assert "unknown key 'txt'" in p.message and "did you mean 'text'" in p.message
    assert p.path == "states.menu.screen.txt"


def test_wrong_type(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("source: menu", "source: 5")}))
    assert p.line == 12 and "expected a string or a list, got an integer 5" in p.message
    assert p.path == "transitions[0].source"


def test_duplicate_key(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("  menu:\n", "  menu:\n    params: []\n"
                                              "    params: []\n", 1)}))
    assert p.line == 8 and p.message == "duplicate key 'params'"


def test_unknown_state(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT + "  - {trigger: go_on, source: menu, dest: mneu}\n"}))
    assert p.line == 13 and "unknown destination state 'mneu' (did you mean 'menu'?)" in p.message


def test_unknown_action_condition_validator_source(flow_dir):
    flow = BOT.replace("transitions:", """\
  asking:
    screen:
      text: menu.title
      data: {x: itemz}
    input: {validator: emial, trigger: got}
transitions:
  - {trigger: ask, source: menu, dest: asking, conditions: is_okay, after: sav}
  - {trigger: got, source: asking, dest: menu}""")
    found = problems(flow_dir({"bot.yaml": flow}))
    assert sorted((p.line, p.message.split(";")[0]) for p in found) == [
        (14, "unknown data source 'itemz' (did you mean 'items'?)"),
        (15, "unknown validator 'emial' (did you mean 'email'?)"),
        (17, "unknown action 'sav' (did you mean 'save'?)"),
        (17, "unknown condition 'is_okay' (did you mean 'is_ok'?)"),
    ]


def test_unknown_text_and_missing_language(flow_dir):
    loader = flow_dir({"bot.yaml": BOT.replace("languages: [en]", "languages: [en, ru]")
                       .replace("text: menu.title", "text: menu.titel")}, langs=("en", "ru"))
    p = one(loader)
    assert p.line == 8 and p.path == "states.menu.screen.text"
    assert "text 'menu.titel' has no text for language en, ru" in p.message
    assert "did you mean 'menu.title'" in p.message


def test_missing_text_for_one_language(tmp_path, registry):
    (tmp_path / "bot.yaml").write_text(BOT.replace("languages: [en]", "languages: [en, ru]"))
    from tests.engine.conftest import BASE_TEXTS

    ru = dict(BASE_TEXTS)
    del ru["menu.title"]
    with pytest.raises(FlowError) as err:
        load_flows(tmp_path, registry=registry, texts={"en": BASE_TEXTS, "ru": ru})
    assert [p.message for p in err.value.problems] == [
        "text 'menu.title' has no text for language ru"]


def test_inline_prose_is_refused(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("label: a.go", "label: Go now")}))
    assert p.line == 10 and "neither a key of the texts catalog" in p.message


def test_unknown_template_field(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT}, texts={"menu.title": "Hi {usr.first_name}"}))
    assert "unknown field {usr.first_name}" in p.message and p.line == 8


def test_unreachable_state(flow_dir):
    flow = BOT.replace("transitions:", """\
  lost:
    screen: {text: menu.title}
transitions:
  - {trigger: go, source: lost, dest: menu}""")
    p = one(flow_dir({"bot.yaml": flow}))
    assert p.line == 11 and "state 'lost' is unreachable from the start state 'menu'" in p.message


def test_state_with_no_way_out(flow_dir):
    flow = BOT.replace("transitions:", """\
  stuck:
    screen: {text: menu.title}
transitions:
  - {trigger: stick, source: menu, dest: stuck, conditions: is_ok}""")
    p = one(flow_dir({"bot.yaml": flow}))
    assert p.line == 11 and "state 'stuck' has no way out" in p.message


def test_button_without_transition(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("trigger: go}", "trigger: og}")}))
    assert p.line == 10
    assert "button fires 'og', but no transition leaves state 'menu' on 'og'" in p.message


def test_ambiguous_trigger(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT + "  - {trigger: go, source: menu, dest: menu}\n"}))
    assert p.line == 13 and "ambiguous trigger 'go' from state 'menu'" in p.message


def test_guarded_transitions_are_not_ambiguous(flow_dir):
    flow_dir({"bot.yaml": BOT.replace("  - {trigger: go, source: menu, dest: menu}",
                                      "  - {trigger: go, source: menu, dest: menu, conditions: is_ok}\n"
                                      "  - {trigger: go, source: menu, dest: menu}")})()


def test_callback_data_over_64_bytes(flow_dir):
    flow = BOT.replace("- {label: a.go, trigger: go}",
                       "- {each: items, label: '{item.name}', trigger: go, page_size: 5, "
                       "args: {a_very_long_argument_name: '{item.id}', another_one: '{item.x}'}}")
    p = one(flow_dir({"bot.yaml": flow}))
    assert p.line == 10 and "callback data of this button can be 92 bytes" in p.message


def test_text_over_4096_and_caption_over_1024(flow_dir):
    long_text = {"menu.title": "x" * 4097, "a.cap": "y" * 1025}
    flow = BOT.replace("transitions:", """\
  pic:
    screen: {text: a.cap, photo: "{data.photo}"}
transitions:
  - {trigger: pic, source: menu, dest: pic}
  - {trigger: go, source: pic, dest: menu}""")
    found = problems(flow_dir({"bot.yaml": flow}, texts=long_text))
    messages = [p.message for p in found]
    assert "text 'menu.title' (en) is 4097 characters; Telegram allows 4096" in messages
    assert "caption 'a.cap' (en) is 1025 characters; Telegram allows 1024" in messages


def test_buttons_and_keyboard_together(flow_dir):
    flow = BOT.replace("      buttons:", "      keyboard: {buttons: [{label: a.go, trigger: go}]}\n"
                                         "      buttons:")
    p = one(flow_dir({"bot.yaml": flow}))
    assert "inline 'buttons' or a reply 'keyboard', not both" in p.message


def test_missing_start_and_no_bot(flow_dir):
    p = one(flow_dir({"bot.yaml": BOT.replace("  start: menu\n", "")}))
    assert "missing required key 'start'" in p.message and p.line == 3


def test_state_declared_twice_across_files(flow_dir):
    other = "states:\n  menu:\n    screen: {text: menu.title}\n"
    p = one(flow_dir({"bot.yaml": BOT, "more.yaml": other}))
    assert p.file.endswith("more.yaml") and p.line == 2 and "declared twice" in p.message


def test_several_mistakes_are_all_reported_in_file_order(flow_dir):
    flow = """
bot:
  start: menu
  languages: [en]
  colour: red
states:
  menu:
    screen:
      text: menu.nope
      buttons:
        - {label: a.go, trigger: go, colour: blue}
  Bad-Name:
    screen: {text: menu.title}
transitions:
  - {trigger: go, source: menu, dest: nowhere, after: missing.action}
"""
    found = problems(flow_dir({"bot.yaml": flow}))
    summary = [(p.line, p.message.split(";")[0].split(" (")[0]) for p in found]
    assert summary == [
        (5, "unknown key 'colour'"),
        (9, "text 'menu.nope' has no text for language en"),
        (11, "unknown key 'colour'"),
        (12, "'Bad-Name' is not a valid name: expected lower_snake_case"),
        (15, "unknown action 'missing.action'"),
        (15, "unknown destination state 'nowhere'"),
    ], summary
    text = str(problems(flow_dir({"bot.yaml": flow}))[0])
    assert text.startswith(str(found[0].file) + ":5:3: bot.colour: unknown key 'colour'")


def test_mini_example_and_cli_check(capsys):
    from engine.cli import main
    from tests.engine.conftest import MINI

    assert main(["check", str(MINI)]) == 0
    assert "OK (8 states" in capsys.readouterr().out


def test_cli_check_prints_every_problem(tmp_path, capsys):
    from engine.cli import main

    (tmp_path / "bot.yaml").write_text("bot: {start: nowhere, colour: 1}\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/bot.yaml:1:23: bot.colour: unknown key 'colour'" in err
    assert "unknown start state 'nowhere'" in err


def test_each_needs_a_bound_and_a_full_page_must_fit_telegrams_100_buttons(flow_dir):
    """Issue 14.6: an unbounded ``each`` could render more buttons than Telegram takes."""
    flow = BOT.replace("- {label: a.go, trigger: go}",
                       "- {each: items, label: '{item.name}', trigger: go}")
    p = one(flow_dir({"bot.yaml": flow}))
    assert p.line == 10 and "'each: items' has no 'page_size'" in p.message
    flow = BOT.replace("- {label: a.go, trigger: go}", """\
- each: items
          page_size: 40
          row: [{label: a.go, trigger: go}, {label: a.go, trigger: go},
                {label: a.go, trigger: go}]""")
    p = one(flow_dir({"bot.yaml": flow}))
    assert p.line == 10 and "a full page of these buttons is 122 buttons" in p.message
    assert "Telegram allows 100: lower 'page_size'" in p.message
    flow_dir({"bot.yaml": flow.replace("page_size: 40", "page_size: 30")})()  # 92: fine
