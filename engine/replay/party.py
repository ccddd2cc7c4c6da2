"""Scripts with several parties, in-process: users in their private chats and members of
group chats, on one engine, one dispatching bot and the application's side handlers.

A step acts as ``as:`` (default: the script's first user) in ``in:`` (default: that user's
private chat). Everything the bot did during the step, including what the target's
``settle`` delivered in the background afterwards (an outbox), is sorted by chat: the
acting chat's messages are the step's ``expect``, the others' its ``also`` (after a ``run:``
step, where nobody acts, every chat's are ``also``).
"""

from __future__ import annotations

from engine.render import Inline
from engine.replay.driver import InProcessDriver, Shown, StepResult
from engine.replay.errors import engine_errors


def shown_in(actions, sender, chat_id: int) -> list[Shown]:
    """The messages sent or edited in ``chat_id`` by ``actions`` (a message edited twice
    is shown once, as it ended)."""
    out: dict[int, Shown] = {}
    for action in actions:
        if action.kind not in ("send", "edit", "invoice") or action.chat_id != chat_id:
            continue
        message = sender.messages[action.message_id]
        buttons = ([[b.label for b in row] for row in message.markup.rows]
                   if isinstance(message.markup, Inline) else [])
        if action.message_id in out:
            out[action.message_id].text = message.text
            out[action.message_id].buttons = buttons
            continue
        out[action.message_id] = Shown("edit" if action.kind == "edit" else "send",
                                       action.message_id, message.text, message.photo, buttons)
    return list(out.values())


class PartiesDriver:
    """Drives a script's ``users`` and ``chats`` in-process (see the module's docstring)."""

    def __init__(self, engine, script, target) -> None:
        from engine.testing import dispatcher

        self.engine = engine
        self.sender = engine.sender
        self.target = target
        sides = target.side_handlers(engine) if target.side_handlers else []
        pays = target.payments(engine) if target.payments else None
        self.bot = dispatcher(engine, sides, pays)
        users = script.users or {"user": script.user}
        self.users = {name: InProcessDriver(engine, user, bot=self.bot)
                      for name, user in users.items()}
        self.profiles = users
        self.chats = script.chats
        self.default = next(iter(self.users))
        self.names = {user.get("id", 1): name for name, user in users.items()}
        self.names.update({chat["id"]: name for name, chat in self.chats.items()})
        self.members: dict[tuple[str, str], object] = {}
        self.acting = self.default
        self.in_group = False

    @property
    def user_id(self) -> int:
        """Whose probes and state a step checks: the acting user's in their private chat,
        the script's first user's after a step in a group (the shopper, as a rule)."""
        return self.users[self.acting if not self.in_group else self.default].user_id

    def _member(self, chat: str, party: str):
        from engine.testing import GroupClient

        key = (chat, party)
        if key not in self.members:
            spec, user = self.chats[chat], self.profiles[party]
            self.members[key] = GroupClient(
                self.engine, self.bot, spec["id"],
                {"id": user.get("id", 1), "first_name": user.get("first_name", "Test"),
                 "last_name": user.get("last_name", ""),
                 "username": user.get("username", ""),
                 "language_code": user.get("language", "en")},
                thread_id=spec.get("thread"), title=spec.get("title", chat))
        return self.members[key]

    def after_hook(self, step, call) -> StepResult:
        """A ``run:`` step: the hook changes the world; what it made the bot send shows."""
        return self.do(step, call)

    def do(self, step, hook=None) -> StepResult:
        party = step.party or self.default
        self.acting, self.in_group = party, step.chat is not None
        mark = len(self.sender.actions)
        chat_id = self.chats[step.chat]["id"] if step.chat else self.users[party].user_id
        if hook is not None:  # nobody acts: every chat's messages are the step's ``also``
            chat_id = None
            result = StepResult()
            with engine_errors(result.errors):
                hook()
        elif step.chat is None:
            result = self.users[party].do(step)
        else:
            result = self._in_group(step, party)
        if self.target.settle is not None:
            with engine_errors(result.errors):
                self.target.settle(self.engine)
        actions = self.sender.actions[mark:]
        result.shown = shown_in(actions, self.sender, chat_id) if chat_id is not None else []
        others = {action.chat_id for action in actions if action.chat_id not in (None, chat_id)}
        result.others = {self.names.get(chat, str(chat)): shown_in(actions, self.sender, chat)
                         for chat in sorted(others, key=str)}
        return result

    def _in_group(self, step, party: str) -> StepResult:
        member = self._member(step.chat, party)
        messages = member.messages
        message = (messages[step.message] if step.message is not None and
                   -len(messages) <= step.message < len(messages) else None)
        result = StepResult(inline=step.action in ("click", "press"))
        with engine_errors(result.errors):
            if step.action == "send":
                replied = None
                if step.reply:
                    replied = message or next((m for m in reversed(messages)), None)
                member.send(str(step.value), reply_to=replied)
            elif step.action == "click":
                value = step.value
                if isinstance(value, dict):
                    member.click(value.get("label"), index=value.get("index"), message=message)
                else:
                    member.click(str(value), message=message)
            elif step.action == "press":
                member.press(message or messages[-1], str(step.value))
            else:
                raise ValueError(f"{step.action!r} is not something a group member does here: "
                                 "send, click or press")
        for action in member.replies:
            if action.kind == "answer":
                result.answers.append(action.text)
                result.pressed = True
        return result

    def _whose(self):
        return self.users[self.acting if not self.in_group else self.default]

    def state(self) -> str | None:
        return self._whose().state()

    def data(self) -> dict:
        return self._whose().data()

    def close(self) -> None:
        pass
