"""The fake Telegram's shared state and its one lock: bots, users, update queues, waiting.

Every request handler, control call and webhook worker takes :attr:`World.cond` (a condition
on a re-entrant lock) while it reads or changes anything, and notifies it after a change, so
long polls and the wait helpers wake as soon as something happens.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Callable

from .errors import ApiError, ControlError, bad_request, conflict
from .faults import RateLimiter
from .files import FileStore
from .state import BotState, Chat, PendingUpdate, User

__all__ = ["MAX_CALLS_KEPT", "MAX_HISTORY_KEPT", "World"]

logger = logging.getLogger(__name__)

MAX_CALLS_KEPT = 10_000
MAX_HISTORY_KEPT = 10_000  # queued updates remembered for redeliver/duplicate
_LONG_POLL_MAX = 50  # seconds, as Telegram's getUpdates
_PROFILE_FIELDS = ("first_name", "last_name", "username", "language_code", "phone_number")


class World:
    """Bots, users and files of one fake Telegram, and the condition everyone waits on."""

    def __init__(
        self, *, callback_timeout: float = 15.0, precheckout_timeout: float = 10.0
    ) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, User] = {}
        self.files = FileStore()
        self.stopping = threading.Event()
        self.callback_timeout = callback_timeout
        self.precheckout_timeout = precheckout_timeout  # Telegram: 10 s to answer
        self.rate_limiter: RateLimiter | None = None
        self.on_webhook_set: Callable[[BotState], None] | None = None  # starts a delivery worker
        self._callback_ids = itertools.count(1)
        self._pre_checkout_ids = itertools.count(1)
        self._charge_numbers = itertools.count(1)

    # -- accounts -------------------------------------------------------------------------

    def add_bot(self, token: str, username: str, first_name: str) -> BotState:
        """Register a bot account; its user id is the number before the token's colon."""
        head = token.split(":", 1)[0]
        bot_id = (
            int(head) if head.isdigit() else int(hashlib.sha256(token.encode()).hexdigest()[:9], 16)
        )
        with self.cond:
            if token not in self.bots:
                self.bots[token] = BotState(
                    token, User(bot_id, first_name, username=username, is_bot=True)
                )
            return self.bots[token]

    def bot(self, token: str) -> BotState:
        """The bot with this token, or the 401 Telegram gives for an unknown token."""
        bot = self.bots.get(token)
        if bot is None:
            raise ApiError(401, "Unauthorized")
        return bot

    def user(self, user_id: int, **profile: object) -> User:
        """The user with this id, created on first use; ``profile`` updates its fields."""
        with self.cond:
            user = self.users.get(user_id)
            if user is None:
                user = self.users[user_id] = User(
                    user_id, first_name=f"User{user_id}", language_code="en"
                )
            for name, value in profile.items():
                if name not in _PROFILE_FIELDS:
                    raise ControlError(
                        f"unknown user field {name!r}; known: {', '.join(_PROFILE_FIELDS)}"
                    )
                if name == "first_name" and not value:
                    raise ControlError("a user's first_name must be non-empty")
                setattr(user, name, value)
            return user

    def group(self, bot: BotState, chat_id: int, *, title: str = "Group", forum: bool = False,
              chat_type: str = "supergroup") -> User:
        """A group or supergroup (a forum with ``forum``) the bot was added to; its id is
        negative. An existing group is kept as it is; the bot joins it."""
        if chat_id >= 0:
            raise ControlError(f"a group's id is negative, not {chat_id}")
        if chat_type not in ("group", "supergroup"):
            raise ControlError(f"a group's type is 'group' or 'supergroup', not {chat_type!r}")
        if forum and chat_type != "supergroup":
            raise ControlError("only a supergroup can be a forum (have topics)")
        if not title:
            raise ControlError("a group's title must be non-empty")
        with self.cond:
            group = self.users.get(chat_id)
            if group is None:
                group = self.users[chat_id] = User(chat_id, first_name=title,
                                                   chat_type=chat_type, title=title,
                                                   is_forum=forum)
            self.open_chat(bot, group)
            return group

    def join(self, bot: BotState, chat_id: int, user_id: int) -> User:
        """User ``user_id`` becomes a member of the group ``chat_id``, which the bot is in;
        returns the group."""
        with self.cond:
            group = self.users.get(chat_id)
            if group is None or group.chat_type == "private" or chat_id not in bot.chats:
                raise ControlError(f"no group {chat_id} with @{bot.user.username} in it"
                                   " (FakeTelegram.group or POST /control/groups/ID creates one)")
            self.user(user_id)
            group.members.add(user_id)
            return group

    def open_chat(self, bot: BotState, user: User) -> Chat:
        """The chat of ``user`` with ``bot``, opened if new (as pressing Start does)."""
        chat = bot.chats.get(user.id)
        if chat is None:
            chat = bot.chats[user.id] = Chat(user)
        return chat

    def chat_for_api(
        self, bot: BotState, chat_id: str, *, missing: str = "chat_id is empty"
    ) -> Chat:
        """The chat a Bot API call names, or Telegram's 400 for an empty or unknown chat_id."""
        chat_id = chat_id.strip()
        if not chat_id:
            raise bad_request(missing)
        try:
            number = int(chat_id)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = bot.chats.get(number)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def chat_for_control(self, bot: BotState, chat_id: int) -> Chat:
        """The chat a control call names, or ControlError."""
        chat = bot.chats.get(int(chat_id))
        if chat is None and int(chat_id) < 0:
            raise ControlError(
                f"no group {chat_id} with bot @{bot.user.username}"
                " (FakeTelegram.group or POST /control/groups/ID creates one)"
            )
        if chat is None:
            raise ControlError(
                f"no chat {chat_id} with bot @{bot.user.username}: the user never wrote to it"
            )
        return chat

    def new_callback_id(self) -> str:
        """A fresh callback query id (digits, as Telegram's)."""
        return str(4_000_000_000_000_000_000 + next(self._callback_ids))

    def new_pre_checkout_id(self) -> str:
        """A fresh pre-checkout query id (digits, as Telegram's)."""
        return str(5_000_000_000_000_000_000 + next(self._pre_checkout_ids))

    def new_charge_number(self) -> int:
        """The next payment's number, for its charge ids."""
        return next(self._charge_numbers)

    def call_log(self, bot: BotState, entry: dict) -> None:
        """Append to a bot's call log, keeping the latest :data:`MAX_CALLS_KEPT` entries."""
        bot.calls.append(entry)
        if len(bot.calls) > MAX_CALLS_KEPT:
            del bot.calls[: len(bot.calls) - MAX_CALLS_KEPT]

    # -- updates --------------------------------------------------------------------------

    def enqueue(self, bot: BotState, kind: str, payload: dict, chat_id: int | None) -> dict | None:
        """Queue an update of ``kind`` for the bot; None if its allowed_updates exclude it."""
        with self.cond:
            if kind not in bot.allowed_updates:
                logger.info(
                    "update %s dropped: not in allowed_updates of @%s", kind, bot.user.username
                )
                return None
            update = {"update_id": bot.next_update_id, kind: copy.deepcopy(payload)}
            bot.next_update_id += 1
            pending = PendingUpdate(update, chat_id)
            bot.pending.append(pending)
            self._remember(bot, pending)
            self.cond.notify_all()
            return update

    def _remember(self, bot: BotState, pending: PendingUpdate) -> None:
        bot.history[pending.update_id] = pending
        if len(bot.history) > MAX_HISTORY_KEPT:
            del bot.history[next(iter(bot.history))]

    def _queued(self, bot: BotState, update_id: int) -> PendingUpdate:
        pending = bot.history.get(int(update_id))
        if pending is None:
            raise ControlError(
                f"no update {update_id} was queued for @{bot.user.username}"
                f" (known: {', '.join(map(str, list(bot.history)[-10:])) or 'none'})"
            )
        return pending

    def redeliver(self, bot: BotState, update_id: int) -> dict:
        """Queue an update again under the same update_id, as Telegram does when it never
        learnt that the bot got it (a webhook that timed out, a getUpdates answer lost).

        With getUpdates it is served again even though the bot's offset is past it; it is
        confirmed by the next call whose offset is greater. A webhook receives it again.
        """
        with self.cond:
            original = self._queued(bot, update_id)
            if any(p.update_id == original.update_id for p in bot.pending):
                raise ControlError(
                    f"update {update_id} is still pending: it has not been delivered yet"
                )
            update = copy.deepcopy(original.update)
            bot.pending.append(PendingUpdate(update, original.chat_id, redelivery=True))
            self.cond.notify_all()
            return copy.deepcopy(update)

    def duplicate(self, bot: BotState, update_id: int) -> dict | None:
        """Queue an update's content again under a new update_id (Telegram sending the same
        event twice, e.g. a duplicated successful_payment); None if allowed_updates exclude it.
        """
        with self.cond:
            original = self._queued(bot, update_id)
            kind, payload = next((k, v) for k, v in original.update.items() if k != "update_id")
            return self.enqueue(bot, kind, payload, original.chat_id)

    def get_updates(self, bot: BotState, offset: int, limit: int, timeout: int) -> list[dict]:
        """getUpdates: confirm updates below ``offset``, then return or long-poll for more."""
        limit = min(max(limit or 100, 1), 100)
        timeout = min(max(timeout, 0), _LONG_POLL_MAX)
        with self.cond:
            if bot.webhook is not None:
                raise conflict(
                    "can't use getUpdates method while webhook is active;"
                    " use deleteWebhook to delete the webhook first"
                )
            bot.poll_generation += 1
            generation = bot.poll_generation
            self._confirm(bot, offset)
            deadline = time.monotonic() + timeout
            bot.polling += 1
            self.cond.notify_all()
            try:
                while True:
                    if generation != bot.poll_generation:
                        raise conflict(
                            "terminated by other getUpdates request;"
                            " make sure that only one bot instance is running"
                        )
                    if bot.webhook is not None:
                        raise conflict("terminated by setWebhook request")
                    remaining = deadline - time.monotonic()
                    if bot.pending or remaining <= 0 or self.stopping.is_set():
                        batch = bot.pending[:limit]
                        for pending in batch:
                            pending.delivered = True
                        bot.last_activity = time.monotonic()
                        return [dict(pending.update) for pending in batch]
                    self.cond.wait(remaining)
            finally:
                bot.polling -= 1
                self.cond.notify_all()

    def _confirm(self, bot: BotState, offset: int) -> None:
        if offset < 0:
            del bot.pending[: max(0, len(bot.pending) + offset)]
        elif offset > 0:
            # a redelivered update below the offset is kept until it has been served once
            bot.pending = [
                p
                for p in bot.pending
                if p.update_id >= offset or (p.redelivery and not p.delivered)
            ]

    # -- waiting --------------------------------------------------------------------------

    def sleep(self, seconds: float) -> bool:
        """Sleep, waking early when the server stops; True if it is stopping."""
        return self.stopping.wait(seconds)

    def wait_until(self, predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
        """Wait until ``predicate()`` (checked under the lock) holds; False on timeout.

        The predicate is rechecked at every change and at least every ``poll`` seconds, so
        it may depend on time passing.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.stopping.is_set():
                    return False
                self.cond.wait(min(remaining, poll))
            return True

    def unanswered(self, bot: BotState, *, include_expired: bool = True) -> list:
        """Callback queries never answered (only answerable ones unless ``include_expired``)."""
        now = time.monotonic()
        return [
            query
            for query in bot.callbacks.values()
            if not query.answered
            and (include_expired or now - query.created < self.callback_timeout)
        ]

    def is_idle(self, bot: BotState, quiet: float) -> bool:
        """Nothing left to do: updates consumed, callbacks answered, no request for ``quiet`` s."""
        return (
            not bot.pending
            and bot.in_flight == 0
            and not self.unanswered(bot, include_expired=False)
            and time.monotonic() - bot.last_activity >= quiet
        )
