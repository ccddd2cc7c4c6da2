"""Who may import whom (style.md, Ownership): the engine knows no shop, models know no
engine, telebot or Flask, and the shop's run modes are the engine's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOP = {"flows", "models", "constants", "api", "settings", "run_bot", "run_api"}


def imported(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` -> the top-level packages it imports (also lazily)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package, forbidden", [
    ("engine", SHOP),
    ("models", {"engine", "flows", "api", "telebot", "flask"}),
])
def test_a_package_imports_only_what_it_may(package, forbidden):
    wrong = {module: sorted(names & forbidden)
             for module, names in imported(package).items() if names & forbidden}
    assert wrong == {}


def test_flows_hold_the_flows_their_code_and_one_assembly_module():
    """No run mode lives in flows/: the console, webhook, polling and broadcast commands
    are ``engine.run``'s."""
    modules = {path.stem for path in (ROOT / "flows").glob("*.py")}
    yaml = {path.stem for path in (ROOT / "flows").glob("*.yaml")}
    # notify (the outbox's queue), staff (the staff chat's desk) and payments (invoices,
    # pre-checkout, payments) serve the order lifecycle's YAML, not a flow of their own
    assert modules - yaml == {"__init__", "broadcast", "common", "notify", "payments",
                              "replay", "shop", "staff"}


def test_the_engine_never_names_the_shops_flows_package():
    """Issue 19's check, ``git grep -l "flows\\." engine/``: the engine's own loaded flows are
    its ``flowset``, so any ``flows.`` in engine/ could only be the shop's package."""
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted((ROOT / "engine").rglob("*")) if path.is_file()
             and path.suffix in {".py", ".yaml", ".md", ".html", ".js", ".css", ".txt"}
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "flows." in line]
    assert found == []
