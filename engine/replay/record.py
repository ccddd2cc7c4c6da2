"""Recording a conversation typed in the console as a replayable script."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from engine.replay.driver import InProcessDriver


class Recorder:
    """Collects each step with what the bot answered; :meth:`close` writes the script.

    The expectations are exact (texts, buttons, edits, toasts, state): edit them into
    ``contains``/``regex`` matchers where the exact value does not matter.
    """

    def __init__(self, path: str | Path, *, language: str, name: str | None = None,
                 setup: Iterable = ()) -> None:
        """Record to ``path`` as a user speaking ``language``; the script's ``setup`` lists
        the target's fixtures that prepare the data the console started with (the
        application's ``record_setup``)."""
        self.path = Path(path)
        self.language = language
        self.name = name or self.path.stem.replace("_", " ")
        self.setup = list(setup)
        self.steps: list[dict] = []
        self.user: dict | None = None

    def step(self, action: dict, client) -> None:
        if self.user is None:
            self.user = {"id": client.user_id, "first_name": client.user["first_name"],
                         "language": self.language}
        result = InProcessDriver.__new__(InProcessDriver)
        result.client, result._inline = client, "click" in action
        outcome = result.result()
        step = dict(action)
        step["expect"] = [
            {"text": shown.text, **({"photo": shown.photo} if shown.photo else {}),
             **({"buttons": shown.buttons} if shown.buttons else {}),
             "edited" if shown.kind == "edit" else "new": True}
            for shown in outcome.shown]
        if outcome.answers:
            step["toast"] = outcome.answers[-1]
        step["state"] = client.state
        self.steps.append(step)

    def close(self) -> None:
        script = {"name": self.name, "user": self.user or {"id": 1, "language": self.language},
                  "setup": self.setup, "steps": self.steps}
        self.path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False,
                                            width=100), encoding="utf-8")
        print(f"recorded {len(self.steps)} steps to {self.path}")
