"""The documents a newcomer follows say what they need to (issue 14.13)."""

from __future__ import annotations

import ast
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


# where the shop's processes read their settings: the engine they run on included, the
# cafe example (examples/), the fake Bot API server and the benchmarks not
SHOP_CODE = ["settings.py", "run_bot.py", "run_api.py", "api", "constants", "engine", "flows",
             "models"]
# PYTHONPATH: passed on to the processes the replay tools start; QUERY_STRING: a request's
# WSGI environ (api/rawquery.py), not the process's
NOT_SETTINGS = {"PYTHONPATH", "QUERY_STRING"}


def _environment_reads(tree: ast.AST) -> set[str]:
    """The variables a module reads from the environment: ``os.environ.get("X")``,
    ``environ["X"]``, ``env.get("X")``, and through a helper's parameter
    (``def _setting(name): ... os.environ.get(name)`` called as ``_setting("X")``)."""
    def environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
            (isinstance(node, ast.Name) and node.id in ("environ", "env"))

    def key(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Subscript) and environ(node.value):
            return node.slice
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("get", "pop", "setdefault") and environ(node.func.value) \
                and node.args:
            return node.args[0]
        return None

    names: set[str] = set()
    helpers: dict[str, int] = {}  # function -> the position of its parameter read
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [arg.arg for arg in function.args.args]
            for node in ast.walk(function):
                read = key(node)
                if isinstance(read, ast.Name) and read.id in params:
                    helpers[function.name] = params.index(read.id)
    for node in ast.walk(tree):
        read = key(node)
        if isinstance(read, ast.Constant) and isinstance(read.value, str):
            names.add(read.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in helpers and len(node.args) > helpers[node.func.id]:
            arg = node.args[helpers[node.func.id]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


def shop_settings() -> dict[str, set[str]]:
    """Each variable the shop's code reads -> the files that read it."""
    found: dict[str, set[str]] = {}
    for entry in SHOP_CODE:
        paths = [ROOT / entry] if entry.endswith(".py") else sorted((ROOT / entry).rglob("*.py"))
        for path in paths:
            for name in _environment_reads(ast.parse(path.read_text(encoding="utf-8"))):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return {name: files for name, files in found.items() if name not in NOT_SETTINGS}


def readme_settings() -> set[str]:
    """The variables the README's Settings table names in its first column."""
    rows = [line for line in _section(read("README.md"), "Settings").splitlines()
            if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`",
                                                        row.split(" | ")[0])}


def test_the_readme_lists_every_setting_the_shop_reads():
    """The admin's ADMIN_COOKIE_*, ADMIN_SESSION_HOURS and ADMIN_LOGIN_* (read in
    api/admin) were missing from the README's table; a setting read anywhere in the shop's
    code must be in it, and every row must name a setting that is read."""
    found = shop_settings()
    assert {"BOT_TOKEN", "BOT_WORKERS", "ADMIN_LOGIN_ATTEMPTS", "ADMIN_COOKIE_SECURE",
            "ADMIN_SECRET_KEY", "ADMIN_PASSWORD", "ENGINE_COVERAGE_FILE"} <= set(found)
    listed = readme_settings()
    missing = {name: sorted(files) for name, files in found.items() if name not in listed}
    assert missing == {}, f"read but not in README's Settings table: {missing}"
    assert listed - set(found) == set(), "README lists settings nobody reads"


def test_the_settings_docstring_names_whoever_else_reads_the_environment():
    """settings.py said nothing else read the environment; where another module reads a
    setting, its docstring says which."""
    import settings

    loaded = set(_environment_reads(ast.parse(read("settings.py"))))
    for name, files in shop_settings().items():
        if name not in loaded:
            assert f"``{name}``" in settings.__doc__, f"{name} ({sorted(files)})"


def test_build_your_own_bot_lists_the_engines_texts():
    """A newcomer learned of the engine.* texts only from the checker's errors."""
    from engine.checks import ENGINE_TEXTS, FOREIGN_CONTACT

    section = _section(read("README.md"), "Build your own bot")
    for key in (*ENGINE_TEXTS, FOREIGN_CONTACT, "engine.unexpected"):
        assert f"`{key}`" in section, key
    assert "examples/cafe/texts/en.yaml" in section


def test_the_readme_says_the_api_prints_an_account_on_the_embedded_store_only():
    section = _section(read("README.md"), "Web admin")
    assert "only on the embedded store" in section


def test_the_readme_says_when_webhook_secret_is_required():
    row = next(line for line in _section(read("README.md"), "Settings").splitlines()
               if line.startswith("| `WEBHOOK_SECRET` |"))
    default = row.rstrip(" |").rsplit(" | ", 1)[1]
    assert "required" in default and "set-webhook" in default and "run_bot:app" in default
