"""The replay target of the engine's example bot."""

from __future__ import annotations

import sys
from pathlib import Path

from engine import Engine, MemoryStore, StubSender, load_flows
from engine.replay import Target

_flows = []


def make_engine() -> Engine:
    from tests.engine.examples.mini import actions

    actions.FAILURES["place"] = False
    if not _flows:
        _flows.append(load_flows(Path(__file__).parent))
    return Engine(_flows[0], MemoryStore(), StubSender())


def _fail_next_order() -> None:
    from tests.engine.examples.mini import actions

    actions.FAIL_FILE.touch()


def _connect(uri: str) -> None:
    import mongoengine

    mongoengine.disconnect()
    mongoengine.connect(host=uri, uuidRepresentation="standard")


HERE = Path(__file__).resolve().parent
target = Target(
    make_engine=make_engine, hooks={"fail_next_order": _fail_next_order},
    bot_command=[sys.executable, str(HERE / "run.py")], connect=_connect,
    load_flows=lambda: load_flows(HERE))
