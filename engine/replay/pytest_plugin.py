"""pytest collects scripts: every ``*.yaml`` in a folder with a ``_replay.yaml`` (or below
one) is a test, run in-process. Enable with ``pytest_plugins = ["engine.replay.pytest_plugin"]``.
The coverage of each target is printed at the end of the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.replay.runner import CONFIG, Runner, target_for
from engine.replay.script import ScriptError, load_script

_RUNNERS = pytest.StashKey[dict]()


def _configured(path: Path) -> bool:
    return any((folder / CONFIG).is_file() for folder in path.resolve().parents)


def pytest_configure(config) -> None:
    config.stash[_RUNNERS] = {}


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".yaml" and not file_path.name.startswith("_") and \
            _configured(file_path):
        return ScriptFile.from_parent(parent, path=file_path)
    return None


class ScriptFailure(Exception):
    pass


class ScriptFile(pytest.File):
    def collect(self):
        yield ScriptItem.from_parent(self, name=self.path.stem)


class ScriptItem(pytest.Item):
    def runtest(self) -> None:
        try:
            script = load_script(self.path)
            target = target_for(self.path)
        except ScriptError as err:
            raise ScriptFailure(str(err)) from None
        runners = self.config.stash[_RUNNERS]
        if target not in runners:
            runners[target] = Runner(target)
        result = runners[target].run(script)
        if not result.ok:
            raise ScriptFailure("\n".join(result.failures))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScriptFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"conversation {self.path.name}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for target, runner in config.stash.get(_RUNNERS, {}).items():
        if runner.coverage is not None:
            terminalreporter.write_line(f"replay coverage of {target}:")
            terminalreporter.write_line(runner.coverage.report())
