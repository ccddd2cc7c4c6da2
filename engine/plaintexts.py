"""Text keys the Python modules beside the flows send as plain text, read from their source.

``ctx.notify(key)``, ``UserError(key)`` and ``Invalid(key)`` are shown without a parse mode
(a toast, or a plain message), so the checker must not parse those texts as HTML: there a
``<`` is just a character. A key passed as a variable (``key = "a" if x else "b"``) is
followed to the strings assigned to that name in the module. Every other text the Python
uses may end up in HTML (``Html(text(...))``), so the checker parses it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PLAIN_CALLS = frozenset({"notify", "UserError", "Invalid"})


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None


def plain_keys(directory: str | Path | None) -> set[str]:
    """Keys given to ``notify``, ``UserError`` or ``Invalid`` in ``directory/*.py``."""
    keys: set[str] = set()
    for path in sorted(Path(directory).glob("*.py")) if directory else ():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, ValueError):
            continue  # a module that cannot be read is reported by its import
        assigned: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, set()).update(_strings(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in PLAIN_CALLS and node.args:
                first = node.args[0]
                keys |= assigned.get(first.id, set()) if isinstance(first, ast.Name) \
                    else _strings(first)
    return keys
