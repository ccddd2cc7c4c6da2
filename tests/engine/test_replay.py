"""The replay runner: the example scripts, coverage, and failures that read as a diff."""

from __future__ import annotations

import textwrap

from engine.replay import Runner, load_script
from engine.replay.cli import main as replay_main
from engine.replay.script import find_scripts
from tests.engine.conftest import MINI

SCRIPTS = MINI / "conversations"
TARGET = "tests.engine.examples.mini.replay:target"


def test_the_example_scripts_cover_every_transition():
    runner = Runner(TARGET)
    for path in find_scripts([SCRIPTS]):
        result = runner.run(load_script(path))
        assert result.ok, "\n".join(result.failures)
    assert runner.coverage.percent == 100, runner.coverage.report()
    assert "states 8/8" in runner.coverage.report()


def test_a_wrong_expectation_names_file_line_and_shows_the_diff(tmp_path):
    script = tmp_path / "wrong.yaml"
    script.write_text(textwrap.dedent("""\
        name: wrong on purpose
        steps:
          - send: /start
          - click: Catalog
            expect:
              - text: Katalog
                buttons: [[Fruit]]
    """))
    result = Runner(TARGET).run(load_script(script))
    assert not result.ok
    report = result.failures[0]
    assert report.startswith(f"{script}:4: step 2 (click: 'Catalog') of 'wrong on purpose' failed:")
    assert "message 1: text: expected 'Katalog', got 'Catalog'" in report
    assert "buttons: expected [['Fruit']], got [['Fruit', 'Vegetables'], ['Drinks', 'Bakery'], ['Next ›']]" in report
    assert "💬 sent #" in report and "[Fruit]  [Vegetables]" in report
    assert "line 3: send: '/start'" in report


def test_a_missing_button_lists_what_is_on_screen(tmp_path):
    script = tmp_path / "missing.yaml"
    script.write_text("steps:\n  - send: /start\n  - click: Nope\n")
    report = Runner(TARGET).run(load_script(script)).failures[0]
    assert f"{script}:3:" in report and "no button 'Nope' on screen" in report
    assert "keyboard: ['Catalog', 'Cart']" in report


def test_malformed_scripts_are_refused_with_a_location(tmp_path):
    from engine.replay.script import ScriptError

    import pytest

    script = tmp_path / "bad.yaml"
    script.write_text("steps:\n  - send: /start\n    clik: x\n")
    with pytest.raises(ScriptError, match=r"bad.yaml:3:5: unknown key 'clik'"):
        load_script(script)
    script.write_text("steps:\n  - {send: a, click: b}\n")
    with pytest.raises(ScriptError, match=r"bad.yaml:2:5: a step does exactly one of"):
        load_script(script)


def test_cli_summary_and_min_coverage(capsys, tmp_path):
    assert replay_main([str(SCRIPTS), "--min-coverage", "100"]) == 0
    out = capsys.readouterr().out
    assert "2 passed, 0 failed" in out and "transitions 16/16 (100%)" in out
    assert replay_main([str(SCRIPTS / "browse.yaml"), "--min-coverage", "100"]) == 1
    out = capsys.readouterr().out
    assert "below --min-coverage" in out and "transitions never taken:" in out
    assert "cart.yaml:59 place -> done" in out
