"""FakeUser: one Telegram user talking to one bot, as a test reads it.

::

    ann = tg.user(42, first_name="Ann", language_code="ru")
    ann.send("/start")
    ann.wait()                      # the bot's actions in answer
    ann.click("Catalog")            # an inline button of the latest message with buttons
    ann.press("📞 Share phone")      # a reply-keyboard button
    ann.share_contact("+79001234567")
    ann.block()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import users, users_pay
from .errors import ControlError

if TYPE_CHECKING:
    from .fake import FakeTelegram

__all__ = ["FakeMember", "FakeUser"]


class FakeUser:
    """Acts as user ``id`` in the private chat with the bot of ``token``.

    Every action returns the update the bot will receive (None if the bot's allowed_updates
    exclude it) and raises :class:`~.errors.ControlError` when it is impossible.
    """

    def __init__(self, fake: FakeTelegram, user_id: int, token: str) -> None:
        self.fake = fake
        self.id = user_id
        self.token = token

    def __repr__(self) -> str:
        return f"FakeUser({self.id})"

    @property
    def _bot(self):  # type: ignore[no-untyped-def]
        return self.fake.bot(self.token)

    def profile(self, **fields: object) -> FakeUser:
        """Change the user's names, username, language_code or phone_number; returns self."""
        self.fake.world.user(self.id, **fields)
        return self

    def send(self, text: str) -> dict | None:
        """Write a text message (``/start`` and other commands included)."""
        return users.send_text(self.fake.world, self._bot, self.id, text)

    def command(self, name: str, args: str = "") -> dict | None:
        """Send ``/name args``."""
        return self.send(f"/{name.lstrip('/')} {args}".strip())

    def click(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        position: int | tuple[int, int] | None = None,
        message_id: int | None = None,
        forge: bool = False,
    ) -> dict | None:
        """Press an inline button by label, callback data or position (row, column) / index.

        The message is the latest bot message with inline buttons unless ``message_id`` says.
        ``forge=True`` sends ``data`` on ``message_id`` even if no such button is shown.
        """
        return users.click(
            self.fake.world,
            self._bot,
            self.id,
            label=label,
            data=data,
            position=position,
            message_id=message_id,
            forge=forge,
        )

    def press(self, label: str) -> dict | None:
        """Press a button of the reply keyboard the chat shows."""
        return users.press(self.fake.world, self._bot, self.id, label)

    def share_contact(self, phone_number: str | None = None, **contact: object) -> dict | None:
        """Share a contact, the user's own by default.

        ``contact`` may give first_name, last_name and contact_user_id.
        """
        return users.send_contact(self.fake.world, self._bot, self.id, phone_number, **contact)  # type: ignore[arg-type]

    def send_sticker(self, emoji: str = "👍") -> dict | None:
        """Send a sticker."""
        return users.send_sticker(self.fake.world, self._bot, self.id, emoji)

    def send_photo(self, caption: str | None = None, data: bytes | None = None) -> dict | None:
        """Send a photo."""
        return users.send_photo(self.fake.world, self._bot, self.id, caption, data)

    def send_message(self, **content: object) -> dict | None:
        """Send a message with any Message fields, e.g. ``location={"latitude": 1, ...}``."""
        if not content:
            raise ControlError("give the message's fields, e.g. location={...}")
        summary = {"fields": sorted(content)}
        return users.send_message(
            self.fake.world, self._bot, self.id, dict(content), action="other", **summary
        )

    def block(self) -> dict | None:
        """Block the bot: its messages to this user then fail with 403."""
        return users.block(self.fake.world, self._bot, self.id, True)

    def unblock(self) -> dict | None:
        """Unblock the bot."""
        return users.block(self.fake.world, self._bot, self.id, False)

    def pay(
        self,
        invoice: int | None = None,
        *,
        timeout: float = 10.0,
        twice: bool = False,
        skip_pre_checkout: bool = False,
        order_info: dict | None = None,
    ) -> dict:
        """Pay an invoice: ``invoice`` is its message id (default: the latest unpaid one).

        The bot gets a pre_checkout_query and has the fake's ``precheckout_timeout`` (at most
        ``timeout``) to answer; on ok it gets a message with successful_payment. Returns
        ``{"message_id", "pre_checkout": {"id", "ok", "error_message"}, "successful_payment",
        "update_id"}`` (``ok`` None: no answer in time; then nothing is paid).
        ``twice=True`` pays the same invoice twice and returns ``{"payments": [first,
        second]}``; ``skip_pre_checkout=True`` delivers the successful payment with no
        pre-checkout (a payment arriving late). ``order_info`` overrides what the buyer fills
        in for the invoice's need_* flags.
        """
        return users_pay.pay(
            self.fake.world,
            self._bot,
            self.id,
            invoice,
            timeout=timeout,
            twice=twice,
            skip_pre_checkout=skip_pre_checkout,
            order_info=order_info,
        )

    def wait(self, count: int = 1, *, timeout: float = 5.0) -> list[dict]:
        """Wait for ``count`` bot actions after this user's latest action; returns them all."""
        return self.fake.wait_actions(self.id, count, timeout=timeout, token=self.token)

    def transcript(self, *, since: int = 0, actor: str | None = None) -> list[dict]:
        """The chat's transcript."""
        return self.fake.transcript(self.id, since=since, actor=actor, token=self.token)

    def messages(self, *, include_deleted: bool = False) -> list[dict]:
        """The chat's messages as they are now."""
        return self.fake.messages(self.id, include_deleted=include_deleted, token=self.token)

    def last_message(self) -> dict | None:
        """The latest bot message still in the chat."""
        return self.fake.last_message(self.id, token=self.token)

    def keyboard(self) -> dict | None:
        """The reply keyboard the chat shows."""
        return self.fake.keyboard(self.id, token=self.token)


class FakeMember:
    """Acts as user ``id`` in the group ``chat_id`` (in its topic ``thread_id``), where the
    bot of ``token`` is: writes there, replies to the bot, presses the bot's buttons."""

    def __init__(self, fake: FakeTelegram, user_id: int, chat_id: int, token: str,
                 thread_id: int | None = None) -> None:
        self.fake = fake
        self.id = user_id
        self.chat_id = chat_id
        self.token = token
        self.thread_id = thread_id

    def send(self, text: str, *, reply_to: int | None = None) -> dict | None:
        """Write ``text`` in the group (in reply to message ``reply_to``)."""
        return users.send_text(self.fake.world, self.fake.bot(self.token), self.id, text,
                               group_id=self.chat_id, thread_id=self.thread_id,
                               reply_to=reply_to)

    def click(self, label: str | None = None, *, data: str | None = None,
              position: int | tuple[int, int] | None = None, message_id: int | None = None,
              forge: bool = False) -> dict | None:
        """Press an inline button of a bot message in the group (as FakeUser.click)."""
        return users.click(self.fake.world, self.fake.bot(self.token), self.id, label=label,
                           data=data, position=position, message_id=message_id, forge=forge,
                           group_id=self.chat_id)

    def __repr__(self) -> str:
        return f"FakeMember({self.id}, {self.chat_id})"

    def wait(self, count: int = 1, *, timeout: float = 5.0) -> list[dict]:
        """Wait for ``count`` bot actions in the group after its latest member action."""
        return self.fake.wait_actions(self.chat_id, count, timeout=timeout, token=self.token)

    def last_message(self) -> dict | None:
        """The latest bot message still in the group."""
        return self.fake.last_message(self.chat_id, token=self.token)

    def transcript(self, *, since: int = 0) -> list[dict]:
        """The group's transcript."""
        return self.fake.transcript(self.chat_id, since=since, token=self.token)

    def messages(self) -> list[dict]:
        """The group's messages as they are now."""
        return self.fake.messages(self.chat_id, token=self.token)
