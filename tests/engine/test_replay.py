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
    assert ("buttons: expected [['Fruit']], got [['Fruit', 'Vegetables'], ['Drinks', 'Bakery'], "
            "['Next ›']]") in report
    assert "💬 sent #" in report and "[Fruit]  [Vegetables]" in report
    assert "line 3: send: '/start'" in report


def test_a_missing_button_lists_what_is_on_screen(tmp_path):
    script = tmp_path / "missing.yaml"
    script.write_text("steps:\n  - send: /start\n  - click: Nope\n")
    report = Runner(TARGET).run(load_script(script)).failures[0]
    assert f"{script}:3:" in report and "no button 'Nope' on screen" in report
    assert "keyboard: ['Catalog', 'Cart']" in report


def test_malformed_scripts_are_refused_with_a_location(tmp_path):
    import pytest

    from engine.replay.script import ScriptError

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


FAILING_ORDER = """\
    name: the order service fails
    steps:
      - send: /start
      - click: Catalog
      - click: Fruit
      - click: Citrus
      - click: Add to cart
      - click: Cart
      - click: Check out
      - send: bob@example.com
      - contact: "+7 999 000 11 22"
      - run: fail_next_order
      - click: Place order
        toast: Order placed
"""


def test_a_step_the_engine_failed_reports_the_exception(tmp_path, capsys):
    """Issue 14 review F: the report showed "Sorry, something went wrong" and no cause."""
    script = tmp_path / "fails.yaml"
    script.write_text(textwrap.dedent(FAILING_ORDER))
    report = Runner(TARGET).run(load_script(script)).failures[0]
    assert f"{script}:13: step 11" in report
    assert "💥 the engine failed: RuntimeError: the order service is down — in action " \
           "'checkout.place' of 'place' at " in report and "cart.yaml:59:5" in report
    # the CLI is quiet by default (--log-level CRITICAL): the summary is there all the same,
    # and no traceback is printed
    assert replay_main([str(script), "--target", TARGET]) == 1
    captured = capsys.readouterr()
    assert "💥 the engine failed: RuntimeError: the order service is down" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_a_bot_process_log_gives_each_tracebacks_last_line():
    from engine.replay.errors import logged_errors

    log = textwrap.dedent("""\
        ERROR engine.runtime: user=1 state=confirm event=callback 1:place: update failed
        Traceback (most recent call last):
          File "engine/runtime.py", line 101, in handle
            outcome, trigger = self._process(conv, event)
        KeyError: 'order'
        in action 'checkout.place' of 'place' at cart.yaml:59:5 (transitions[6]); flow 'cart'

        During handling of the above exception, another exception occurred:

        Traceback (most recent call last):
          File "engine/sender.py", line 9, in send
        engine.errors.SendError: 400 Bad Request: can't parse entities: Unsupported start tag
        INFO engine.runtime: user=1 state=confirm->confirm trigger=place 3.1ms
    """)
    assert logged_errors(log) == ["engine.errors.SendError: 400 Bad Request: can't parse "
                                  "entities: Unsupported start tag"]
    assert logged_errors("INFO nothing failed\n") == []
    assert logged_errors(log.split("\n\n")[0]) == [
        "KeyError: 'order' — in action 'checkout.place' of 'place' at cart.yaml:59:5 "
        "(transitions[6]); flow 'cart'"]
