"""Load a directory of flows: YAML files, the Python modules beside them, the texts."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from engine import build, lifecycle, spec
from engine.errors import FlowError, Problem
from engine.registry import Registry
from engine.registry import registry as default_registry
from engine.schema import check_structure
from engine.templates import Catalog
from engine.textfiles import Catalogs, load_catalogs
from engine.yamlpos import Located
from engine.yamlpos import load as load_yaml


@dataclass
class Flows:
    """Every flow of one bot, checked: states, transitions, texts and named callables."""

    bot: spec.BotSpec
    states: dict[str, spec.State]
    transitions: list[spec.Transition]
    catalog: Catalog
    registry: Registry
    directory: Path | None = None
    version: str = ""
    text_positions: dict[tuple[str, str], tuple[str, int, int]] = field(default_factory=dict)
    text_values: dict[tuple[str, str], tuple[str, int, int]] = field(default_factory=dict)
    unreadable_texts: set[str] = field(default_factory=set)  # languages whose file is broken
    lifecycles: dict = field(default_factory=dict)  # name -> engine.lifecycle.Lifecycle


def _import_modules(directory: Path) -> list[Problem]:
    """Import the ``*.py`` files beside the flows so their decorators register names."""
    problems = []
    parts, root = [], directory.resolve()
    while (root / "__init__.py").is_file():  # a package: import it under its full name
        parts.insert(0, root.name)
        root = root.parent
    package = ".".join(parts)
    if package and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    for path in sorted(directory.glob("*.py")):
        if path.name == "__init__.py":
            continue
        try:
            if package:
                importlib.import_module(f"{package}.{path.stem}")
            else:
                name = f"_flows_{hashlib.md5(str(path).encode()).hexdigest()[:8]}_{path.stem}"
                if name not in sys.modules:
                    module_spec = importlib.util.spec_from_file_location(name, path)
                    module = importlib.util.module_from_spec(module_spec)
                    sys.modules[name] = module
                    module_spec.loader.exec_module(module)
        except Exception as err:  # a broken module is a problem to report, like a YAML error
            problems.append(_import_problem(path, err))
    return problems


def _import_problem(path: Path, err: Exception) -> Problem:
    """Where importing ``path`` really failed: the YAML file it read, the line with the
    syntax error, or the module's own line that raised."""
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        if mark is not None and not mark.name.startswith("<"):
            return Problem(os.path.normpath(mark.name), mark.line + 1, mark.column + 1, "",
                           f"YAML syntax: {err.problem}")
        if mark is not None:  # read from a string: "<unicode string>", the file is unknown
            return Problem(str(path), _line_in(path, err), 1, "",
                           _unnamed_yaml(mark.line + 1, mark.column + 1, err.problem))
    if isinstance(err, SyntaxError) and err.filename:
        return Problem(os.path.normpath(err.filename), err.lineno or 1, err.offset or 1, "",
                       f"cannot import {path.name}: {err.msg}")
    return Problem(str(path), _line_in(path, err), 1, "",
                   f"cannot import: {type(err).__name__}: {err}")


def _line_in(path: Path, err: Exception) -> int:
    """The line of module ``path`` where the failure started."""
    line = 1
    for frame in traceback.extract_tb(err.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno or 1
    return line


def _unnamed_yaml(line: int, column: int, problem: str | None) -> str:
    return f"cannot import: YAML syntax at {line}:{column} of what it reads: {problem}"


def _echoes(imported: Problem, problems: list[Problem]) -> bool:
    """Whether a module failed to import because of one of ``problems``' YAML errors."""
    for p in problems:
        if not p.message.startswith("YAML syntax: "):
            continue
        if (p.line, p.column, p.message) == (imported.line, imported.column, imported.message):
            return True
        problem = p.message.removeprefix("YAML syntax: ")
        if imported.message == _unnamed_yaml(p.line, p.column, problem):
            return True
    return False


def load_flows(directory: str | Path, *, registry: Registry | None = None,
               texts: dict[str, dict[str, str]] | None = None) -> Flows:
    """Load, check and return the flows in ``directory``; raise :class:`FlowError` listing
    every problem found (syntax, structure, references, reachability, Telegram limits).

    ``texts`` (``{lang: {key: text}}``) overrides the catalog named by ``bot.texts``.
    """
    from engine.checks import check

    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise FlowError([Problem(str(directory), 1, 1, "", "not a directory of flow files")])
    imported = _import_modules(directory)
    problems.extend(imported)
    registry = registry or default_registry.scoped(directory)
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    digest = hashlib.sha256()
    docs: list[Located] = []
    for path in files:
        content = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + content.encode())
        doc, syntax = load_yaml(content, str(path))
        problems.extend(syntax)
        if doc.data is not None:  # None only after a syntax error
            structure = check_structure(doc)
            problems.extend(structure)
            docs.append(doc)
    if not files:
        problems.append(Problem(str(directory), 1, 1, "", "no flow files (*.yaml) here"))
    bots = [(doc, b) for doc in docs if (b := build.bot(doc)) is not None]
    for doc, _ in bots[1:]:
        problems.append(doc.at(("bot",),
                               f"a second 'bot' section; the first is in {bots[0][0].file}",
                               key=True))
    if not bots and files:
        problems.append(Problem(str(files[0]), 1, 1, "", "no file has a 'bot' section "
                                "(expected one, with at least 'start')"))
    bot = bots[0][1] if bots else spec.BotSpec()
    states: dict[str, spec.State] = {}
    transitions: list[spec.Transition] = []
    lifecycles: dict[str, lifecycle.Lifecycle] = {}
    for doc in docs:
        flow = (doc.data.get("flow") if isinstance(doc.data, dict) else None) or Path(doc.file).stem
        for state in build.states(doc, flow):
            if state.name in states:
                first = states[state.name].where
                w = state.where
                problems.append(Problem(w.file, w.line, w.column, w.path,
                                        f"state {state.name!r} is declared twice; first at "
                                        f"{first.file}:{first.line}"))
                continue
            states[state.name] = state
        transitions.extend(build.transitions(doc))
        for cycle in lifecycle.build(doc):
            if cycle.name in lifecycles:
                problems.append(Problem(cycle.where.file, cycle.where.line, cycle.where.column,
                                        cycle.where.path, f"lifecycle {cycle.name!r} is "
                                        "declared twice"))
            lifecycles[cycle.name] = cycle
    structure_ok = not problems
    catalogs = Catalogs(texts=texts) if texts is not None else None
    if catalogs is None:
        base = Path(bots[0][0].file).parent if bots else directory
        texts_dir = base / bot.texts_dir if bot.texts_dir else directory / "texts"
        w = bot.where or spec.Where(str(texts_dir), 1, 1, "")
        catalogs = load_catalogs(texts_dir, bot.languages, (w.file, w.line, w.column))
        problems.extend(catalogs.problems)
        # a broken texts file also breaks every module that reads it: say it once
        problems[:] = [p for p in problems if p not in imported
                       or not _echoes(p, catalogs.problems)]
    flowset = Flows(bot=bot, states=states, transitions=transitions,
                  catalog=Catalog(catalogs.texts, bot.default_language), registry=registry,
                  directory=directory, version=digest.hexdigest()[:12],
                  text_positions=catalogs.keys, text_values=catalogs.values,
                  unreadable_texts=catalogs.unreadable, lifecycles=lifecycles)
    problems.extend(check(flowset, graph=structure_ok, names=not imported))
    problems.extend(lifecycle.check(lifecycles, registry if not imported else None))
    if problems:
        raise FlowError(problems)
    return flowset
