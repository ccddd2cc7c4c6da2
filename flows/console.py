"""``python run_bot.py --console``: the shop in a terminal, on the same engine, no network.

Buttons are numbered: type the number to press one, or type text as in Telegram.
"""

from __future__ import annotations

import html
import re
import sys

from engine import ChatClient, StubSender
from engine.render import Inline

HELP = "Type a button's number to press it, any other text to send it; /quit to leave."


def plain(text: str) -> str:
    """Telegram HTML as terminal text (bold becomes upper-case-free ANSI bold)."""
    bold = "\033[1m" if sys.stdout.isatty() else ""
    reset = "\033[0m" if bold else ""
    text = re.sub(r"</?b>", lambda m: reset if m.group(0) == "</b>" else bold, text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class Console:
    """A chat in the terminal; ``out`` and ``read`` are swappable for tests."""

    def __init__(self, settings, *, user_id: int = 1, first_name: str = "Гость",
                 language_code: str = "ru", out=print, read=input, recorder=None) -> None:
        from flows.app import build_engine

        self.engine = build_engine(settings, StubSender(), demo=True)
        self.client = ChatClient(self.engine, user_id, first_name=first_name,
                                 language_code=language_code, username="console")
        self.out, self.read, self.recorder = out, read, recorder
        self.choices: list[tuple] = []

    def show(self) -> None:
        shown = set()
        self.choices = []
        for action in self.client.replies:
            if action.kind == "answer" and action.text:
                self.out(f"  💬 {action.text}")
            if action.kind in ("send", "edit") and action.message_id not in shown:
                shown.add(action.message_id)
                message = self.client.sender.messages[action.message_id]
                mark = "✏️ " if action.kind == "edit" else ""
                if message.photo:
                    self.out(f"🖼  [{message.photo}]")
                self.out(mark + plain(message.text))
                if isinstance(message.markup, Inline):
                    for row in message.markup.rows:
                        cells = []
                        for button in row:
                            self.choices.append(("button", message, button))
                            cells.append(f"[{len(self.choices)}] {button.label}")
                        self.out("   " + "  ".join(cells))
                self.out("")
        keyboard = self.client.keyboard_buttons()
        if keyboard:
            cells = []
            for contact, label in keyboard:
                self.choices.append(("keyboard", contact, label))
                cells.append(f"[{len(self.choices)}] {label}")
            self.out("⌨️  " + "  ".join(cells))

    def step(self, line: str) -> None:
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            kind, first, second = self.choices[int(line) - 1]
            if kind == "button":
                messages = self.client.messages
                where = messages.index(first) - len(messages) if first in messages else None
                self.client.press(first, second.data)
                self._record({"click": second.label, **({"message": where} if where else {})})
            elif first:  # a contact button
                phone = self.read("📱 phone to share: ").strip() or "+79991234567"
                self.client.share_contact(phone)
                self._record({"contact": phone})
            else:
                self.client.send(second)
                self._record({"click": second})
        elif line:
            self.client.send(line)
            self._record({"send": line})
        self.show()

    def _record(self, step: dict) -> None:
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
            if line.strip() in ("/quit", "/exit"):
                return 0
            self.step(line)
