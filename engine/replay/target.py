"""What a replay runs against: the application's engine, fixtures, probes and hooks."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Target:
    """The application side of replays.

    ``make_engine()`` builds a fresh engine with a :class:`engine.StubSender` on a fresh
    database (in-process mode). ``fixtures`` prepare data (``setup: [demo_catalog]``),
    ``probes`` read it for assertions (``probe: {cart: ...}``, called with the user id),
    ``hooks`` change it mid-script (``run: {set_stock: {...}}``). ``bot_command`` and
    ``bot_env`` start the real bot process for end-to-end mode, ``connect(uri)`` connects the
    runner to the database it shares with that process.

    Scripts with several parties (``users:``, ``chats:``) also use ``side_handlers(engine)``
    (the application's :mod:`engine.side` handlers on that engine, in-process),
    ``settle(engine)`` (deliver what the step left to send in the background, such as an
    outbox, in-process) and ``settled()`` (nothing is left to send: end to end, the runner
    waits for it after each step). ``payments(engine)`` is the application's
    :class:`~engine.payments.PaymentHandler` for ``pay:`` steps in-process.
    """

    make_engine: Callable[[], object]
    fixtures: dict[str, Callable[..., None]] = field(default_factory=dict)
    probes: dict[str, Callable[[int], object]] = field(default_factory=dict)
    hooks: dict[str, Callable[..., None]] = field(default_factory=dict)
    bot_command: list[str] | None = None
    bot_env: dict[str, str] = field(default_factory=dict)
    connect: Callable[[str], None] | None = None  # the runner's own connection (e2e)
    load_flows: Callable[[], object] | None = None  # the flows, for coverage in e2e mode
    conversations: str = "conversations"  # the bot's conversation collection (e2e state)
    side_handlers: Callable[[object], list] | None = None
    settle: Callable[[object], None] | None = None
    settled: Callable[[], bool] | None = None
    payments: Callable[[object], object] | None = None


def load_target(spec: str) -> Target:
    """``module:attribute`` -> the :class:`Target` (or a callable returning one)."""
    module_name, _, attribute = spec.partition(":")
    target = getattr(importlib.import_module(module_name), attribute or "target")
    return target() if callable(target) and not isinstance(target, Target) else target
