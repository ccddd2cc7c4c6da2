"""Scripted conversations end to end: the real bot processes (the shop's run_bot.py, the
engine's example bot, examples/cafe/run.py), long polling against the fake Telegram server,
data in a real MongoDB-wire server. CI runs them against FerretDB (``.ci/run``)."""

from __future__ import annotations

import os

import pytest

from engine.replay.cli import main as replay

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("MONGO_URI", "").startswith("mongodb"),
                       reason="end-to-end replays need MONGO_URI=mongodb://... (a real server "
                              "shared with the bot process; see docs/integration.md)"),
]


@pytest.mark.parametrize("scripts", ["tests/conversations",
                                     "tests/engine/examples/mini/conversations",
                                     "examples/cafe/conversations"])
def test_every_script_passes_end_to_end_with_full_coverage(scripts, capsys):
    code = replay([scripts, "--e2e", "--min-coverage", "100", "-q"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 failed" in out and "(100%)" in out, out
