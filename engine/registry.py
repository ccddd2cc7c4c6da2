"""Python callables named from YAML: actions, conditions, validators and data sources.

Register with the decorators (``@action("cart.add")``) in modules beside the flows; the
loader imports those modules, so the checker knows every name before anything runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

KINDS = ("action", "condition", "validator", "data_source")


@dataclass(frozen=True)
class Registered:
    kind: str
    name: str
    func: Callable
    where: str
    key_length: int = 24


class Registry:
    """Named callables by kind. ``engine.registry`` is the default one the decorators fill.

    Several bots may live in one process (a test suite runs the shop and an example bot):
    a name may be registered once per directory of flows, and :meth:`scoped` gives a bot the
    view of its own directory (names defined elsewhere are visible when they are unique).
    """

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Registered]] = {kind: {} for kind in KINDS}
        self._all: dict[str, dict[str, list[Registered]]] = {kind: {} for kind in KINDS}

    def _register(self, kind: str, name: str | None, key_length: int = 24) -> Callable:
        def decorator(func: Callable) -> Callable:
            key = name or func.__name__
            try:
                where = f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]}"
            except (OSError, TypeError):
                where = repr(func)
            entry = Registered(kind, key, func, where, key_length)
            versions = [e for e in self._all[kind].setdefault(key, []) if e.where != where]
            folder = _folder(where)
            clash = next((e for e in versions if _folder(e.where) == folder), None)
            if clash is not None:
                raise ValueError(f"{kind} {key!r} is registered twice: {clash.where} and {where}")
            self._all[kind][key] = [*versions, entry]
            self.entries[kind][key] = entry
            return func
        return decorator

    def scoped(self, directory) -> Registry:
        """The names a bot whose flows are in ``directory`` sees."""
        import os

        root = os.path.realpath(str(directory))
        view = Registry()
        for kind, names in self._all.items():
            for key, versions in names.items():
                inside = [e for e in versions if _folder(e.where) == root]
                chosen = inside[-1] if inside else (versions[0] if len(versions) == 1 else None)
                if chosen is not None:
                    view.entries[kind][key] = chosen
                    view._all[kind][key] = [chosen]
        return view

    def action(self, name: str | None = None) -> Callable:
        """Register ``func(ctx)``: changes data, never sends messages."""
        return self._register("action", name)

    def condition(self, name: str | None = None) -> Callable:
        """Register ``func(ctx) -> bool``."""
        return self._register("condition", name)

    def validator(self, name: str | None = None) -> Callable:
        """Register ``func(ctx, value) -> value``; raise :class:`engine.Invalid` to refuse."""
        return self._register("validator", name)

    def data_source(self, name: str | None = None, *, key_length: int = 24) -> Callable:
        """Register ``func(ctx)`` returning an object (``data:``) or items (``each:``).

        ``key_length`` is the longest value an item gives to a button's ``args`` (used to
        prove callback data fits Telegram's 64 bytes; 24 suits a MongoDB ObjectId).
        """
        return self._register("data_source", name, key_length)

    def get(self, kind: str, name: str) -> Registered | None:
        return self.entries[kind].get(name)

    def names(self, kind: str) -> list[str]:
        return sorted(self.entries[kind])


def _folder(where: str) -> str:
    import os

    return os.path.dirname(os.path.realpath(where.rsplit(":", 1)[0]))


registry = Registry()
action = registry.action
condition = registry.condition
validator = registry.validator
data_source = registry.data_source
