"""The exceptions the engine caught during a step, one line each, for the failure report.

The engine logs an exception inside an update and apologises to the user ("Something went
wrong"): a script then fails on that text, and without the exception's summary the report
says nothing of the cause (a ``SendError`` "can't parse entities", an action's bug).
In-process the engine's log records are read as they are made; end-to-end the bot
process's log is read for the tracebacks it printed during the step.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

LOGGER = "engine"  # the engine's loggers are all below it


NOTE = ("in action ", "in condition ")  # the engine's note on an exception (engine/machine.py)


def summary(exc: BaseException) -> str:
    """``module.Type: message`` as a traceback's last line reads, with the engine's note
    (which action, at which YAML line), on one line."""
    lines = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    notes = [line for line in lines[1:] if line.startswith(NOTE)]
    return " — ".join(lines[:1] + notes) if lines else type(exc).__name__


class _Collector(logging.Handler):
    def __init__(self, found: list[str], forward_from: int | None) -> None:
        super().__init__(logging.ERROR)
        self.found = found
        self.forward_from = forward_from

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            self.found.append(summary(exc))
        if self.forward_from is not None and record.levelno >= self.forward_from:
            logging.getLogger().handle(record)  # what the application asked to see anyway


@contextmanager
def engine_errors(found: list[str]) -> Iterator[list[str]]:
    """Append to ``found`` the summary of every exception the engine logs meanwhile.

    When the engine's log level hides errors (``engine replay`` is quiet by default), the
    records are made for this collector only: nothing else shows what it was not asked to.
    """
    logger = logging.getLogger(LOGGER)
    level, propagate = logger.level, logger.propagate
    effective = logger.getEffectiveLevel()
    quiet = effective > logging.ERROR
    handler = _Collector(found, effective if quiet and propagate else None)
    logger.addHandler(handler)
    if quiet:
        logger.setLevel(logging.ERROR)
        logger.propagate = False
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def logged_errors(log: str) -> list[str]:
    """The last line of every traceback in ``log`` (a chain's: its final exception's), with
    the engine's note when it follows."""
    found: list[str] = []
    inside = chained = noted = False
    for line in log.splitlines():
        if noted and line.startswith(NOTE):
            found[-1] += f" — {line.strip()}"
        noted = False
        if line.startswith("Traceback (most recent call last):"):
            inside = True
        elif line.startswith(("During handling of the above exception",
                              "The above exception was the direct cause")):
            chained = True
        elif inside and line.strip() and not line.startswith((" ", "\t")):
            if chained and found:
                found.pop()
            found.append(line.strip())
            inside = chained = False
            noted = True
    return found
