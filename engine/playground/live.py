"""The bot the playground runs: built once from its Application, rebuilt from the flows
when a flow or texts file changes (the old flows keep running while the new ones fail the
checker), with one engine shared by every browser session."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import FlowError, Problem
from engine.graph import dot, mermaid
from engine.loader import load_flows
from engine.machine import CompiledFlows
from engine.runtime import Engine
from engine.sender import StubSender

logger = logging.getLogger(__name__)
PATTERNS = ("*.yaml", "*.yml")


class LiveEngine:
    """The current engine, whichever it is after reloads: what a chat client holds, so its
    messages, conversation and store outlive a reload of the flow files."""

    def __init__(self, engine: Engine) -> None:
        self.current = engine

    def handle(self, event) -> bool:
        return self.current.handle(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)


def graph_of(flowset) -> dict:
    """The flow graph for the page: an SVG drawn by Graphviz when its ``dot`` is installed,
    else the Mermaid text (the page highlights the current state in either)."""
    compiled = CompiledFlows(flowset)
    binary = shutil.which("dot")
    if binary:
        done = subprocess.run([binary, "-Tsvg"], input=dot(compiled).encode(),
                              capture_output=True, timeout=30)
        if done.returncode == 0:
            svg = done.stdout.decode("utf-8", errors="replace")
            return {"kind": "svg", "svg": svg[svg.find("<svg"):]}
        logger.warning("Graphviz could not draw the flows: %s", done.stderr.decode()[:200])
    return {"kind": "mermaid", "mermaid": mermaid(compiled)}


class Playground:
    """One bot for every browser session: ``engine`` is the live one, ``problems`` what the
    checker said of the files on disk when they last failed (empty when they run)."""

    def __init__(self, app, settings: Any, *, demo: bool = True) -> None:
        self.app = app
        self.settings = settings
        self.directory = Path(app.flows_dir)
        self.lock = threading.RLock()  # one update at a time: the embedded store wants it
        self.sender = StubSender()
        self.engine = LiveEngine(app.start(settings, self.sender, demo=demo))
        self.problems: list[str] = []
        self.reloads = 0  # successful reloads so far: the page redraws the graph after one
        self.graph = graph_of(self.engine.flowset)
        self._stamp = self._files()
        self._checked = 0.0
        self._looking = threading.Lock()

    # -- reload on save ------------------------------------------------------------------
    def watched(self) -> list[Path]:
        """The flow files and the texts catalogs of the bot."""
        flowset = self.engine.flowset
        texts = self.directory / (flowset.bot.texts_dir or "texts")
        files = [path for pattern in PATTERNS for path in self.directory.glob(pattern)]
        files += [path for pattern in PATTERNS for path in texts.glob(pattern)]
        return sorted(set(files))

    def _files(self) -> dict[Path, tuple[int, int]]:
        stamps = {}
        for path in self.watched():
            try:
                stat = path.stat()
                stamps[path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:  # removed between the listing and now
                continue
        return stamps

    def check_reload(self, every: float = 0.3) -> bool:
        """Reload the flows when a watched file changed since the last look (at most every
        ``every`` seconds); True when the running flows changed."""
        with self._looking:  # one look at a time: several pages poll at once
            now = time.monotonic()
            if now - self._checked < every:
                return False
            self._checked = now
            stamp = self._files()
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            return self.reload()

    def reload(self) -> bool:
        """Check the flows on disk and, when they pass, run them from the next update on
        with the same store, sender and services (conversations carry over: a state that
        is gone sends its users to the start, as after a deployment)."""
        try:
            flowset = load_flows(self.directory)
        except FlowError as err:
            self.problems = [self._where(problem) for problem in err.problems]
            logger.warning("flows not reloaded: %d problem(s)", len(err.problems))
            return False
        with self.lock:
            old = self.engine.current
            engine = Engine(flowset, old.store, old.sender, unit_of_work=old.unit_of_work,
                            services=old.services, on_blocked=old.on_blocked)
            engine.observers.extend(old.observers)
            self.engine.current = engine
            self.problems = []
            self.reloads += 1
            self.graph = graph_of(flowset)
        logger.info("flows reloaded (%s)", flowset.version)
        return True

    @staticmethod
    def _where(problem: Problem) -> str:
        """``file:line:col: path: message`` with the file relative to the working directory."""
        text = str(problem)
        file = str(problem.file)
        try:
            relative = os.path.relpath(file)
        except ValueError:
            return text
        return relative + text[len(file):] if text.startswith(file) and \
            not relative.startswith("..") else text
