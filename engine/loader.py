"""Load a directory of flows: YAML files, the Python modules beside them, the texts."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from engine import build, spec
from engine.errors import FlowError, Problem
from engine.registry import Registry
from engine.registry import registry as default_registry
from engine.schema import check_structure
from engine.templates import Catalog
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
            line = getattr(err, "lineno", None) or 1
            problems.append(Problem(str(path), line, 1, "", f"cannot import: {err!r}"))
    return problems


def _load_texts(directory: Path, languages: list[str], problems: list[Problem],
                where: spec.Where | None) -> tuple[dict, dict]:
    texts: dict[str, dict[str, str]] = {}
    positions: dict[tuple[str, str], tuple[str, int, int]] = {}
    for lang in languages:
        path = directory / f"{lang}.yaml"
        if not path.is_file():
            w = where or spec.Where(str(directory), 1, 1, "")
            problems.append(Problem(w.file, w.line, w.column, "bot.texts",
                                    f"no texts for language {lang!r}: expected {path}"))
            texts[lang] = {}
            continue
        doc, syntax = load_yaml(path.read_text(encoding="utf-8"), str(path))
        problems.extend(syntax)
        table = doc.data if isinstance(doc.data, dict) else {}
        texts[lang] = {str(k): str(v) for k, v in table.items()}
        for key in table:
            line, column = doc.keys.get((key,), (1, 1))
            positions[(lang, str(key))] = (str(path), line, column)
    return texts, positions


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
    problems.extend(_import_modules(directory))
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
    structure_ok = not problems
    positions: dict = {}
    if texts is None:
        base = Path(bots[0][0].file).parent if bots else directory
        texts_dir = base / bot.texts_dir if bot.texts_dir else directory / "texts"
        texts, positions = _load_texts(texts_dir, bot.languages, problems, bot.where)
    flows = Flows(bot=bot, states=states, transitions=transitions,
                  catalog=Catalog(texts, bot.default_language), registry=registry,
                  directory=directory, version=digest.hexdigest()[:12], text_positions=positions)
    problems.extend(check(flows, graph=structure_ok))
    if problems:
        raise FlowError(problems)
    return flows
