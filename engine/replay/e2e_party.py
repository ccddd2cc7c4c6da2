"""Scripts with several parties end to end: users in their private chats and members of
group chats (forum topics) acting through the fake Telegram server on the real bot process.

After each step the driver waits for the bot to go quiet and for the target's ``settled()``
(nothing left in its outbox: the bot process's workers sent it all), then reads every
chat's transcript since the step began: the acting chat's messages are the step's
``expect``, the others' its ``also`` (as in-process, :mod:`engine.replay.party`).
"""

from __future__ import annotations

import time

from engine.replay.driver import Shown, StepResult
from engine.replay.e2e import STEP_QUIET, E2EDriver, _buttons, entry_text
from engine.replay.errors import logged_errors

SETTLE_TIMEOUT = 30.0


class E2EPartiesDriver:
    """Drives a script's ``users`` and ``chats`` through the fake server."""

    def __init__(self, session, script) -> None:
        self.session = session
        self.fake = session.fake
        users = script.users or {"user": script.user}
        self.users = {name: E2EDriver(session, user) for name, user in users.items()}
        self.profiles = users
        self.chats = script.chats
        for name, chat in self.chats.items():
            self.fake.group(chat["id"], title=chat.get("title", name),
                            forum=chat.get("thread") is not None)
        self.default = next(iter(self.users))
        self.acting, self.in_group = self.default, False
        self.names = {user.get("id", 1): name for name, user in users.items()}
        self.names.update({chat["id"]: name for name, chat in self.chats.items()})

    @property
    def user_id(self) -> int:
        return self._whose().user_id

    def _whose(self) -> E2EDriver:
        return self.users[self.acting if not self.in_group else self.default]

    def _marks(self) -> dict[int, int]:
        from faketelegram import ControlError

        marks = {}
        for chat_id in self.names:
            try:
                transcript = self.fake.transcript(chat_id)
            except ControlError:  # nobody wrote there yet
                transcript = []
            marks[chat_id] = transcript[-1]["seq"] if transcript else 0
        return marks

    def _member(self, chat: str, party: str):
        spec, user = self.chats[chat], self.profiles[party]
        return self.fake.member(user.get("id", 1), spec["id"], thread_id=spec.get("thread"),
                                first_name=user.get("first_name", "Test"),
                                last_name=user.get("last_name") or None,
                                username=user.get("username") or None,
                                language_code=user.get("language", "en"))

    def after_hook(self, step, call) -> StepResult:
        return self.do(step, call)

    def do(self, step, hook=None) -> StepResult:
        party = step.party or self.default
        self.acting, self.in_group = party, step.chat is not None
        marks, logged = self._marks(), self.session.log_size()
        chat_id = self.chats[step.chat]["id"] if step.chat else self.profiles[party].get("id", 1)
        if hook is not None:
            hook()
            result, chat_id = StepResult(), None
        elif step.chat is None:
            result = self.users[party].do(step)
        else:
            result = StepResult(inline=step.action in ("click", "press"))
            self._in_group(step, party)
        self._settle()
        self._read(result, marks, chat_id)
        result.errors = logged_errors(self.session.log_since(logged))
        return result

    def _settle(self) -> None:
        """Wait until the bot is quiet and its outbox is empty (then quiet again)."""
        self.fake.wait_idle(timeout=20, quiet=STEP_QUIET)
        settled = self.session.target.settled
        if settled is None:
            return
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not settled():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the outbox still had work after {SETTLE_TIMEOUT}s")
            time.sleep(0.05)
        self.fake.wait_idle(timeout=20, quiet=STEP_QUIET)

    def _in_group(self, step, party: str) -> None:
        from engine.testing import ClickError

        member = self._member(step.chat, party)
        messages = member.messages()
        chosen = messages[step.message] if step.message is not None and \
            -len(messages) <= step.message < len(messages) else None
        if step.action == "send":
            replied = None
            if step.reply:
                bots = [m for m in messages if m.get("from", {}).get("is_bot")]
                replied = (chosen or (bots[-1] if bots else None) or {}).get("message_id")
            member.send(str(step.value), reply_to=replied)
        elif step.action == "press":
            target = chosen or messages[-1]
            member.click(data=str(step.value), message_id=target["message_id"], forge=True)
        elif step.action == "click":
            value = step.value
            if isinstance(value, dict) and "index" in value:
                member.click(position=int(value["index"]),
                             message_id=chosen["message_id"] if chosen else None)
                return
            label = value.get("label") if isinstance(value, dict) else str(value)
            candidates = [chosen] if chosen else list(reversed(messages))
            for message in candidates:
                if label in [b for row in _buttons(message.get("reply_markup")) for b in row]:
                    member.click(label, message_id=message["message_id"])
                    return
            raise ClickError(f"no button {label!r} in {step.chat}")
        else:
            raise ValueError(f"{step.action!r} is not something a group member does here: "
                             "send, click or press")

    def _read(self, result: StepResult, marks: dict[int, int], acting: int | None) -> None:
        from faketelegram import ControlError

        result.shown, result.others = [], {}
        for chat_id, name in self.names.items():
            try:
                entries = self.fake.transcript(chat_id, since=marks.get(chat_id, 0))
            except ControlError:
                continue
            shown: dict[int, Shown] = {}
            answers = []
            for entry in entries:
                if entry.get("actor") != "bot":
                    continue
                if entry.get("action") == "answer":
                    answers.append(entry.get("text") or None)
                elif entry.get("action") in ("send", "edit"):
                    text = entry_text(entry)
                    buttons = [] if "invoice" in entry else _buttons(entry.get("reply_markup"))
                    if entry["message_id"] in shown:
                        shown[entry["message_id"]].text = text
                        shown[entry["message_id"]].buttons = buttons
                        continue
                    shown[entry["message_id"]] = Shown(entry["action"], entry["message_id"],
                                                       text, entry.get("photo"), buttons)
            if chat_id == acting:
                result.shown = list(shown.values())
                if self.in_group:  # a private step's driver read its answers already
                    result.answers, result.pressed = answers, bool(answers)
            elif shown:
                result.others[name] = list(shown.values())

    def state(self) -> str | None:
        return self._whose().state()

    def data(self) -> dict:
        return self._whose().data()

    def close(self) -> None:
        for driver in self.users.values():
            driver.close()
