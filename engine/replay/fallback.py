"""The replay target of a bot that has none: its flows directory's Application.

A script saved from the playground (or recorded with ``--console --record``) names the flows
directory it was recorded on (``flows:``). Without a ``_replay.yaml`` and without
``--target``, ``python -m engine replay`` replays it on that directory's Application (the one
among the modules beside the flows, else the flows alone on an in-memory store): its
``build_engine`` with a :class:`~engine.StubSender`, on a fresh embedded database per script,
and its ``load_demo`` as the fixtures its ``record_setup`` names (and ``demo``); its
``payments`` answer ``pay:`` steps and its ``outbox_queue`` is sent after each step.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from engine.replay.script import Script, ScriptError
from engine.replay.target import Target

_databases = itertools.count()


def flows_dir_of(script: Script) -> Path | None:
    """The flows directory ``script`` names (``flows:``): as written when absolute, else
    from the working directory, else from the script's folder or one above; ``None`` when
    it names none. Raises :class:`ScriptError` when the directory is not found."""
    if not script.flows:
        return None
    named = Path(script.flows)
    candidates = [named] if named.is_absolute() else \
        [Path.cwd() / named, *(folder / named for folder in Path(script.file).resolve().parents)]
    for candidate in candidates:
        if (candidate / "bot.yaml").is_file() or candidate.is_dir() and \
                any(candidate.glob("*.yaml")):
            return candidate
    raise ScriptError(f"{script.file}:1:1: 'flows: {script.flows}' is no flows directory "
                      "(from here or from the script's folder); give --flows DIR or --target")


def application_target(directory: str | Path) -> Target:
    """A :class:`Target` on the Application of the flows in ``directory`` (loaded and
    checked now: a :class:`~engine.errors.FlowError` says what is wrong)."""
    from engine.loader import load_flows
    from engine.playground import discover
    from engine.run.application import Application
    from engine.sender import StubSender

    directory = Path(directory)
    load_flows(directory)  # checked, and the modules beside the flows imported
    app, _ = discover.find(directory)
    app = app or discover.bare_application(directory)

    loaded = []  # the settings of the newest engine (the script's env: among them)

    def make_engine():
        settings = _embedded_settings(app, f"mongomock://localhost/replay{next(_databases)}")
        loaded[:] = [settings]
        engine = app.start(settings, StubSender())
        if app.is_embedded is not Application.is_embedded and not app.is_embedded():
            raise ScriptError(f"{directory}: the application's database is not the embedded "
                              "store: replay it with its own target (--target)")
        return engine

    def load_demo(**_):
        with app.unit_of_work():
            app.load_demo()

    fixtures = {name: load_demo for name in (*app.record_setup, "demo")} \
        if app.load_demo is not None else {}
    def settle(engine) -> None:  # an outbox worker sends what the step queued
        from engine.broadcast import SenderTransport, Worker

        Worker(app.outbox_queue(), SenderTransport(engine.sender), rate=1000, threads=1,
               per_chat_interval=0, name="replay-outbox").drain()

    return Target(make_engine=make_engine, fixtures=fixtures,
                  load_flows=lambda: load_flows(directory),
                  settle=settle if app.outbox_queue is not None else None,
                  payments=(lambda engine: app.payments(loaded[0]))
                  if app.payments is not None else None)


def _embedded_settings(app, uri: str):
    """The application's settings with ``MONGO_URI`` set to the embedded ``uri`` while they
    are read (the environment is put back after)."""
    from engine.run.application import Settings

    before = os.environ.get("MONGO_URI")
    os.environ["MONGO_URI"] = uri
    try:
        return app.load_settings() if app.load_settings else Settings.from_env(dotenv=False)
    finally:
        if before is None:
            os.environ.pop("MONGO_URI", None)
        else:
            os.environ["MONGO_URI"] = before
