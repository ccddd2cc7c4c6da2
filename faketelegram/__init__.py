"""A fake Telegram Bot API server for tests, with a control API that plays the users.

``FakeTelegram`` serves ``/bot<token>/<method>`` on 127.0.0.1 the way Telegram does (its rules,
error codes and descriptions, long polling, webhooks, flood limits, injected faults) and lets
a test act as users (write, click buttons, share contacts, block the bot) and read what the
bot did. ``main(argv)`` runs it from the command line. See faketelegram/README.md.
"""

from __future__ import annotations

from .cli import main
from .errors import ApiError, ControlError
from .fake import DEFAULT_TOKEN, FakeTelegram
from .faults import FAULT_KINDS, FaultConfig, RateLimits
from .render import render_transcript
from .users_handle import FakeMember, FakeUser

__all__ = [
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "ApiError",
    "ControlError",
    "FakeMember",
    "FakeTelegram",
    "FakeUser",
    "FaultConfig",
    "RateLimits",
    "main",
    "render_transcript",
]
