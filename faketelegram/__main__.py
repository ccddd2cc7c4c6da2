"""``python -m faketelegram`` (or ``python -m engine fake-telegram``): run the fake Telegram
Bot API server."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
