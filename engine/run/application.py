"""What a bot built on the engine gives its run modes: one :class:`Application` of hooks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.run.env import flag, rate, whole_number

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from engine.broadcast import Queue
    from engine.loader import Flows
    from engine.periodic import Periodic
    from engine.runtime import Engine
    from engine.sender import Sender


TELEGRAM_API_URL = "https://api.telegram.org"
WORKERS = 4  # polling's ordered worker threads by default (BOT_WORKERS)
MAX_WORKERS = 64


@dataclass(frozen=True)
class Settings:
    """The settings the run modes read, and the database's URI: what a bot without settings
    of its own loads with :meth:`from_env` (a bot with more settings has its own loader, as
    the shop's ``settings.py``, giving at least these fields)."""

    bot_token: str | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    webhook_secret: str | None = None
    media_dir: str = "."
    broadcast_rate: float = 25.0
    mongo_uri: str = "mongomock://localhost/bot"
    # polling: the threads updates are handled on (each user's in order); the webhook's
    # parallelism is gunicorn's instead (docs/scaling.md)
    workers: int = WORKERS
    # BOT_EXCLUSIVE: this webhook process alone serves the bot and owns its conversations
    bot_exclusive: bool = False

    @property
    def embedded_store(self) -> bool:
        """True when ``MONGO_URI`` names the in-process mongomock store."""
        return self.mongo_uri.startswith("mongomock://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: bool = True,
                 **defaults: Any) -> Settings:
        """Read ``BOT_TOKEN``, ``TELEGRAM_API_URL``, ``WEBHOOK_SECRET``, ``MEDIA_DIR``,
        ``BROADCAST_RATE``, ``MONGO_URI``, ``BOT_WORKERS`` (1 to 64) and ``BOT_EXCLUSIVE``
        (yes/no, :func:`engine.run.env.flag`) from ``environ`` (default: the process's
        environment, after the ``.env`` file of the current directory, or the nearest above
        it, when ``dotenv``);
        ``defaults`` replace the defaults of unset ones (``mongo_uri=
        "mongomock://localhost/cafe"``). Raises ValueError for a bad value."""
        if environ is None:
            if dotenv:
                from dotenv import find_dotenv, load_dotenv

                load_dotenv(find_dotenv(usecwd=True), override=False)
            environ = os.environ
        base = cls(**defaults)
        return cls(**{
            **defaults,
            "bot_token": environ.get("BOT_TOKEN") or base.bot_token,
            "telegram_api_url": (environ.get("TELEGRAM_API_URL")
                                 or base.telegram_api_url).rstrip("/"),
            "webhook_secret": environ.get("WEBHOOK_SECRET") or base.webhook_secret,
            "media_dir": str(Path(environ.get("MEDIA_DIR") or base.media_dir).resolve()),
            "broadcast_rate": rate(environ.get("BROADCAST_RATE"), "BROADCAST_RATE",
                                   base.broadcast_rate),
            "mongo_uri": environ.get("MONGO_URI") or base.mongo_uri,
            "workers": whole_number(environ.get("BOT_WORKERS"), "BOT_WORKERS", base.workers,
                                    high=MAX_WORKERS),
            "bot_exclusive": flag(environ.get("BOT_EXCLUSIVE"), "BOT_EXCLUSIVE",
                                  base.bot_exclusive),
        })


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
    that load what ``load_demo`` loads, and ``record_env(settings)`` its ``env:``: the
    settings (name -> value) the replay needs to do what the console did, such as payments
    switched on; never a secret (a placeholder the in-process replay accepts instead).
    ``side_handlers(settings, replier)`` gives the
    :class:`~engine.side.SideHandler` s that serve updates outside the private conversations
    (a staff group's presses and messages), answering through ``replier``;
    ``outbox_queue(lease=, tick=)`` is the durable :class:`~engine.broadcast.Queue` of
    notifications that an outbox worker sends beside the polling bot and in each
    ``run_bot.py worker``. ``payments(settings)`` gives the
    :class:`~engine.payments.PaymentHandler` that answers pre-checkout queries and records
    successful payments (None: the bot takes no payments).
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
    record_env: Callable[[Any], dict[str, str]] | None = None
    side_handlers: Callable[[Any, Any], list] | None = None
    outbox_queue: Callable[..., Queue] | None = None
    payments: Callable[[Any], Any] | None = None

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
