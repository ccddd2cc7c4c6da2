"""The shop's flows: they check clean, and the scripted conversations cover all of them."""

from __future__ import annotations

from pathlib import Path

from engine.cli import main as engine_main
from engine.replay import Runner, load_script
from engine.replay.script import find_scripts

CONVERSATIONS = Path(__file__).parents[1] / "conversations"


def test_the_shop_flows_check_clean(capsys):
    assert engine_main(["check", "flows"]) == 0
    assert "flows: OK" in capsys.readouterr().out


def test_the_conversations_cover_every_transition_and_state():
    runner = Runner("flows.replay:target")
    scripts = find_scripts([CONVERSATIONS])
    languages = set()
    for path in scripts:
        script = load_script(path)
        languages.add(script.user.get("language"))
        result = runner.run(script)
        assert result.ok, "\n".join(result.failures)
    report = runner.coverage.report()
    assert runner.coverage.percent == 100, report
    assert "states 25/25" in report, report  # + order_to_pay, terms, paysupport (payments)
    assert languages == {"ru", "en"}


def test_graph_is_written_from_the_compiled_machine(tmp_path):
    target = tmp_path / "shop.mmd"
    assert engine_main(["graph", "flows", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("stateDiagram-v2\n    [*] --> main_menu")
    assert "catalog --> products: open" in text
    assert "confirm_order --> order_placed: place_order" in text
