"""Running scripts: each on a fresh engine and database, with coverage across all of them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from engine.replay.coverage import Coverage
from engine.replay.driver import InProcessDriver, StepResult
from engine.replay.expect import compare
from engine.replay.script import Script, ScriptError, Step
from engine.replay.target import Target, load_target
from engine.testing import ClickError

CONFIG = "_replay.yaml"


@dataclass
class Result:
    script: Script
    failures: list[str] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def target_for(script_path: str | Path, default: str | None = None) -> str:
    """The target of a script: ``_replay.yaml`` in its folder or above, else ``default``."""
    for folder in Path(script_path).resolve().parents:
        config = folder / CONFIG
        if config.is_file():
            return str(yaml.safe_load(config.read_text(encoding="utf-8"))["target"])
    if default:
        return default
    raise ScriptError(f"{script_path}: no {CONFIG} with a 'target: module:attribute' in its "
                      "folder or above, and no --target given")


def _named(entry) -> tuple[str, dict]:
    if isinstance(entry, dict) and len(entry) == 1:
        name, args = next(iter(entry.items()))
        return str(name), dict(args or {})
    return str(entry), {}


class Runner:
    """Runs scripts against a :class:`Target`, in-process or through a driver factory."""

    def __init__(self, target: Target | str, *, driver_factory=None) -> None:
        self.target = load_target(target) if isinstance(target, str) else target
        self.driver_factory = driver_factory
        self.coverage: Coverage | None = None

    def _driver(self, script: Script):
        if self.driver_factory is not None:
            return self.driver_factory(self, script)
        engine = self.target.make_engine()
        if self.coverage is None:
            self.coverage = Coverage(engine.flowset)
        engine.observers.append(self.coverage)
        if script.parties:
            from engine.replay.party import PartiesDriver

            return PartiesDriver(engine, script, self.target)
        bot = None
        if self.target.payments is not None:
            from engine.testing import dispatcher

            bot = dispatcher(engine, pays=self.target.payments(engine))
        # the outbox delivered after each step, as for several parties (an invoice, a notice)
        settle = (lambda: self.target.settle(engine)) if self.target.settle else None
        return InProcessDriver(engine, script.user, bot=bot, settle=settle)

    def run(self, script: Script) -> Result:
        result = Result(script)
        started = time.perf_counter()
        # the script's settings, for the engine and everything it reads them with: set
        # around the script (end to end, the driver factory restarts the bot with them)
        saved = {name: os.environ.get(name) for name in script.env}
        os.environ.update(script.env)
        try:
            return self._run(script, result, started)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _run(self, script: Script, result: Result, started: float) -> Result:
        from engine import lifecycle

        driver = self._driver(script)
        observer = self.coverage.observe_lifecycle if self.coverage is not None else None
        if observer is not None:  # the lifecycles' changes this script makes, in-process
            lifecycle.observers.append(observer)
        done: list[tuple[Step, StepResult]] = []
        try:
            for entry in script.setup:
                name, args = _named(entry)
                if name not in self.target.fixtures:
                    result.failures.append(f"{script.file}: unknown fixture {name!r}; known: "
                                           f"{', '.join(sorted(self.target.fixtures))}")
                    return result
                self.target.fixtures[name](**args)
            for number, step in enumerate(script.steps, start=1):
                result.steps = number
                problems = self._step(driver, step, done)
                if problems:
                    result.failures.append(self._report(script, number, step, problems, done))
                    break
        finally:
            driver.close()
            if observer is not None:
                lifecycle.observers.remove(observer)
            result.seconds = time.perf_counter() - started
        return result

    def _step(self, driver, step: Step, done: list) -> list[str]:
        if step.action == "run":
            name, args = _named(step.value)
            hook = self.target.hooks.get(name)
            if hook is None:
                return [f"unknown hook {name!r}; known: {', '.join(sorted(self.target.hooks))}"]
            if not hasattr(driver, "after_hook"):
                hook(**args)
                if hasattr(driver, "settle"):  # what it queued is sent now, not in the
                    driver.settle()            # next step's messages
                return []
        try:
            # with several parties a hook's effects are seen too: what it had sent
            outcome = driver.after_hook(step, lambda: hook(**args)) if step.action == "run" \
                else driver.do(step)
        except (ClickError, TimeoutError) as err:  # e2e: the bot never went quiet, or a
            return [str(err)]                      # callback query stayed unanswered
        unknown = [name for name in step.probe if name not in self.target.probes]
        if unknown:
            return [f"unknown probe {unknown[0]!r}; known: {', '.join(sorted(self.target.probes))}"]
        probes = {name: self.target.probes[name](driver.user_id) for name in step.probe}
        state = driver.state() if step.state is not None else None
        data = driver.data() if step.data else {}
        done.append((step, outcome))
        return compare(step, outcome, state, data, probes)

    @staticmethod
    def _report(script: Script, number: int, step: Step, problems: list[str], done) -> str:
        lines = [f"{script.where(step.line)}: step {number} ({step.describe()}) of "
                 f"{script.name!r} failed:"]
        lines += [f"  - {p}" for p in problems]
        if done and done[-1][0] is step:
            lines.append("  what the bot did in this step:")
            lines += ["    " + line for line in done[-1][1].describe().splitlines()]
        if len(done) > 1:
            lines.append("  the steps before it:")
            for earlier, _ in done[-6:-1]:
                lines.append(f"    line {earlier.line}: {earlier.describe()}")
        return "\n".join(lines)
