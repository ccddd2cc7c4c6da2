"""Drivers: how a script's steps reach a bot (in-process here, end-to-end in ``e2e``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.render import Inline
from engine.replay.errors import engine_errors
from engine.replay.script import contact_of


@dataclass
class Shown:
    """A message the bot sent or edited during a step, as the user sees it afterwards."""

    kind: str  # "send" or "edit"
    message_id: int
    text: str
    photo: str | None
    buttons: list[list[str]]

    def describe(self) -> str:
        head = ("✏️ edited" if self.kind == "edit" else "💬 sent") + f" #{self.message_id}"
        lines = [head + (f" 🖼 {self.photo}" if self.photo else "")]
        lines += [f"   | {line}" for line in self.text.splitlines() or [""]]
        lines += ["   " + "  ".join(f"[{label}]" for label in row) for row in self.buttons]
        return "\n".join(lines)


@dataclass
class StepResult:
    shown: list[Shown] = field(default_factory=list)
    answers: list[str | None] = field(default_factory=list)  # callback answers, in order
    keyboard: list[str] = field(default_factory=list)
    pressed: bool = False  # a callback query was answered
    inline: bool = False  # the step pressed an inline button (so an answer is due)
    errors: list[str] = field(default_factory=list)  # exceptions the engine caught, one line each
    others: dict[str, list[Shown]] = field(default_factory=dict)  # other chats, by name

    def describe(self) -> str:
        out = [m.describe() for m in self.shown] or ["(no message)"]
        for text in self.answers:
            out.append(f"🔔 answered: {text!r}")
        for error in self.errors:
            out.append(f"💥 the engine failed: {error}")
        for name, shown in self.others.items():
            out.append(f"in {name}:")
            out += ["  " + line for m in shown for line in m.describe().splitlines()]
        return "\n".join(out)


class InProcessDriver:
    """Runs steps through :class:`engine.ChatClient`: real telebot dispatch, stub sender."""

    def __init__(self, engine, user: dict, bot=None, settle=None) -> None:
        """``settle()`` delivers what a step left to send in the background (the target's
        outbox) after each step, so that it shows as the step's, as with several parties."""
        from engine.testing import ChatClient

        self.client = ChatClient(engine, user.get("id", 1),
                                 first_name=user.get("first_name", "Test"),
                                 last_name=user.get("last_name", ""),
                                 username=user.get("username", "tester"),
                                 language_code=user.get("language", "en"), bot=bot)
        self._inline = False
        self._settle = settle

    @property
    def user_id(self) -> int:
        return self.client.user_id

    def do(self, step) -> StepResult:
        client = self.client
        label = step.value.get("label") if isinstance(step.value, dict) else step.value
        keyboard = [text for _, text in client.keyboard_buttons()]
        self._inline = step.action == "press" or (step.action == "click" and (
            step.message is not None or label not in keyboard))
        errors: list[str] = []
        with engine_errors(errors):
            self._act(step)
        self.settle(errors)
        result = self.result()
        result.errors = errors
        return result

    def _act(self, step) -> None:
        client = self.client
        if step.action == "send":
            client.send(str(step.value))
        elif step.action == "contact":
            phone, other = contact_of(step.value)
            client.share_contact(phone, other.get("user_id"), other.get("first_name"))
        elif step.action == "sticker":
            client.send_sticker()
        elif step.action == "photo":
            client.send_photo()
        elif step.action == "click":
            self._click(step)
        elif step.action == "press":  # raw callback data on a message (an old or forged one)
            client.press(self._message(step.message or -1), str(step.value))
        elif step.action == "pay":
            options = step.value if isinstance(step.value, dict) else {}
            message = self._message(options["message"]) if "message" in options else None
            client.pay(message, twice=bool(options.get("twice")),
                       skip_pre_checkout=bool(options.get("late")))
        elif step.action == "redeliver":
            client.redeliver(duplicate=isinstance(step.value, dict))

    def settle(self, errors: list[str] | None = None) -> None:
        """Deliver what is left to send in the background (after a step, its failures
        among ``errors``; after a hook, raising them as the hook would)."""
        if self._settle is None:
            return
        if errors is None:
            self._settle()
            return
        with engine_errors(errors):
            self._settle()

    def _message(self, index: int):
        messages = self.client.messages
        return messages[index] if -len(messages) <= index < len(messages) else None

    def _click(self, step) -> None:
        value = step.value
        message = self._message(step.message) if step.message is not None else None
        if isinstance(value, dict) and value.get("oldest") and message is None:
            label = value.get("label")
            message = next((m for m in self.client.messages
                            if isinstance(m.markup, Inline) and
                            any(b.label == label for row in m.markup.rows for b in row)), None)
        if isinstance(value, dict):
            self.client.click(value.get("label"), index=value.get("index"), message=message)
        else:
            self.client.click(str(value), message=message)

    def result(self) -> StepResult:
        result = StepResult(keyboard=[label for _, label in self.client.keyboard_buttons()])
        seen = {}
        for action in self.client.replies:
            if action.kind == "answer" or (action.kind == "pre_checkout" and action.alert):
                result.answers.append(action.text)  # a refused payment shows its reason
                result.pressed = True
            elif action.kind in ("send", "edit", "invoice"):
                message = self.client.sender.messages[action.message_id]
                buttons = ([[b.label for b in row] for row in message.markup.rows]
                           if isinstance(message.markup, Inline) else [])
                shown = Shown("edit" if action.kind == "edit" else "send", action.message_id,
                              message.text, message.photo, buttons)
                if action.message_id in seen:  # edited again in the same step: latest wins
                    seen[action.message_id].text = message.text
                    continue
                seen[action.message_id] = shown
                result.shown.append(shown)
        result.inline = self._inline
        return result

    def state(self) -> str | None:
        return self.client.state

    def data(self) -> dict:
        conv = self.client.conversation
        return conv.data if conv else {}

    def close(self) -> None:
        pass
