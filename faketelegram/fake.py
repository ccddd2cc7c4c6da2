"""FakeTelegram: a Bot API server on 127.0.0.1 with users a test can drive.

Typical use::

    with FakeTelegram() as tg:
        telebot.apihelper.API_URL = tg.api_url          # or TELEGRAM_API_URL=tg.url
        ... start the bot with token tg.token ...
        ann = tg.user(42, first_name="Ann", language_code="en")
        ann.send("/start")
        reply = ann.wait()[0]                           # the bot's first action after /start
        ann.click("Catalog")
        tg.wait_idle()
        assert not tg.unanswered_callbacks()
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterable

from . import routing
from .api import BotApi, Reply
from .errors import ControlError
from .faults import Fault, FaultConfig, FaultInjector, RateLimiter, RateLimits
from .methods_bot import webhook_info
from .render import render_transcript
from .server import HttpServer
from .state import BotState
from .users_handle import FakeMember, FakeUser
from .webhook import WebhookWorker
from .world import World

__all__ = ["DEFAULT_TOKEN", "FakeTelegram"]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:TEST-fake-telegram-token"


class FakeTelegram:
    """A fake Telegram Bot API server, with a control API to play the users.

    ``token`` is the first bot's token (more with :meth:`add_bot`); ``port`` 0 picks a free
    one. ``rate_limits`` turns on flood limits; ``faults`` injects random failures;
    ``callback_timeout`` is how long a callback query stays answerable (Telegram: ~15 s);
    ``delay`` is how many seconds each Bot API call but getUpdates takes (network latency);
    ``precheckout_timeout`` is how long a pre-checkout query stays answerable (Telegram: 10 s).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "fake_test_bot",
        bot_name: str = "Fake Bot",
        rate_limits: RateLimits | None = None,
        faults: FaultConfig | None = None,
        callback_timeout: float = 15.0,
        webhook_timeout: float = 10.0,
        webhook_retry: tuple[float, float] = (0.1, 2.0),
        delay: float = 0.0,
        precheckout_timeout: float = 10.0,
    ) -> None:
        self.token = token
        self.host = host
        self.world = World(
            callback_timeout=callback_timeout, precheckout_timeout=precheckout_timeout
        )
        self.faults = FaultInjector(faults)
        self.api = BotApi(self.world, self.faults, delay)
        self.world.add_bot(token, bot_username, bot_name)
        self.set_rate_limits(rate_limits)
        self.world.on_webhook_set = self._start_webhook
        self._port = port
        self._webhook_options = {"timeout": webhook_timeout, "retry_delays": webhook_retry}
        self._workers: list[WebhookWorker] = []
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        self.world.stopping.clear()
        self._server = HttpServer((self.host, self._port), self.route)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="faketg-http",
            daemon=True,
        )
        self._thread.start()
        with self.world.cond:
            for bot in self.world.bots.values():
                if bot.webhook is not None:  # set before a stop(): deliver again
                    self._start_webhook(bot)
        logger.info("fake Telegram listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving: wake long polls and waits, end webhook workers, close every socket."""
        server, self._server = self._server, None
        if server is None:
            return
        with self.world.cond:
            self.world.stopping.set()
            self.world.cond.notify_all()
        server.shutdown()
        server.interrupt_reads()
        server.server_close()  # joins the request threads
        if self._thread is not None:
            self._thread.join()
        for worker in self._workers:
            worker.join()
        self._workers.clear()
        logger.info("fake Telegram stopped")

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (the CLI)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            logger.info("interrupted")
        finally:
            self.stop()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port served (known once started when 0 was asked for)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, as ``TELEGRAM_API_URL``: requests go to ``{url}/bot{token}/{method}``."""
        return f"http://{self.host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The URL template telebot wants in ``telebot.apihelper.API_URL``."""
        return self.url + "/bot{0}/{1}"

    @property
    def file_url(self) -> str:
        """The URL template telebot wants in ``telebot.apihelper.FILE_URL``."""
        return self.url + "/file/bot{0}/{1}"

    def route(
        self, method: str, path: str, query: str, content_type: str | None, body: bytes
    ) -> Reply:
        """Serve one HTTP request: Bot API, file download, or control API."""
        return routing.route(self, method, path, query, content_type, body)

    def _start_webhook(self, bot: BotState) -> None:
        worker = WebhookWorker(self.world, self.api, bot, **self._webhook_options)  # type: ignore[arg-type]
        self._workers = [w for w in self._workers if w.is_alive()]
        self._workers.append(worker)
        worker.start()

    # -- bots and users -------------------------------------------------------------------

    def add_bot(
        self, token: str, username: str | None = None, first_name: str | None = None
    ) -> dict:
        """Register another bot token; returns its ``User`` object."""
        if not token or "/" in token:
            raise ControlError(f"invalid bot token {token!r}")
        head = token.split(":", 1)[0]
        bot = self.world.add_bot(token, username or f"bot{head}_bot", first_name or f"Bot {head}")
        return bot.user.to_json()

    def bot(self, token: str | None = None) -> BotState:
        """The state of a bot (the first one by default); raises ControlError if unknown."""
        bot = self.world.bots.get(token or self.token)
        if bot is None:
            raise ControlError(f"no bot with token {token!r}")
        return bot

    def user(self, user_id: int, *, token: str | None = None, **profile: object) -> FakeUser:
        """A handle to act as user ``user_id`` with a bot; ``profile`` sets names, language...

        Profile fields: first_name, last_name, username, language_code, phone_number.
        """
        self.world.user(int(user_id), **profile)
        return FakeUser(self, int(user_id), token or self.token)

    def group(self, chat_id: int, *, title: str = "Group", forum: bool = False,
              chat_type: str = "supergroup", members: Iterable[int] = (),
              token: str | None = None) -> int:
        """A supergroup (a forum with ``forum``; a basic group with ``chat_type="group"``)
        with the bot in it, and ``members`` (user ids); returns its id (negative). Its
        members act through :meth:`member`."""
        bot = self.bot(token)
        self.world.group(bot, int(chat_id), title=title, forum=forum, chat_type=chat_type)
        for user_id in members:
            self.world.join(bot, int(chat_id), int(user_id))
        return int(chat_id)

    def member(self, user_id: int, chat_id: int, *, thread_id: int | None = None,
               token: str | None = None, **profile: object) -> FakeMember:
        """A handle to act as user ``user_id`` in the group ``chat_id`` (in the forum topic
        ``thread_id``), who joins it if not a member yet; ``profile`` as for :meth:`user`."""
        self.world.user(int(user_id), **profile)
        self.world.join(self.bot(token), int(chat_id), int(user_id))
        return FakeMember(self, int(user_id), int(chat_id), token or self.token, thread_id)

    def group_info(self, chat_id: int, *, token: str | None = None) -> dict:
        """A group's ``chat`` (the Bot API Chat) and ``members`` (their User objects)."""
        with self.world.cond:
            group = self.world.chat_for_control(self.bot(token), chat_id).user
            if group.chat_type == "private":
                raise ControlError(f"chat {chat_id} is a private chat, not a group")
            return {
                "chat": group.chat_json(),
                "members": [self.world.users[m].to_json() for m in sorted(group.members)],
            }

    def reset(self) -> None:
        """Forget users, chats, queued updates, callback queries, calls and faults.

        Bots, webhooks, commands and update ids are kept, so a running bot carries on.
        """
        with self.world.cond:
            for bot in self.world.bots.values():
                bot.chats.clear()
                bot.pending.clear()
                bot.callbacks.clear()
                bot.calls.clear()
                bot.history.clear()
                bot.invoices.clear()
                bot.pre_checkouts.clear()
                bot.charges.clear()
            self.world.users.clear()
            self.faults.clear()
            self.world.cond.notify_all()

    # -- what happened --------------------------------------------------------------------

    def transcript(
        self, chat_id: int, *, since: int = 0, actor: str | None = None, token: str | None = None
    ) -> list[dict]:
        """A chat's transcript after entry ``since``: every user and bot action, in order.

        ``actor`` ("bot" or "user") keeps one side. Entries are described in the docs.
        """
        with self.world.cond:
            chat = self.world.chat_for_control(self.bot(token), chat_id)
            entries = chat.transcript[since:]
            return copy.deepcopy([e for e in entries if actor is None or e["actor"] == actor])

    def render(self, chat_id: int, *, since: int = 0, token: str | None = None) -> str:
        """A chat's transcript as readable lines."""
        return render_transcript(self.transcript(chat_id, since=since, token=token))

    def messages(
        self, chat_id: int, *, include_deleted: bool = False, token: str | None = None
    ) -> list[dict]:
        """The messages of a chat as they are now (latest text, caption, photo, keyboard)."""
        with self.world.cond:
            chat = self.world.chat_for_control(self.bot(token), chat_id)
            return [
                {**m.to_json(), **({"deleted": True} if m.deleted else {})}
                for m in chat.messages.values()
                if include_deleted or not m.deleted
            ]

    def message(self, chat_id: int, message_id: int, *, token: str | None = None) -> dict:
        """One message as it is now (with ``"deleted": true`` if the bot deleted it)."""
        with self.world.cond:
            chat = self.world.chat_for_control(self.bot(token), chat_id)
            stored = chat.messages.get(int(message_id))
            if stored is None:
                raise ControlError(f"no message {message_id} in chat {chat_id}")
            return {**stored.to_json(), **({"deleted": True} if stored.deleted else {})}

    def last_message(self, chat_id: int, *, token: str | None = None) -> dict | None:
        """The latest bot message still in the chat, or None."""
        with self.world.cond:
            chat = self.world.chat_for_control(self.bot(token), chat_id)
            for stored in reversed(chat.messages.values()):
                if stored.from_bot and not stored.deleted:
                    return stored.to_json()
            return None

    def keyboard(self, chat_id: int, *, token: str | None = None) -> dict | None:
        """The reply keyboard the user currently sees in the chat, if any."""
        with self.world.cond:
            return copy.deepcopy(self.world.chat_for_control(self.bot(token), chat_id).keyboard)

    def unanswered_callbacks(
        self, *, include_expired: bool = True, token: str | None = None
    ) -> list[dict]:
        """Callback queries the bot never answered (tests assert this is empty)."""
        with self.world.cond:
            bot = self.bot(token)
            return [
                q.to_json() for q in self.world.unanswered(bot, include_expired=include_expired)
            ]

    def calls(
        self, *, method: str | None = None, errors_only: bool = False, token: str | None = None
    ) -> list[dict]:
        """The bot's API calls, oldest first, with their outcome (and injected fault, if any)."""
        with self.world.cond:
            return copy.deepcopy(
                [
                    c
                    for c in self.bot(token).calls
                    if (method is None or c["method"].lower() == method.lower())
                    and not (errors_only and c["ok"])
                ]
            )

    def pending_updates(self, *, token: str | None = None) -> list[dict]:
        """Updates not yet confirmed (polling) or accepted (webhook)."""
        with self.world.cond:
            return copy.deepcopy([p.update for p in self.bot(token).pending])

    def payments(self, *, token: str | None = None) -> list[dict]:
        """Every successful payment to the bot, oldest first, with ``refunded``."""
        with self.world.cond:
            return [charge.to_json() for charge in self.bot(token).charges.values()]

    def invoices(self, chat_id: int | None = None, *, token: str | None = None) -> list[dict]:
        """The invoices the bot sent (in one chat if ``chat_id``), payload and times paid."""
        with self.world.cond:
            return [
                invoice.to_json()
                for (chat, _), invoice in self.bot(token).invoices.items()
                if chat_id is None or chat == int(chat_id)
            ]

    def redeliver(self, update_id: int, *, token: str | None = None) -> dict:
        """Deliver an already delivered update again with the same update_id (Telegram
        redelivering); getUpdates serves it again even past the bot's offset."""
        return self.world.redeliver(self.bot(token), int(update_id))

    def duplicate(self, update_id: int, *, token: str | None = None) -> dict | None:
        """Queue an update's content again under a new update_id (a duplicated event)."""
        return self.world.duplicate(self.bot(token), int(update_id))

    def commands(
        self, language_code: str = "", *, scope: dict | None = None, token: str | None = None
    ) -> list[dict]:
        """The commands set with setMyCommands for this language (and scope)."""
        scope_key = "default" if not scope else ",".join(f"{k}={scope[k]}" for k in sorted(scope))
        with self.world.cond:
            return copy.deepcopy(self.bot(token).commands.get((scope_key, language_code), []))

    def webhook_info(self, *, token: str | None = None) -> dict:
        """What getWebhookInfo would answer."""
        with self.world.cond:
            return webhook_info(self.bot(token))

    # -- waiting --------------------------------------------------------------------------

    def wait_actions(
        self,
        chat_id: int,
        count: int = 1,
        *,
        since: int | None = None,
        timeout: float = 5.0,
        token: str | None = None,
    ) -> list[dict]:
        """Wait until the bot has done ``count`` actions in the chat after ``since``; return them.

        ``since`` is a transcript seq; by default the user's latest action in the chat, so
        ``user.send("/start"); tg.wait_actions(user.id)`` waits for the bot's answer to it.
        Raises TimeoutError with the transcript when they do not come.
        """
        bot = self.bot(token)
        with self.world.cond:
            chat = self.world.chat_for_control(bot, chat_id)
            start = chat.last_input_seq if since is None else since
        if not self.world.wait_until(lambda: len(chat.bot_actions_since(start)) >= count, timeout):
            got = len(chat.bot_actions_since(start))
            raise TimeoutError(
                f"the bot did {got} of {count} expected actions in chat {chat_id}"
                f" within {timeout} s;"
                f" transcript:\n{self.render(chat_id, token=token)}"
            )
        with self.world.cond:
            return copy.deepcopy(chat.bot_actions_since(start))

    def wait_idle(
        self, timeout: float = 5.0, *, quiet: float = 0.3, token: str | None = None
    ) -> None:
        """Wait until every update is consumed, every callback answered, and the bot has made
        no request for ``quiet`` seconds. Raises TimeoutError saying what is still pending.
        """
        bot = self.bot(token)
        if not self.world.wait_until(lambda: self.world.is_idle(bot, quiet), timeout):
            with self.world.cond:
                unanswered = [q.id for q in self.world.unanswered(bot, include_expired=False)]
                raise TimeoutError(
                    f"the bot is not idle after {timeout} s: {len(bot.pending)} update(s) pending,"
                    f" {bot.in_flight} request(s) in progress,"
                    f" unanswered callback queries {unanswered}"
                )

    def polls(self, *, token: str | None = None) -> int:
        """How many getUpdates calls the bot has made so far: a mark to give
        :meth:`wait_polling` as ``after`` before starting (or restarting) a bot process."""
        bot = self.bot(token)
        with self.world.cond:
            return bot.poll_generation

    def wait_polling(self, timeout: float = 5.0, *, token: str | None = None,
                     after: int | None = None) -> None:
        """Wait until the bot long-polls (getUpdates is waiting): it has started. With
        ``after`` (a mark of :meth:`polls`), only a getUpdates made after the mark counts:
        a restarted process polls, not the one it replaced (whose poll may still wait)."""
        bot = self.bot(token)

        def polling() -> bool:
            return bot.polling > 0 and (after is None or bot.poll_generation > after)
        if not self.world.wait_until(polling, timeout):
            since = "" if after is None else f" (after getUpdates call {after})"
            raise TimeoutError(f"the bot did not call getUpdates within {timeout} s{since}")

    # -- faults and limits ----------------------------------------------------------------

    def fail_next(
        self,
        method: str | None = None,
        kind: str = "429",
        count: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 5.0,
        code: int = 400,
        description: str = "Bad Request: injected error",
    ) -> None:
        """Make the next ``count`` calls of ``method`` (of any method if None) fail with ``kind``.

        Kinds: 429, 500, 502, timeout, slow, disconnect, error (see :mod:`.faults`).
        """
        try:
            self.faults.fail_next(method, Fault(kind, retry_after, delay, code, description), count)
        except ValueError as exc:
            raise ControlError(str(exc)) from exc

    def set_faults(self, config: FaultConfig | None) -> None:
        """Set (or, with None, stop) random fault injection."""
        self.faults.configure(config or FaultConfig())

    def injected_faults(self) -> list[tuple[str, str]]:
        """The faults injected so far, as (method, kind)."""
        return list(self.faults.injected)

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Turn flood limits on with these thresholds, or off with None."""
        self.world.rate_limiter = RateLimiter(limits) if limits is not None else None
