"""``python run_bot.py --console``: a bot in a terminal, on the same engine, no network.

Buttons are numbered: type the number to press one, or type text as in Telegram. An invoice
shows as Telegram's card does (title, description, a numbered "Pay" button with the amount);
pressing it or typing ``/pay`` plays Telegram's part: a pre-checkout query to the
application's :class:`~engine.payments.PaymentHandler`, through the same dispatch as the
Telegram adapter, then, on its yes, the successful payment.
"""

from __future__ import annotations

import html
import re
import sys
from typing import TYPE_CHECKING

from engine.render import Inline
from engine.testing import ChatClient, dispatcher

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.broadcast import Queue
    from engine.payments import Invoice, PaymentHandler
    from engine.runtime import Engine

HELP = "Type a button's number to press it, any other text to send it; /quit to leave."
PAY_HELP = "(press Pay, or type /pay for the newest invoice, to pay as in Telegram)"
KEYBOARD = "keyboard"  # the owner of the reply keyboard's numbers
QUIT, PAY = ("/quit", "/exit"), "/pay"  # the console's own commands, never sent to the bot


def plain(text: str) -> str:
    """Telegram HTML as terminal text (bold becomes upper-case-free ANSI bold)."""
    bold = "\033[1m" if sys.stdout.isatty() else ""
    reset = "\033[0m" if bold else ""
    text = re.sub(r"</?b>", lambda m: reset if m.group(0) == "</b>" else bold, text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def amount(total: int, currency: str) -> str:
    """An amount in minor units as Telegram's Pay button shows it: ``890.00 RUB``,
    ``⭐️50``."""
    # the fake Telegram server's rendering, which the console's StubSender already relies on
    from faketelegram.payments import format_amount

    return format_amount(total, currency)


def invoice_lines(invoice: Invoice) -> list[str]:
    """An invoice as a Telegram invoice card shows it, without its Pay button."""
    lines = [f"🖼  [{invoice.photo_url}]"] if invoice.photo_url else []
    return [*lines, f"🧾 {invoice.title}", invoice.description,
            *(f"   {label}: {amount(price, invoice.currency)}"
              for label, price in invoice.prices if len(invoice.prices) > 1)]


def guest_name(engine: Engine, language: str) -> str:
    """The console user's name: the bot's text ``console.guest``, else "Guest"."""
    try:
        return engine.flowset.catalog.raw("console.guest", language)
    except KeyError:
        return "Guest"


class Console:
    """A chat in the terminal; ``out`` and ``read`` are swappable for tests.

    Every button keeps the number it was shown with for as long as its message exists: an
    edited message's buttons take over its numbers, new messages get new ones. A reply
    keyboard's button keeps its number for the whole session, so the main keyboard is 1-6
    whenever it comes back (after checkout's phone keyboard too, and in another language).
    """

    def __init__(self, engine: Engine, *, user_id: int = 1, first_name: str | None = None,
                 language_code: str | None = None, out=print, read=input,
                 recorder=None, payments: PaymentHandler | None = None,
                 outbox: Callable[..., Queue] | None = None) -> None:
        """Chat with ``engine`` (built with a :class:`~engine.StubSender`) as ``user_id``.

        The user speaks ``language_code`` (default: the bot's default language) and is
        called ``first_name`` (default: the bot's text ``console.guest``, else "Guest").
        ``payments`` answers the pre-checkout queries and records the payments of invoices
        paid here (the application's ``payments(settings)``); ``outbox`` is the application's
        ``outbox_queue``, whose notifications (an invoice, "payment received") are sent to
        the terminal after each step, as an outbox worker beside the bot would.
        """
        language_code = language_code or engine.flowset.bot.default_language
        self.engine = engine
        self.payments = payments
        self.outbox = outbox
        self.client = ChatClient(engine, user_id,
                                 first_name=first_name or guest_name(engine, language_code),
                                 language_code=language_code, username="console",
                                 bot=dispatcher(engine, pays=payments))
        self.out, self.read, self.recorder = out, read, recorder
        self.choices: dict[int, tuple] = {}  # number -> ("button", message id, button),
        #                     ("keyboard", request_contact, label) or ("pay", message id, None)
        self._numbers: dict[object, list[int]] = {}  # message id or KEYBOARD -> numbers
        self._next = 1
        self._keyboard: list | None = None
        self._kept: dict[tuple[str, str], int] = {}  # (reply keyboard, label) -> its number
        self._last: dict[str, tuple[str, list[int]]] = {}  # reply keyboard -> (lang, numbers)
        self._told_pay = False

    def _allot(self, owner: object, choices: list[tuple]) -> list[int]:
        """Numbers for ``owner``'s choices: its old numbers first, then fresh ones."""
        old = self._numbers.get(owner, [])
        numbers = old[:len(choices)]
        while len(numbers) < len(choices):
            numbers.append(self._next)
            self._next += 1
        for gone in old[len(choices):]:
            self.choices.pop(gone, None)
        self._numbers[owner] = numbers
        self.choices.update(zip(numbers, choices, strict=True))
        return numbers

    def _allot_keyboard(self, keyboard: list[tuple[bool, str]]) -> list[int]:
        """Numbers for the reply keyboard: each (keyboard, label) keeps its number for good.

        Giving a returning keyboard its old numbers by position instead would hand the main
        keyboard the phone keyboard's two numbers and fresh ones for the rest (typing 4 then
        no longer opened Profile). A keyboard shown again in another language, with as many
        buttons, takes its numbers by position: the same buttons in other words.
        """
        markup = self.client.sender.keyboards.get(self.client.user_id)
        name, _, lang = (markup.name if markup else "").rpartition("@")
        before_lang, before = self._last.get(name, (lang, []))
        for gone in self._numbers.pop(KEYBOARD, []):
            self.choices.pop(gone, None)
        numbers: list[int] = []
        for position, (_, label) in enumerate(keyboard):
            number = self._kept.get((name, label))
            if number is None and before_lang != lang and len(before) == len(keyboard):
                number = before[position]
            if number is None or number in numbers:
                number, self._next = self._next, self._next + 1
            self._kept[name, label] = number
            numbers.append(number)
        self._last[name] = (lang, numbers)
        self._numbers[KEYBOARD] = numbers
        self.choices.update(zip(numbers, [("keyboard", contact, label)
                                          for contact, label in keyboard], strict=True))
        return numbers

    def _forget_deleted(self) -> None:
        for owner in [o for o in self._numbers if o != KEYBOARD]:
            message = self.client.sender.messages.get(owner)
            if message is None or message.deleted:
                for number in self._numbers.pop(owner):
                    self.choices.pop(number, None)

    def show(self) -> None:
        shown = set()
        for action in self.client.replies:
            if action.kind == "answer" and action.text:
                self.out(f"  💬 {action.text}")
            if action.kind in ("send", "edit", "invoice") and action.message_id not in shown:
                shown.add(action.message_id)
                message = self.client.sender.messages[action.message_id]
                mark = "✏️ " if action.kind == "edit" else ""
                invoice = self.client.sender.invoices.get(action.message_id)
                if invoice is not None:
                    self._show_invoice(message.message_id, invoice)
                    continue
                if message.photo:
                    self.out(f"🖼  [{message.photo}]")
                # only a text sent as HTML is HTML: a plain one may hold < > & as they are
                body = plain(message.text) if message.parse_mode == "HTML" else message.text
                self.out(mark + body)
                rows = message.markup.rows if isinstance(message.markup, Inline) else []
                numbers = iter(self._allot(message.message_id, [
                    ("button", message.message_id, button) for row in rows for button in row]))
                for row in rows:
                    self.out("   " + "  ".join(f"[{next(numbers)}] {button.label}"
                                               for button in row))
                self.out("")
        self._forget_deleted()
        keyboard = self.client.keyboard_buttons()
        if keyboard != self._keyboard:
            self._allot_keyboard(keyboard)
            self._keyboard = keyboard
        if keyboard:
            numbers = self._numbers[KEYBOARD]
            self.out("⌨️  " + "  ".join(f"[{n}] {label}"
                                       for n, (_, label) in zip(numbers, keyboard, strict=True)))

    def _show_invoice(self, message_id: int, invoice: Invoice) -> None:
        for line in invoice_lines(invoice):
            self.out(line)
        number, = self._allot(message_id, [("pay", message_id, None)])
        self.out(f"   [{number}] Pay {amount(invoice.total, invoice.currency)}")
        if not self._told_pay:  # once: how to pay, the first time an invoice shows
            self._told_pay = True
            self.out(PAY_HELP)
        self.out("")

    def pay(self, message_id: int | None = None) -> None:
        """Pay an invoice (default: the newest) as Telegram plays it: the pre-checkout query
        through the bot's payment handler; on its yes, the successful payment. The bot's
        refusal is shown as Telegram's payment form shows it; then the bot's answers."""
        invoices = self.client.invoices()
        if message_id is not None:
            invoices = [m for m in invoices if m.message_id == message_id]
        if not invoices:
            self.out("  (no invoice to pay in this chat)")
            return
        message = invoices[-1]
        invoice = self.client.sender.invoices[message.message_id]
        self.out(f"💳 paying {amount(invoice.total, invoice.currency)} for “{invoice.title}”")
        # which invoice, as the replay finds it: before what paying it sends
        step = {"pay": True} if message is self.client.invoices()[-1] else \
            {"pay": {"message": self.client.messages.index(message) - len(self.client.messages)}}
        self.client.pay(message)
        self._record(step)
        answers = [a for a in self.client.replies if a.kind == "pre_checkout"]
        if not answers:
            self.out("  ❌ the bot did not answer the pre-checkout query: no money taken")
        elif answers[0].alert:
            self.out(f"  ❌ {answers[0].text}")
        else:
            self.out(f"  ✅ you paid {amount(invoice.total, invoice.currency)}")
        self.show()

    def _settle(self) -> None:
        """Send what the step queued in the outbox, as a worker beside the bot would."""
        if self.outbox is None:
            return
        from engine.broadcast import SenderTransport, Worker

        Worker(self.outbox(), SenderTransport(self.client.sender), rate=1000, threads=1,
               per_chat_interval=0, name="console-outbox").drain()

    def step(self, line: str) -> None:
        line = line.strip()
        if not line:
            return  # nothing typed, nothing sent: the screen above is still current
        if line == PAY:
            self.pay()
            return
        if line.isdigit() and int(line) in self.choices:
            kind, first, second = self.choices[int(line)]
            if kind == "pay":
                self.pay(first)
                return
            if kind == "button":
                messages = self.client.messages
                message = self.client.sender.messages[first]
                where = messages.index(message) - len(messages) if message in messages else None
                self.client.press(message, second.data)
                self._record({"click": second.label, **({"message": where} if where else {})})
            elif first:  # a contact button
                phone = self.read("📱 phone to share: ").strip() or "+79991234567"
                self.client.share_contact(phone)
                self._record({"contact": phone})
            else:
                self.client.send(second)
                self._record({"click": second})
        else:
            self.client.send(line)
            self._record({"send": line})
        self.show()

    def _record(self, step: dict) -> None:
        """The step is done: the outbox sends what it queued (so that a recording has it
        among the step's messages, as the replay delivers it), and the recorder keeps it."""
        self._settle()
        if self.recorder is not None:
            self.recorder.step(step, self.client)

    def run(self) -> int:
        self.out(HELP)
        self.step("/start")
        while True:
            try:
                line = self.read("> ")
            except (EOFError, KeyboardInterrupt):
                self.out("")
                return 0
            if line.strip() in QUIT:
                return 0
            self.step(line)
