"""The shop bot.

    python run_bot.py                      long polling (needs BOT_TOKEN)
    python run_bot.py --demo               load the demo catalog first
    python run_bot.py --console            the shop in this terminal: no token, no network
    python run_bot.py set-webhook URL      register https://URL/<secret path> with Telegram
    python run_bot.py delete-webhook       back to polling
    python run_bot.py broadcast --text T   send T to every user (or --news ID), with progress
    python run_bot.py worker               send queued broadcasts until stopped (SIGTERM)
    gunicorn run_bot:app                   webhook mode (needs BOT_TOKEN, WEBHOOK_SECRET)

The run modes are the engine's (``engine.run``); the shop is assembled in ``flows/shop.py``.
"""

from __future__ import annotations

import settings


def main(argv: list[str] | None = None) -> int:
    from engine.run import main as run
    from flows.shop import shop

    return run(shop, settings.load, argv, prog="run_bot.py", description=__doc__)


def __getattr__(name: str):
    """``gunicorn run_bot:app`` builds the webhook app on first access (not on import)."""
    if name == "app":
        from engine.run import create_app
        from flows.shop import shop

        globals()["app"] = create_app(shop, settings.load())
        return globals()["app"]
    raise AttributeError(name)


if __name__ == "__main__":
    raise SystemExit(main())
