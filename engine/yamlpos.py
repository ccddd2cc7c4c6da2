"""YAML loading that keeps where every value came from (file, line, column)."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from engine.errors import Problem

Path = tuple  # a path into the document: keys and list indexes


@dataclass
class Located:
    """A YAML document as plain Python data plus the position of every node and key."""

    file: str
    data: object = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path, message: str, *, key: bool = False) -> Problem:
        """A problem at ``path`` (at the key itself when ``key``), or at its nearest parent."""
        table = self.keys if key and path in self.keys else self.values
        probe = tuple(path)
        while probe and probe not in table:
            probe = probe[:-1]
            table = self.values
        line, column = table.get(probe, (1, 1))
        return Problem(self.file, line, column, format_path(path), message)


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load(text: str, file: str) -> tuple[Located, list[Problem]]:
    """Parse ``text``; return the located document and any syntax or duplicate-key problems."""
    doc = Located(file)
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(file, line, column, "", f"YAML syntax: {err.problem}"))
        return doc, problems
    if root is None:
        doc.data = {}
        return doc, problems
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, path: Path) -> object:
        doc.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    problems.append(Problem(file, *_mark(key_node), "", "keys must be scalars"))
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    problems.append(Problem(file, *_mark(key_node), format_path((*path, key)),
                                            f"duplicate key {key!r}"))
                doc.keys[(*path, key)] = _mark(key_node)
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(child, (*path, i)) for i, child in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    doc.data = build(root, ())
    return doc, problems
