"""The engine's one exception hierarchy."""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a flow, located in its file."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class FlowError(EngineError):
    """The flows have mistakes; ``problems`` lists every one of them, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the flows:\n{lines}")


class UserError(EngineError):
    """Raised by an action to refuse politely: the user sees ``text_key`` and keeps their place.

    Nothing the transition changed in the conversation is kept; the action is expected to
    have changed no data before raising.
    """

    def __init__(self, text_key: str, /, **values: object) -> None:
        super().__init__(text_key)
        self.text_key = text_key
        self.values = values


class Invalid(EngineError):
    """Raised by a validator: the input is refused and the user is asked again.

    ``text_key`` overrides the input step's ``error`` text when given.
    """

    def __init__(self, text_key: str | None = None, /, **values: object) -> None:
        super().__init__(text_key or "invalid input")
        self.text_key = text_key
        self.values = values


class StaleConversation(EngineError):
    """The conversation changed under us (compare-and-set lost); the update is retried."""
