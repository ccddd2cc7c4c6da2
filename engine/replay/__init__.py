"""Scripted conversations: a readable YAML format, a runner (in-process or end-to-end),
transition coverage, and a recorder.

    python -m engine replay tests/conversations/ [--e2e] [--min-coverage 100]
"""

from engine.replay.runner import Result, Runner
from engine.replay.script import Script, ScriptError, load_script
from engine.replay.target import Target

__all__ = ["Result", "Runner", "Script", "ScriptError", "Target", "load_script"]
