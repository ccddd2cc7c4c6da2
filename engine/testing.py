"""An in-process chat client: talk to a bot through real telebot dispatch, no network.

    client = ChatClient.for_flows("tests/engine/examples/shop")
    client.send("/start")
    client.click("Catalog")
    assert client.last.text.startswith("Categories")
"""

from __future__ import annotations

import itertools
import time

from engine.render import ReplyKeyboard
from engine.runtime import Engine
from engine.sender import Action, SentMessage, StubSender
from engine.store import MemoryStore

_updates = itertools.count(1)
_queries = itertools.count(1)
BOT_USER = {"id": 1000, "is_bot": True, "first_name": "Bot", "username": "test_bot"}


def dispatcher(engine: Engine, sides=(), pays=None):
    """A telebot bot dispatching to ``engine`` (and to side handlers, :mod:`engine.side`,
    and a payment handler, :mod:`engine.payments`, answering through the engine's
    sender), as the run modes attach it; share one among several clients of one bot."""
    from engine.telegram import EngineBot, attach

    bot = EngineBot(f"{BOT_USER['id']}:TEST", threaded=False, skip_pending=True)
    attach(bot, engine.handle, list(sides), pays=pays, answerer=engine.sender)
    return bot


class ClickError(AssertionError):
    """The button to click is not on the screen; the message lists what is."""


class _Client:
    """What a chat client and a group member share: who they are, and an update handed to
    the bot with the bot's replies to it."""

    user: dict
    sender: StubSender
    bot: object
    _mark: int

    @property
    def user_id(self) -> int:
        return self.user["id"]

    def _dispatch(self, update: dict) -> list[Action]:
        from telebot import types

        self._mark = len(self.sender.actions)
        self.bot.process_new_updates([types.Update.de_json(update)])
        return self.replies


class ChatClient(_Client):
    """One user chatting with the bot; every step runs the real telebot dispatch."""

    def __init__(self, engine: Engine, user_id: int = 1, *, first_name: str = "Test",
                 last_name: str = "", username: str = "tester", language_code: str = "en",
                 bot=None) -> None:
        if not isinstance(engine.sender, StubSender):
            raise TypeError("ChatClient needs an engine built with a StubSender")
        self.engine = engine
        self.sender: StubSender = engine.sender
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name,
                     "last_name": last_name, "username": username, "language_code": language_code}
        self.bot = bot if bot is not None else dispatcher(engine)
        self._mark = 0
        self.last_answer: str | None = None

    @classmethod
    def for_flows(cls, directory, user_id: int = 1, **kwargs) -> ChatClient:
        """A client on a fresh engine for the flows in ``directory`` (memory store, stub)."""
        from engine.loader import load_flows

        engine = Engine(load_flows(directory), MemoryStore(), StubSender())
        return cls(engine, user_id, **kwargs)

    # -- steps ---------------------------------------------------------------------------

    def _message(self, **content) -> dict:
        return {"update_id": next(_updates), "message": {
            "message_id": 10_000 + next(_updates), "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private"}, "from": self.user, **content}}

    def send(self, text: str) -> list[Action]:
        """Type ``text`` (a command when it starts with ``/``)."""
        return self._dispatch(self._message(text=text))

    def share_contact(self, phone: str = "+79991234567", user_id: int | None = None,
                      first_name: str | None = None) -> list[Action]:
        """Share a contact: the user's own, or (``user_id``) someone else's contact card."""
        return self._dispatch(self._message(contact={
            "phone_number": phone, "first_name": first_name or self.user["first_name"],
            "user_id": self.user_id if user_id is None else user_id}))

    def send_sticker(self) -> list[Action]:
        return self._dispatch(self._message(sticker={
            "file_id": "sticker", "file_unique_id": "s1", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "type": "regular"}))

    def send_photo(self) -> list[Action]:
        return self._dispatch(self._message(photo=[{
            "file_id": "photo", "file_unique_id": "p1", "width": 90, "height": 90}]))

    def click(self, label: str | None = None, *, index: int | None = None,
              message: SentMessage | None = None) -> list[Action]:
        """Press a button: an inline one by label (newest message first) or position, or a
        reply-keyboard one (which sends its label, or the contact for a contact button)."""
        if label is not None and message is None:
            for contact, text in self.keyboard_buttons():
                if text == label:
                    return self.share_contact() if contact else self.send(label)
        candidates = [message] if message else list(reversed(self.messages))
        for candidate in candidates:
            buttons = [b for row in getattr(candidate.markup, "rows", []) if
                       not isinstance(candidate.markup, ReplyKeyboard) for b in row]
            chosen = None
            if index is not None:
                chosen = buttons[index] if index < len(buttons) else None
            else:
                chosen = next((b for b in buttons if b.label == label), None)
            if chosen is not None:
                return self.press(candidate, chosen.data)
        on_screen = [b.label for m in self.messages
                     for row in getattr(m.markup, "rows", []) if isinstance(row, list)
                     for b in row if hasattr(b, "data")]
        raise ClickError(f"no button {label if index is None else f'#{index}'!r} on screen; "
                         f"buttons: {on_screen}; keyboard: "
                         f"{[t for _, t in self.keyboard_buttons()]}")

    def press(self, message: SentMessage, data: str) -> list[Action]:
        """Press a button with ``data`` on ``message`` (also an old or made-up one)."""
        content = {"photo": [{"file_id": message.photo, "file_unique_id": "x", "width": 1,
                              "height": 1}], "caption": message.text} if message.photo \
            else {"text": message.text}
        update = {"update_id": next(_updates), "callback_query": {
            "id": f"q{next(_queries)}", "from": self.user, "chat_instance": "c", "data": data,
            "message": {"message_id": message.message_id, "date": int(time.time()),
                        "chat": {"id": self.user_id, "type": "private"}, "from": BOT_USER,
                        **content}}}
        actions = self._dispatch(update)
        answers = [a for a in actions if a.kind == "answer"]
        self.last_answer = answers[-1].text if answers else None
        return actions

    # -- payments (engine/payments.py) ---------------------------------------------------
    def invoices(self) -> list[SentMessage]:
        """The invoices the bot sent to this chat, oldest first."""
        return [m for m in self.messages if m.message_id in self.sender.invoices]

    def pay(self, message: SentMessage | None = None, *, twice: bool = False,
            skip_pre_checkout: bool = False) -> list[Action]:
        """Pay an invoice (default: the newest) as Telegram plays it: a pre-checkout query,
        and on the bot's yes a message with ``successful_payment`` (new charge ids).
        ``twice``: the buyer pays it again (a second charge); ``skip_pre_checkout``: the
        payment arrives with no query first (late). The payment's update is kept for
        :meth:`redeliver`."""
        invoices = self.invoices() if message is None else [message]
        if not invoices:
            raise ClickError("no invoice in the chat to pay")
        message = invoices[-1]
        invoice = self.sender.invoices[message.message_id]
        mark = len(self.sender.actions)
        for _ in range(2 if twice else 1):
            if not skip_pre_checkout:
                query_id = f"pc{next(_queries)}"
                self._dispatch({"update_id": next(_updates), "pre_checkout_query": {
                    "id": query_id, "from": self.user, "currency": invoice.currency,
                    "total_amount": invoice.total, "invoice_payload": invoice.payload}})
                if not self.sender.pre_checkouts.get(query_id, (False, None))[0]:
                    break  # refused (or unanswered): no money moves
            number = next(_updates)
            charge = f"tg-charge-{self.user_id}-{number}"
            stars = invoice.currency == "XTR"
            if stars:
                self.sender.charges[charge] = self.user_id
            self.last_payment = self._message(successful_payment={
                "currency": invoice.currency, "total_amount": invoice.total,
                "invoice_payload": invoice.payload, "telegram_payment_charge_id": charge,
                "provider_payment_charge_id": "" if stars else f"provider-{number}"})
            self._dispatch(self.last_payment)
        self._mark = mark
        return self.replies

    def redeliver(self, *, duplicate: bool = False) -> list[Action]:
        """Telegram delivers the last successful payment again: the same update
        (``duplicate``: the same payment under a new update id)."""
        update = getattr(self, "last_payment", None)
        if update is None:
            raise ClickError("no payment to deliver again: pay first")
        return self._dispatch({**update, "update_id": next(_updates)} if duplicate else update)

    def engine_event_for_test(self, label: str):
        """The engine event a press of the newest button ``label`` makes (for direct calls)."""
        from engine import events

        for message in reversed(self.messages):
            for row in getattr(message.markup, "rows", []):
                for button in row:
                    if getattr(button, "label", None) == label:
                        return events.Event(
                            events.CALLBACK, user_id=self.user_id, chat_id=self.user_id,
                            update_id=next(_updates), callback_id=f"q{next(_queries)}",
                            data=button.data, message_id=message.message_id,
                            message_kind=message.kind, user=dict(self.user))
        raise ClickError(f"no button {label!r} on screen")

    # -- what the user sees --------------------------------------------------------------
    @property
    def replies(self) -> list[Action]:
        """What the bot did in the last step."""
        return [a for a in self.sender.actions[self._mark:]
                if a.chat_id in (None, self.user_id)]

    @property
    def messages(self) -> list[SentMessage]:
        return self.sender.chat(self.user_id)

    @property
    def last(self) -> SentMessage:
        return self.messages[-1]

    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    def keyboard_buttons(self) -> list[tuple[bool, str]]:
        keyboard = self.sender.keyboards.get(self.user_id)
        return [(contact, text) for row in keyboard.rows for text, contact in row] \
            if keyboard else []

    @property
    def conversation(self):
        return self.engine.store.peek(self.user_id)

    @property
    def state(self) -> str | None:
        conv = self.conversation
        return conv.state if conv else None


class GroupClient(_Client):
    """One member of a group chat (a forum topic with ``thread_id``) where the bot is, as
    its side handlers see it: messages typed there, presses of the bot's buttons there."""

    def __init__(self, engine: Engine, bot, chat_id: int, user: dict, *,
                 thread_id: int | None = None, title: str = "Group") -> None:
        self.engine = engine
        self.sender: StubSender = engine.sender
        self.bot = bot
        self.chat = {"id": chat_id, "type": "supergroup", "title": title,
                     **({"is_forum": True} if thread_id is not None else {})}
        self.thread_id = thread_id
        self.user = {"is_bot": False, "last_name": "", "username": "", "language_code": "en",
                     **user}
        self._mark = 0


    def _topic(self) -> dict:
        return {"message_thread_id": self.thread_id, "is_topic_message": True} \
            if self.thread_id is not None else {}

    def send(self, text: str, reply_to: SentMessage | None = None) -> list[Action]:
        """Write ``text`` in the group (in reply to one of the bot's messages)."""
        message = {"message_id": 10_000 + next(_updates), "date": int(time.time()),
                   "chat": self.chat, "from": self.user, "text": text, **self._topic()}
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to.message_id, "date": int(time.time()),
                "chat": self.chat, "from": BOT_USER, "text": reply_to.text}
        return self._dispatch({"update_id": next(_updates), "message": message})

    def press(self, message: SentMessage, data: str) -> list[Action]:
        """Press a button with ``data`` on the bot's ``message`` in the group."""
        update = {"update_id": next(_updates), "callback_query": {
            "id": f"q{next(_queries)}", "from": self.user, "chat_instance": "g", "data": data,
            "message": {"message_id": message.message_id, "date": int(time.time()),
                        "chat": self.chat, "from": BOT_USER, "text": message.text,
                        **self._topic()}}}
        return self._dispatch(update)

    def click(self, label: str | None = None, *, index: int | None = None,
              message: SentMessage | None = None) -> list[Action]:
        """Press an inline button by label (newest message first) or position."""
        for candidate in [message] if message else list(reversed(self.messages)):
            buttons = [b for row in getattr(candidate.markup, "rows", []) for b in row
                       if hasattr(b, "data")]
            chosen = buttons[index] if index is not None and index < len(buttons) else \
                next((b for b in buttons if b.label == label), None) if index is None else None
            if chosen is not None:
                return self.press(candidate, chosen.data)
        raise ClickError(f"no button {label if index is None else f'#{index}'!r} in the "
                         f"group; buttons: {[b for m in self.messages for b in m.buttons]}")

    @property
    def replies(self) -> list[Action]:
        return [a for a in self.sender.actions[self._mark:]
                if a.chat_id in (None, self.chat["id"])]

    @property
    def messages(self) -> list[SentMessage]:
        return self.sender.chat(self.chat["id"])
