"""Table booking at a cafe: the engine's second bot (README: "Build your own bot").

    python examples/cafe/run.py --console         in this terminal: no token, no network
    python examples/cafe/run.py                   long polling (needs BOT_TOKEN)
    python examples/cafe/run.py set-webhook URL   register https://URL/<secret path>
    gunicorn examples.cafe.run:app                webhook mode (needs BOT_TOKEN, WEBHOOK_SECRET)

CAFE_NOW=2030-05-27T10:00 pins the cafe's clock (the replays' two weeks).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the repository's packages are importable
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from engine.run import main as run
    from examples.cafe.flows.cafe import cafe

    return run(cafe, cafe.load_settings, argv, prog="examples/cafe/run.py", description=__doc__)


def __getattr__(name: str):
    """``gunicorn examples.cafe.run:app`` builds the webhook app on first access."""
    if name == "app":
        from engine.run import create_app
        from examples.cafe.flows.cafe import cafe

        globals()["app"] = create_app(cafe, cafe.load_settings())
        return globals()["app"]
    raise AttributeError(name)


if __name__ == "__main__":
    raise SystemExit(main())
