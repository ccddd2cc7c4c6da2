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
                 setup: Iterable = (), flows: str | Path | None = None,
                 target: str | None = None, env: dict[str, str] | None = None) -> None:
        """Record to ``path`` as a user speaking ``language``; the script's ``setup`` lists
        the target's fixtures that prepare the data the console started with (the
        application's ``record_setup``). ``flows`` is the flows directory (the script's
        ``flows:``, which replay falls back on without a target), ``target`` the replay
        target the header's replay command names, ``env`` the script's ``env:``: the
        settings the console ran with that the replay needs (the application's
        ``record_env``, payments switched on, say; placeholders for secrets)."""
        self.path = Path(path)
        self.language = language
        self.name = name or self.path.stem.replace("_", " ")
        self.setup = list(setup)
        self.flows = shown_path(flows) if flows is not None else None
        self.target = target
        self.env = {str(k): str(v) for k, v in (env or {}).items()}
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

    def script(self, user: dict | None = None) -> dict:
        """The script as YAML takes it."""
        return {"name": self.name,
                "user": self.user or user or {"id": 1, "language": self.language},
                **({"flows": self.flows} if self.flows else {}),
                **({"env": self.env} if self.env else {}),
                "setup": self.setup, "steps": self.steps}

    def header(self, where: str) -> str:
        """How to replay the script, as comments for its head."""
        how = "python -m engine replay THIS_FILE"
        if self.target:
            how += f" --target {self.target}"
        fallback = f"the Application of {self.flows}" if self.flows else "--flows DIR"
        return (f"# Recorded {where}.\n# Replay: {how}\n# (or save it beside the bot's "
                "scripts, whose _replay.yaml names the target; without a target, replay runs "
                f"on {fallback}).\n# Expectations are exact: loosen them with contains or "
                "regex where a value may change.\n")

    def close(self) -> None:
        where = f"with --console --record of {self.flows}" if self.flows else \
            "with --console --record"
        self.path.write_text(self.header(where) + yaml.safe_dump(
            self.script(), allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
        print(f"recorded {len(self.steps)} steps to {self.path}")


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
