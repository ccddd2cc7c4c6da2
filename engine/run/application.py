"""What a bot built on the engine gives its run modes: one :class:`Application` of hooks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from engine.broadcast import Queue
    from engine.loader import Flows
    from engine.periodic import Periodic
    from engine.runtime import Engine
    from engine.sender import Sender


class Settings(Protocol):
    """The settings the run modes read (the application's own settings object has more)."""

    bot_token: str | None
    telegram_api_url: str
    webhook_secret: str | None
    media_dir: str
    broadcast_rate: float


class Tracked(Protocol):
    """A queued broadcast as ``run_bot.py broadcast`` follows it (counters re-read by
    :meth:`reload`)."""

    pk: Any
    status: str
    total: int
    processed: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    finished: Any  # None while it runs

    def reload(self) -> Any: ...

    def counts(self) -> dict[str, int]: ...


def _no_database(settings: Any) -> None:
    """An application without a database has nothing to connect."""


def _no_jobs() -> Iterable[Periodic]:
    return ()


def _not_embedded() -> bool:
    return False


@dataclass(frozen=True)
class Application:
    """A bot built on the engine, as polling, the webhook, the console and the broadcast
    commands take it. Only ``flows_dir`` and ``build_engine`` are required.

    ``connect(settings)`` opens the database; ``build_engine(settings, sender)`` then builds
    the :class:`~engine.Engine` (store, services, unit of work). ``load_demo()`` fills the
    database with demo data (``--demo``, ``--console``). ``housekeeping()`` gives fresh
    :class:`~engine.periodic.Periodic` jobs that run beside the polling bot and beside each
    broadcast worker. ``health()`` raises when the bot cannot work (``GET /healthz`` is 503).
    ``broadcast_queue(batch_size=, lease=, tick=)`` is the durable
    :class:`~engine.broadcast.Queue` broadcast workers send from, and
    ``compose_broadcast(settings, text=, photo=, news=)`` queues one for
    ``run_bot.py broadcast`` (a :class:`Tracked`, or what is wrong with the arguments).
    ``unit_of_work()`` wraps each unit of database work (the embedded store is not
    thread-safe); ``is_embedded()`` says the database lives in this process only.
    ``load_settings()`` reads the bot's settings, for tools that start it by its flows
    directory alone (``python -m engine playground``). ``record_setup`` is the ``setup`` of a
    script recorded in the console (``--console --record``): the replay target's fixtures
    that load what ``load_demo`` loads. ``side_handlers(settings, replier)`` gives the
    :class:`~engine.side.SideHandler` s that serve updates outside the private conversations
    (a staff group's presses and messages), answering through ``replier``;
    ``outbox_queue(lease=, tick=)`` is the durable :class:`~engine.broadcast.Queue` of
    notifications that an outbox worker sends beside the polling bot and in each
    ``run_bot.py worker``.
    """

    flows_dir: str | Path
    build_engine: Callable[[Any, Sender], Engine]
    connect: Callable[[Any], None] = _no_database
    load_demo: Callable[[], None] | None = None
    housekeeping: Callable[[], Iterable[Periodic]] = _no_jobs
    health: Callable[[], object] | None = None
    broadcast_queue: Callable[..., Queue] | None = None
    compose_broadcast: Callable[..., Tracked | str] | None = None
    unit_of_work: Callable[[], AbstractContextManager] = contextlib.nullcontext
    is_embedded: Callable[[], bool] = _not_embedded
    load_settings: Callable[[], Any] | None = None
    record_setup: tuple = ()
    side_handlers: Callable[[Any, Any], list] | None = None
    outbox_queue: Callable[..., Queue] | None = None

    def start(self, settings: Any, sender: Sender, *, demo: bool = False) -> Engine:
        """Connect the database, load the demo data if asked, and build the engine."""
        self.connect(settings)
        if demo and self.load_demo is not None:
            with self.unit_of_work():
                self.load_demo()
        return self.build_engine(settings, sender)

    def flows(self) -> Flows:
        """The bot's flows, loaded and checked (without a database)."""
        from engine.loader import load_flows

        return load_flows(self.flows_dir)
