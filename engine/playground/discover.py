"""What the playground runs for a flows directory: the bot's :class:`~engine.run.Application`
and its replay :class:`~engine.replay.Target`, found among the modules beside the flow files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from engine.replay.target import Target
from engine.run.application import Application, Settings


def _modules_of(directory: Path):
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().parent == directory:
            yield name, module


def find(directory: str | Path) -> tuple[Application | None, str | None]:
    """The Application whose ``flows_dir`` is ``directory`` and the ``module:attribute`` of a
    replay Target, among the modules beside the flows (import them first: loading the flows
    does). Either is None when there is none."""
    directory = Path(directory).resolve()
    app = target = None
    for name, module in sorted(_modules_of(directory)):
        for attribute, value in sorted(vars(module).items()):
            if app is None and isinstance(value, Application) and \
                    Path(value.flows_dir).resolve() == directory:
                app = value
            elif target is None and isinstance(value, Target):
                target = f"{name}:{attribute}"
    return app, target


def bare_application(directory: str | Path) -> Application:
    """An Application for flows that have none: the flows on an in-memory store."""
    from engine.loader import load_flows
    from engine.runtime import Engine
    from engine.store import MemoryStore

    return Application(flows_dir=directory, build_engine=lambda settings, sender: Engine(
        load_flows(directory), MemoryStore(), sender))


def default_settings(media_dir: str | Path = ".") -> Any:
    """Settings for an application that reads none: the run modes' fields, offline."""
    return Settings(media_dir=str(media_dir))


def default_setup(app: Application, target: str | None) -> list[str]:
    """The fixtures a saved script starts with: the application's ``record_setup`` (what
    loads the data ``load_demo`` loads), else the target's ``demo_catalog`` or ``demo``;
    none when the bot has no demo data."""
    if app.load_demo is None:
        return []
    if app.record_setup:
        return list(app.record_setup)
    if target is None:
        return []
    from engine.replay.target import load_target

    fixtures = load_target(target).fixtures
    return [name for name in ("demo_catalog", "demo") if name in fixtures][:1]
