"""Pictures of a bot's flows, drawn from the compiled machine (so they are what runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from engine import spec
from engine.errors import EngineError
from engine.machine import CompiledFlows

ANY_NODE = "any_state"


def _edges(compiled: CompiledFlows) -> list[tuple[str, str, str, str]]:
    """(source, dest, label, style) once per drawn edge; globals drawn from one node."""
    seen, out = set(), []
    for source, dest, t in compiled.edges():
        if t.is_global:
            source = ANY_NODE
        style = "back" if t.dest == spec.BACK else "stay" if t.dest == spec.STAY else "go"
        if t.is_global and t.dest == spec.STAY:
            dest = ANY_NODE
        key = (source, dest, t.label, style)
        if t.is_global and t.dest == spec.BACK:
            continue
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def mermaid(compiled: CompiledFlows) -> str:
    """A Mermaid ``stateDiagram-v2`` of the machine."""
    flowset = compiled.flowset
    lines = ["stateDiagram-v2", f"    [*] --> {flowset.bot.start}"]
    if any(t.is_global for t in flowset.transitions):
        lines.append(f'    state "any state" as {ANY_NODE}')
    for name, state in flowset.states.items():
        if state.input:
            lines.append(f"    {name}: {name} (awaits {state.input.kind})")
    for source, dest, label, style in _edges(compiled):
        arrow = "-->"
        suffix = " (back)" if style == "back" else ""
        lines.append(f"    {source} {arrow} {dest}: {label}{suffix}")
    return "\n".join(lines) + "\n"


def dot(compiled: CompiledFlows) -> str:
    """The same graph in Graphviz's DOT language."""
    flowset = compiled.flowset
    out = ["digraph flows {",
           '  rankdir=LR; node [shape=box, style=rounded, fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];', '  start [shape=point];',
           f'  start -> "{flowset.bot.start}";']
    if any(t.is_global for t in flowset.transitions):
        out.append(f'  "{ANY_NODE}" [label="any state", shape=ellipse, style=dashed];')
    for name, state in flowset.states.items():
        extra = f"\\n(awaits {state.input.kind})" if state.input else ""
        out.append(f'  "{name}" [label="{name}{extra}"];')
    for source, dest, label, style in _edges(compiled):
        attrs = {"back": ', style=dashed, color="gray40"',
                 "stay": ', color="gray50"'}.get(style, "")
        out.append(f'  "{source}" -> "{dest}" [label="{label}"{attrs}];')
    out.append("}")
    return "\n".join(out) + "\n"


def write(compiled: CompiledFlows, target: str | Path) -> Path:
    """Write ``.mmd`` (always possible), ``.dot``, or ``.svg``/``.png`` (needs Graphviz)."""
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix == ".mmd":
        target.write_text(mermaid(compiled), encoding="utf-8")
    elif suffix == ".dot":
        target.write_text(dot(compiled), encoding="utf-8")
    elif suffix in (".svg", ".png"):
        binary = shutil.which("dot")
        if binary is None:
            raise EngineError(f"{target}: drawing {suffix} needs Graphviz's 'dot' (apt-get install "
                              "graphviz); .mmd (Mermaid) works without it")
        done = subprocess.run([binary, f"-T{suffix[1:]}", "-o", str(target)],
                              input=dot(compiled).encode(), capture_output=True)
        if done.returncode:
            raise EngineError(f"{target}: Graphviz's 'dot' failed: "
                              f"{done.stderr.decode(errors='replace').strip()}")
    else:
        raise EngineError(f"{target}: unknown picture type {suffix!r}; expected .mmd, .dot, .svg "
                          "or .png")
    return target
