"""Which states and transitions of the flows the replayed conversations exercised."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from engine import spec


def transition_id(t: spec.Transition) -> str:
    """A transition's stable name: where it is written and what it does."""
    where = t.where
    file = os.path.relpath(where.file) if where else "?"
    return f"{file}:{where.line if where else 0} {t.label} -> {t.dest}"


def lifecycle_id(cycle, change, source: str) -> str:
    """A lifecycle change from one status, named as flow transitions are."""
    where = change.where
    file = os.path.relpath(where.file) if where else "?"
    return f"{file}:{where.line if where else 0} {cycle.name}: {change.trigger} " \
           f"{source} -> {change.dest}"


class Coverage:
    """Counts per transition and per state, across any number of scripts; the flows'
    lifecycles' changes (engine/lifecycle.py) count as transitions too, one per status
    they leave."""

    def __init__(self, flowset) -> None:
        self.flowset = flowset
        self.transitions = {transition_id(t): 0 for t in flowset.transitions}
        for cycle in (getattr(flowset, "lifecycles", None) or {}).values():
            for change in cycle.changes:
                for source in change.source:
                    self.transitions[lifecycle_id(cycle, change, source)] = 0
        self.states = {name: 0 for name in flowset.states}
        self.states[flowset.bot.start] = self.states.get(flowset.bot.start, 0)

    def observe(self, source: str, transition: spec.Transition, dest: str) -> None:
        key = transition_id(transition)
        self.transitions[key] = self.transitions.get(key, 0) + 1
        for state in (source, dest):
            self.states[state] = self.states.get(state, 0) + 1

    __call__ = observe

    def observe_lifecycle(self, cycle, change, source: str) -> None:
        """A lifecycle change was made (only the flows' own lifecycles count)."""
        key = lifecycle_id(cycle, change, source)
        if key in self.transitions:
            self.transitions[key] += 1

    def merge_file(self, path: str | Path) -> None:
        """Add the records a bot process wrote (``ENGINE_COVERAGE_FILE``)."""
        path = Path(path)
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if record.get("lifecycle"):
                    if record["t"] in self.transitions:
                        self.transitions[record["t"]] += 1
                    continue
                self.transitions[record["t"]] = self.transitions.get(record["t"], 0) + 1
                for state in (record["from"], record["to"]):
                    self.states[state] = self.states.get(state, 0) + 1

    @property
    def percent(self) -> float:
        hit = sum(1 for count in self.transitions.values() if count)
        return 100.0 * hit / len(self.transitions) if self.transitions else 100.0

    def report(self) -> str:
        hit_t = sum(1 for c in self.transitions.values() if c)
        hit_s = sum(1 for c in self.states.values() if c)
        lines = [f"coverage: transitions {hit_t}/{len(self.transitions)} ({self.percent:.0f}%), "
                 f"states {hit_s}/{len(self.states)}"]
        missed_s = sorted(name for name, c in self.states.items() if not c)
        missed_t = sorted(name for name, c in self.transitions.items() if not c)
        if missed_s:
            lines.append("  states never visited: " + ", ".join(missed_s))
        if missed_t:
            lines.append("  transitions never taken:")
            lines += [f"    {name}" for name in missed_t]
        return "\n".join(lines)


class FileRecorder:
    """An engine observer appending each transition taken to a JSON-lines file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, source: str, transition: spec.Transition, dest: str) -> None:
        record = json.dumps({"t": transition_id(transition), "from": source, "to": dest})
        with self.lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(record + "\n")

    def lifecycle(self, cycle, change, source: str) -> None:
        """A lifecycle observer (``engine.lifecycle.observers``)."""
        record = json.dumps({"t": lifecycle_id(cycle, change, source), "lifecycle": True})
        with self.lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(record + "\n")
