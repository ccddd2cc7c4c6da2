"""Texts catalogs on disk: ``<lang>.yaml`` with dotted keys, nested mappings, or both.

``menu.title: Hi`` and ``menu: {title: Hi}`` are the same text ``menu.title``, as in most
i18n files. Every text keeps where it was written, for the checker's ``file:line:col``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Problem
from engine.yamlpos import Located
from engine.yamlpos import load as load_yaml

Position = tuple[str, int, int]  # file, line, column


@dataclass
class Catalogs:
    """The texts of every language, where each key and value was written, and which
    languages' files could not be read (their missing texts are consequences, not causes)."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: dict[tuple[str, str], Position] = field(default_factory=dict)
    values: dict[tuple[str, str], Position] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def _flatten(doc: Located, node: dict, path: tuple, lang: str, out: Catalogs) -> None:
    for name, value in node.items():
        at = (*path, name)
        if isinstance(value, dict):
            _flatten(doc, value, at, lang, out)
            continue
        key = ".".join(str(part) for part in at)
        if value is None or isinstance(value, list):
            what = "nothing" if value is None else "a list"
            out.problems.append(doc.at(at, f"expected a text, got {what}"))
            continue
        if key in out.texts[lang]:
            line = out.keys[(lang, key)][1]
            out.problems.append(doc.at(at, f"text {key!r} is written twice (first at line "
                                           f"{line}: once nested, once dotted?)", key=True))
            continue
        out.texts[lang][key] = str(value)
        out.keys[(lang, key)] = (doc.file, *doc.keys.get(at, (1, 1)))
        out.values[(lang, key)] = (doc.file, *doc.values.get(at, (1, 1)))


def load_catalogs(directory: Path, languages: list[str], missing_at: Position) -> Catalogs:
    """Read ``<lang>.yaml`` for every language in ``directory``; nested keys are joined with
    dots. ``missing_at`` is where to report a language without a file."""
    out = Catalogs()
    for lang in languages:
        path = Path(os.path.normpath(directory / f"{lang}.yaml"))
        out.texts[lang] = {}
        if not path.is_file():
            out.problems.append(Problem(*missing_at, "bot.texts",
                                        f"no texts for language {lang!r}: expected {path}"))
            out.unreadable.add(lang)
            continue
        doc, syntax = load_yaml(path.read_text(encoding="utf-8"), str(path))
        out.problems.extend(syntax)
        if doc.data is None:  # a syntax error: one problem, not one per text it hides
            out.unreadable.add(lang)
        elif not isinstance(doc.data, dict):
            out.problems.append(doc.at((), "expected a mapping of text keys to texts"))
            out.unreadable.add(lang)
        else:
            _flatten(doc, doc.data, (), lang, out)
    return out
