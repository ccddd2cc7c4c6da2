"""A job run every few seconds on a daemon thread, beside the bot (housekeeping)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Periodic:
    """Calls ``job`` every ``seconds`` until :meth:`stop`; a failing run is logged, and the
    next one happens as planned."""

    def __init__(self, job: Callable[[], object], seconds: float, name: str) -> None:
        self.job, self.seconds, self.name = job, seconds, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.job()
            except Exception:  # broad on purpose: housekeeping must outlive a bad run
                logger.exception("%s failed; trying again in %.0fs", self.name, self.seconds)
