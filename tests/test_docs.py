"""The documents a newcomer follows say what they need to (issue 14.13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


@pytest.mark.parametrize("name", ["README.md", "docs/api.md"])
def test_every_variable_of_the_curl_examples_is_set_first(name):
    # demo ids change on every start: an example must show how to look them up
    assigned: set[str] = set()
    for block in shell_blocks(read(name)):
        for line in block.splitlines():
            assigned.update(re.findall(r"(?:^|\s)([A-Z_]+)=", line))
            if "curl" in line or line.startswith("     -"):
                used = set(re.findall(r"\$([A-Z_]+)", line)) - assigned
                assert not used, f"{name}: {sorted(used)} used before it is set: {line}"


def test_flows_doc_says_texts_are_html_and_how_graphs_are_drawn():
    text = read("docs/flows.md")
    assert "### Texts are HTML" in text and "`&lt;`, `&gt;`, `&amp;`" in text
    assert "inherited from the current state" in text
    assert all(word in text for word in ("`.png`", "`.dot`", "Graphviz", "apt-get install"))


def test_testing_doc_says_e2e_needs_a_server_and_lists_note():
    text = read("docs/testing.md")
    assert "`--e2e`) needs a real MongoDB-wire server in `MONGO_URI`" in text
    assert "| `note: TEXT` |" in text


def test_fake_telegram_doc_has_no_internal_notes():
    text = read("faketelegram/README.md")
    assert "once wired" not in text and "The lead" not in text


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_build_your_own_bot_says_a_bot_is_a_package_of_its_own_name():
    """A newcomer's bot laid out as a bare ``flows/`` collided with the shop's installed
    ``flows``: the section names every top-level name the shop installs, and its tree shows
    the cafe's ``__init__.py`` files."""
    import configparser

    section = _section((ROOT / "README.md").read_text(encoding="utf-8"), "Build your own bot")
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    installed = {name.split(".")[0] for name in
                 config["options.packages.find"]["include"].split()} | \
        set(config["options"]["py_modules"].split())
    assert installed, "setup.cfg names what the shop installs"
    for name in sorted(installed):
        assert f"`{name}`" in section, f"README 'Build your own bot' does not name {name!r}"
    assert "package" in section and "name of its own" in section
    for init in ("examples/__init__.py", "  __init__.py", "flows/__init__.py"):
        assert init in section, f"the tree does not show {init}"


def test_build_your_own_bot_lists_the_playground_and_the_clock_pin():
    section = _section((ROOT / "README.md").read_text(encoding="utf-8"), "Build your own bot")
    table = [line for line in section.splitlines() if line.startswith("| ")]
    assert any("python -m engine playground examples/cafe/flows" in row for row in table)
    assert any(row.startswith("| pin the cafe's clock") and "CAFE_NOW=" in row for row in table)
