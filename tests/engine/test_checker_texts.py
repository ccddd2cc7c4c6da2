"""The checker on texts: HTML as Telegram parses it, catalogs on disk (nested keys, syntax
errors) and one message per mistake, at its line."""

from __future__ import annotations

import textwrap

import pytest

from engine import Registry, load_flows
from tests.engine.conftest import BASE_TEXTS
from tests.engine.test_checker import BOT, one, problems

FLOW = BOT.replace("languages: [en]", "languages: [en, ru]\n  texts: texts")


def write_bot(tmp_path, flow: str = FLOW, texts: dict[str, str] | None = None,
              modules: dict[str, str] | None = None):
    """A bot with texts catalogs on disk (``texts/<lang>.yaml``) and modules beside it."""
    (tmp_path / "bot.yaml").write_text(textwrap.dedent(flow), encoding="utf-8")
    (tmp_path / "texts").mkdir(exist_ok=True)
    base = "".join(f'{key}: "{value}"\n' for key, value in BASE_TEXTS.items())
    for lang in ("en", "ru"):
        content = (texts or {}).get(lang, base)
        (tmp_path / "texts" / f"{lang}.yaml").write_text(content, encoding="utf-8")
    for name, source in (modules or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")
    registry = Registry()
    return lambda: load_flows(tmp_path, registry=registry)


def base_catalog(**extra: str) -> str:
    texts = {**BASE_TEXTS, **extra}
    return "".join(f'{key}: "{value}"\n' for key, value in texts.items())


# -- HTML, as Telegram parses it (issue 14.9) ------------------------------------------------

def test_a_bare_less_than_in_a_catalog_text_is_reported_at_its_column(tmp_path):
    en = base_catalog().replace('menu.title: "Menu"', 'menu.title: "Prices > 3000 and < 10000"')
    p = one(write_bot(tmp_path, texts={"en": en, "ru": base_catalog()}))
    line = en.split("\n").index('menu.title: "Prices > 3000 and < 10000"') + 1
    assert p.file.endswith("texts/en.yaml") and (p.line, p.column) == (line, 32)
    assert p.path == "menu.title"
    assert "Telegram cannot parse it as HTML" in p.message and "'< 10000'" in p.message
    assert "&lt;" in p.message


def test_unknown_and_unbalanced_tags_in_each_language(tmp_path):
    en = base_catalog().replace('"Menu"', '"<blink>Menu</blink>"')
    ru = base_catalog().replace('"Menu"', '"<b>Меню"')
    found = problems(write_bot(tmp_path, texts={"en": en, "ru": ru}))
    assert [(p.file.split("/")[-1], p.message.split(": ", 1)[1].split(" at ")[0])
            for p in found] == [("en.yaml", 'Unsupported start tag "blink"'),
                                ("ru.yaml", "Can't find end tag corresponding to start tag "
                                            '"b"')]


def test_a_bare_ampersand_is_reported_and_entities_pass(tmp_path):
    en = base_catalog().replace('"Menu"', '"Tom & Jerry"')
    ru = base_catalog().replace('"Menu"', '"&lt;b&gt; &amp; &#8381; <b>ok</b> <i>{lang}</i>"')
    p = one(write_bot(tmp_path, texts={"en": en, "ru": ru}))
    assert p.file.endswith("en.yaml") and "a bare '&'" in p.message


def test_plain_texts_are_not_parsed(tmp_path):
    # labels, toasts and input errors are sent without a parse mode: '<' is just a character
    en = base_catalog(**{"a.go": "Go <", "a.toast": "1 < 2"})
    flow = FLOW.replace("dest: menu}", "dest: menu, toast: a.toast}")
    write_bot(tmp_path, flow, texts={"en": en, "ru": en})()


def test_a_text_the_flows_do_not_name_is_parsed_when_it_has_markup(tmp_path):
    en = base_catalog(**{"py.line": "<b>{name}</b> < {limit}"})
    p = one(write_bot(tmp_path, texts={"en": en, "ru": base_catalog()}))
    assert p.path == "py.line" and "Unsupported start tag" in p.message


def test_a_bare_less_than_in_a_text_python_inserts_is_reported_at_the_catalog(tmp_path):
    """Issue 14 review C: ``Html(text("faq.a.delivery"))`` with a bare '<' passed the check,
    then Telegram answered "can't parse entities"."""
    faq = """\
        from engine import Html

        def answer(ctx, text):
            return Html(text("faq.a.delivery", ctx.lang))
        """
    line = 'faq.a.delivery: "Free delivery for orders < 3000 ₽"'
    en = base_catalog() + line + "\n"
    p = one(write_bot(tmp_path, texts={"en": en, "ru": base_catalog()}, modules={"faq.py": faq}))
    assert p.file.endswith("texts/en.yaml") and p.path == "faq.a.delivery"
    assert (p.line, p.column) == (en.split("\n").index(line) + 1, 43)
    assert "Telegram cannot parse it as HTML" in p.message and "'< 3000 ₽'" in p.message


def test_texts_the_python_sends_as_notices_are_plain(tmp_path):
    # ctx.notify, UserError and Invalid texts are sent without a parse mode
    acts = """\
        from engine import Invalid, UserError

        def save(ctx):
            ctx.notify("py.toast", n=1)
            key = "py.one" if ctx.args else "py.two"
            if ctx.data:
                raise UserError(key)
            raise Invalid("py.bad")
        """
    en = base_catalog(**{"py.toast": "1 < 2", "py.one": "a < b", "py.two": "Tom & Jerry",
                         "py.bad": "without < > / @ #"})
    write_bot(tmp_path, texts={"en": en, "ru": en}, modules={"acts.py": acts})()


def test_parse_mode_none_parses_nothing(tmp_path):
    en = base_catalog().replace('"Menu"', '"a < b"')
    write_bot(tmp_path, FLOW.replace("texts: texts", "texts: texts\n  parse_mode: none"),
              texts={"en": en, "ru": en})()


def test_an_inline_template_is_parsed_and_located(flow_dir):
    flow = BOT.replace("text: menu.title", 'text: "<b>{data.name}</i>"')
    p = one(flow_dir({"bot.yaml": flow}))
    assert (p.line, p.column) == (8, 28) and p.path == "states.menu.screen.text"
    assert 'Unmatched end tag, expected "</b>", found "</i>"' in p.message
    assert "&lt;" not in p.message  # a tag closed wrongly is not about escaping


def test_a_tag_left_open_gets_no_escaping_hint(tmp_path):
    ru = base_catalog().replace('"Menu"', '"<b>Меню"')
    p = one(write_bot(tmp_path, texts={"en": base_catalog(), "ru": ru}))
    assert "Can't find end tag" in p.message and "&lt;" not in p.message


def test_a_literal_block_is_located_on_its_own_line(tmp_path):
    en = base_catalog().replace('menu.title: "Menu"\n', 'menu.title: |\n  <b>Menu</b>\n  1 < 2\n')
    p = one(write_bot(tmp_path, texts={"en": en, "ru": base_catalog()}))
    lines = en.split("\n")
    assert (p.line, p.column) == (lines.index("  1 < 2") + 1, 5)


# -- catalogs on disk (issues 14.10, 14.11) ----------------------------------------------------

def test_nested_catalog_keys_work_like_dotted_ones(tmp_path):
    nested = base_catalog().replace('menu.title: "Menu"\n', "").replace('a.go: "Go"\n', "")
    nested += 'menu:\n  title: "<b>Menu</b>"\na:\n  go: "Go"\n'
    flows = write_bot(tmp_path, texts={"en": nested, "ru": nested})()
    assert flows.catalog.raw("menu.title", "en") == "<b>Menu</b>"
    line = nested.split("\n").index('  title: "<b>Menu</b>"') + 1
    assert flows.text_values[("en", "menu.title")][1:] == (line, 10)


def test_nested_catalog_problems_are_located(tmp_path):
    nested = base_catalog().replace('menu.title: "Menu"\n', 'menu:\n  title: "a < b"\n')
    p = one(write_bot(tmp_path, texts={"en": nested, "ru": base_catalog()}))
    line = nested.split("\n").index('  title: "a < b"') + 1
    assert (p.line, p.column, p.path) == (line, 13, "menu.title")


def test_a_text_written_nested_and_dotted_is_reported(tmp_path):
    en = base_catalog() + 'menu:\n  title: "Again"\n'
    p = one(write_bot(tmp_path, texts={"en": en, "ru": base_catalog()}))
    assert "text 'menu.title' is written twice" in p.message
    assert p.line == en.split("\n").index("  title: \"Again\"") + 1


def test_the_shop_constants_read_nested_catalogs():
    from constants.texts import _flat

    assert _flat({"s": {"main": "x", "n": {"deep": 1}}, "a.b": "y"}) == {
        "s.main": "x", "s.n.deep": "1", "a.b": "y"}


def test_one_yaml_error_in_a_catalog_is_one_problem(tmp_path):
    # a module beside the flows reads the same file when imported (as the shop's constants
    # do): the error is reported once, and the texts and names it hides are not reported
    reader = """\
        import pathlib, yaml
        TEXTS = yaml.safe_load(pathlib.Path(__file__).with_name("texts").joinpath(
            "en.yaml").read_text())
        """
    en = base_catalog().replace('menu.title: "Menu"', 'menu.title: "Menu" oops: [')
    flow = FLOW.replace("dest: menu}", "dest: menu, after: save}")
    loader = write_bot(tmp_path, flow, texts={"en": en, "ru": base_catalog()},
                       modules={"one.py": reader, "two.py": reader})
    p = one(loader)
    line = en.split("\n").index('menu.title: "Menu" oops: [') + 1
    assert p.file.endswith("texts/en.yaml") and p.line == line
    assert p.message.startswith("YAML syntax: ") and "Mark object" not in p.message


def test_an_import_error_names_the_line_and_the_exception(tmp_path):
    p = one(write_bot(tmp_path, modules={"acts.py": "x = 1\nraise RuntimeError('boom')\n"}))
    assert p.file.endswith("acts.py") and p.line == 2
    assert p.message == "cannot import: RuntimeError: boom"


# -- one mistake, one message (issue 14.10) ---------------------------------------------------

def test_a_missing_translation_suggests_nothing_and_is_said_once(tmp_path):
    flow = FLOW.replace("      text: menu.title", "      text: menu.titles")
    flow = flow.replace("  - {trigger: go", "  - {trigger: go, toast: menu.titles")
    en = base_catalog(**{"menu.title": "Menu", "menu.titles": "Menus"})
    ru = base_catalog()  # has menu.title, a close key that is not the translation
    p = one(write_bot(tmp_path, flow, texts={"en": en, "ru": ru}))
    assert p.message == "toast 'menu.titles' has no text for language ru"
    assert p.line == 13  # the first use the checker meets: the transition's toast


def test_a_typo_in_a_key_still_gets_a_suggestion(tmp_path):
    p = one(write_bot(tmp_path, FLOW.replace("text: menu.title", "text: menu.titel")))
    assert "has no text for language en, ru (did you mean 'menu.title'?)" in p.message


def test_a_missing_keyboard_label_points_at_its_button(flow_dir):
    flow = BOT.replace("  languages: [en]\n", "  languages: [en]\n  keyboard:\n    buttons:\n"
                       "      - {label: a.go, trigger: go}\n      - {label: a.nope, trigger: go}\n")
    p = one(flow_dir({"bot.yaml": flow}))
    assert (p.line, p.column, p.path) == (8, 9, "bot.keyboard.buttons[1]")
    assert "keyboard label 'a.nope' has no text" in p.message


@pytest.mark.parametrize("field, expected", [
    ("user.nmae", "unknown field {user.nmae} (did you mean 'first_name'?); Telegram's user "
                  "has: "),
    ("user.frist_name", "unknown field {user.frist_name} (did you mean 'first_name'?)"),
    ("lang.code", "unknown field {lang.code}: {lang} is a plain value"),
])
def test_a_nested_template_typo_is_reported(flow_dir, field, expected):
    p = one(flow_dir({"bot.yaml": BOT}, texts={"menu.title": f"Hi {{{field}}}"}))
    assert expected in p.message and p.line == 8


def test_a_field_typo_in_a_catalog_text_is_reported_once_at_its_line(tmp_path):
    """Issue 14 review D: it was reported once per use, at each flow line, never in ru.yaml."""
    button = "        - {label: a.go, trigger: go}"
    flow = FLOW.replace(button, f"{button}\n{button}")
    flow = flow.replace("  languages: [en, ru]\n", "  languages: [en, ru]\n  keyboard:\n"
                        "    buttons: [{label: a.go, trigger: go}]\n")
    line = 'a.go: "‹ Назад, {user.nmae}"'
    ru = base_catalog().replace('a.go: "Go"', line)
    p = one(write_bot(tmp_path, flow, texts={"en": base_catalog(), "ru": ru}))
    assert p.file.endswith("texts/ru.yaml") and p.path == "a.go"
    assert (p.line, p.column) == (ru.split("\n").index(line) + 1, 17)
    assert p.message.startswith("(ru) unknown field {user.nmae} (did you mean 'first_name'?)")


def test_a_field_the_scope_lacks_is_reported_where_the_text_is_used(tmp_path):
    flow = FLOW.replace("      text: menu.title", "      text: a.go")
    en = base_catalog().replace('a.go: "Go"', 'a.go: "Go {product.name}"')
    found = problems(write_bot(tmp_path, flow, texts={"en": en, "ru": en}))
    assert {(p.file.split("/")[-1], p.line) for p in found} == {("bot.yaml", 9), ("bot.yaml", 11)}
    assert all("unknown field {product.name}; available: " in p.message for p in found)


def test_known_nested_template_fields_pass(flow_dir):
    flow_dir({"bot.yaml": BOT}, texts={
        "menu.title": "Hi {user.first_name} {user.username} {data.any.thing} {params.x}"})()


def test_an_unknown_state_is_not_also_unreachable_or_a_dead_end(flow_dir):
    flow = BOT.replace("transitions:", """\
  other:
    screen: {text: menu.title}
transitions:
  - {trigger: other, source: menu, dest: othr}
  - {trigger: go, source: othre, dest: menu}""")
    found = problems(flow_dir({"bot.yaml": flow}))
    assert [p.message.split(" (")[0] for p in found] == [
        "unknown destination state 'othr'", "unknown source state 'othre'"]
