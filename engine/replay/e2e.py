"""End-to-end replays: the real bot process, long polling against the fake Telegram server.

The fake server plays the user; the bot process (the target's ``bot_command``) talks to it
over HTTP exactly as it would to Telegram. Fixtures and probes reach the bot's data through
a real MongoDB-wire server (``MONGO_URI``), which both processes share; the bot records the
transitions it takes for coverage (``ENGINE_COVERAGE_FILE``).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from engine.replay.coverage import Coverage
from engine.replay.driver import Shown, StepResult
from engine.replay.errors import logged_errors
from engine.replay.runner import Runner
from engine.replay.script import contact_of
from engine.replay.target import Target, load_target

STEP_QUIET = 0.15  # seconds without a request from the bot that end a step


class BotProcessError(RuntimeError):
    """The bot process died or never started polling; the message has its output."""


def real_mongo_uri() -> str:
    uri = os.environ.get("MONGO_URI", "")
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise BotProcessError("end-to-end replays need a real MongoDB-wire server shared by the "
                              "bot process and the runner: set MONGO_URI=mongodb://... (see "
                              "docs/integration.md for FerretDB)")
    return uri


class EndToEnd:
    """One fake Telegram server and one bot process for a whole run of scripts."""

    def __init__(self, target: Target | str, *, uri: str | None = None) -> None:
        from faketelegram import FakeTelegram

        self.target = load_target(target) if isinstance(target, str) else target
        if not self.target.bot_command:
            raise BotProcessError("the target has no bot_command to start the bot process")
        self.uri = uri or real_mongo_uri()
        self.flowset = self.target.load_flows() if self.target.load_flows else None
        self.workdir = Path(tempfile.mkdtemp(prefix="e2e-"))
        self.coverage_file = self.workdir / "coverage.jsonl"
        self.target.connect(self.uri)
        self.reset()
        from engine import lifecycle
        from engine.replay.coverage import FileRecorder

        # lifecycle changes the scripts' hooks make from this process count too
        self._recorder = FileRecorder(str(self.coverage_file)).lifecycle
        lifecycle.observers.append(self._recorder)
        self.fake = FakeTelegram().start()
        self.log = open(self.workdir / "bot.log", "w+", encoding="utf-8")  # noqa: SIM115
        self.env: dict[str, str] = {}  # the settings of the running script (its env:)
        self.process = None
        self._start()

    def _start(self) -> None:
        """Start the bot process with the target's settings and the script's ``env:``, and
        wait until it polls (its own getUpdates: an earlier process's is superseded)."""
        env = {**os.environ, **self.target.bot_env, **self.env, "BOT_TOKEN": self.fake.token,
               "TELEGRAM_API_URL": self.fake.url, "MONGO_URI": self.uri,
               "ENGINE_COVERAGE_FILE": str(self.coverage_file)}
        mark = self.fake.polls()
        self.process = subprocess.Popen(self.target.bot_command, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        try:
            self.fake.wait_polling(60, after=mark)
        except TimeoutError:
            output = self.output()
            self.close()
            raise BotProcessError(f"the bot never started polling:\n{output}") from None

    def _stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def use_env(self, env: dict[str, str]) -> None:
        """Run the bot with a script's settings (``env:``): restarted when they differ."""
        if env != self.env:
            self._stop()
            self.env = dict(env)
            self._start()

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def log_size(self) -> int:
        self.log.flush()
        return self.log.seek(0, os.SEEK_END)

    def log_since(self, offset: int) -> str:
        """What the bot process wrote to its log past ``offset``."""
        self.log.flush()
        self.log.seek(offset)
        return self.log.read()

    def reset(self) -> None:
        """Empty every collection (keeping indexes) so each script starts from nothing."""
        import mongoengine

        database = mongoengine.get_db()
        for name in database.list_collection_names():
            database[name].delete_many({})

    def runner(self) -> Runner:
        return Runner(self.target, driver_factory=self._driver)

    def _driver(self, runner: Runner, script) -> E2EDriver:
        self.use_env(script.env)
        if self.process.poll() is not None:
            raise BotProcessError(f"the bot process exited:\n{self.output()}")
        self.reset()
        if script.parties:
            from engine.replay.e2e_party import E2EPartiesDriver

            return E2EPartiesDriver(self, script)
        return E2EDriver(self, script.user)

    def coverage(self) -> Coverage | None:
        if self.flowset is None:
            return None
        coverage = Coverage(self.flowset)
        coverage.merge_file(self.coverage_file)
        return coverage

    def close(self) -> None:
        from engine import lifecycle

        if getattr(self, "_recorder", None) in lifecycle.observers:
            lifecycle.observers.remove(self._recorder)
        self._stop()
        self.fake.stop()
        self.log.close()


def entry_text(entry: dict) -> str:
    """What a transcript entry of the bot's shows: an invoice as its title and description
    (as the in-process stub shows it), a message as its source, text or caption."""
    if "invoice" in entry:
        return f"{entry.get('text') or ''}\n{entry['invoice'].get('description') or ''}"
    return entry.get("source") or entry.get("text") or entry.get("caption") or ""


def _buttons(markup: dict | None) -> list[list[str]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [[button.get("text", "") for button in row] for row in rows]


class E2EDriver:
    """Plays one user through the fake server and reads back what the bot did."""

    def __init__(self, session: EndToEnd, user: dict) -> None:
        self.session = session
        self.fake = session.fake
        self.user_id = user.get("id", 1)
        self.user = self.fake.user(self.user_id, first_name=user.get("first_name", "Test"),
                                   last_name=user.get("last_name") or None,
                                   username=user.get("username", "tester"),
                                   language_code=user.get("language", "en"))
        self.uploads: dict[str, str] = {}  # file id -> the uploaded file's name
        self.last_payment: int | None = None  # the update id of the last payment

    def _seq(self) -> int:
        from faketelegram import ControlError

        try:
            transcript = self.user.transcript()
        except ControlError:  # the user never wrote yet: no chat
            return 0
        return transcript[-1]["seq"] if transcript else 0

    def do(self, step) -> StepResult:
        since, logged = self._seq(), self.session.log_size()
        label = step.value.get("label") if isinstance(step.value, dict) else step.value
        keyboard = self._keyboard()
        inline = step.action == "press" or (step.action == "click" and (
            step.message is not None or label not in keyboard))
        if step.action == "send":
            self.user.send(str(step.value))
        elif step.action == "contact":
            phone, other = contact_of(step.value)
            self.user.share_contact(phone, first_name=other.get("first_name") or (
                "Contact" if other.get("user_id") else None),
                contact_user_id=other.get("user_id"))
        elif step.action == "sticker":
            self.user.send_sticker()
        elif step.action == "photo":
            self.user.send_photo()
        elif step.action == "press":
            self.user.click(data=str(step.value), message_id=self._message_id(step.message or -1),
                            forge=True)
        elif inline:
            message_id = self._message_id(step.message) if step.message is not None else None
            if isinstance(step.value, dict) and "index" in step.value:
                self.user.click(position=int(step.value["index"]), message_id=message_id)
            else:
                oldest = isinstance(step.value, dict) and bool(step.value.get("oldest"))
                self._click(label, message_id, oldest=oldest)
        elif step.action == "click":
            self.user.press(label)
        elif step.action == "pay":
            self._pay(step)
        elif step.action == "redeliver":
            if self.last_payment is None:
                from engine.testing import ClickError

                raise ClickError("no payment to deliver again: pay first")
            if isinstance(step.value, dict):
                self.fake.duplicate(self.last_payment)
            else:
                self.fake.redeliver(self.last_payment)
        self.fake.wait_idle(timeout=20, quiet=STEP_QUIET)
        result = self._result(since, inline)
        result.errors = logged_errors(self.session.log_since(logged))
        return result

    def _pay(self, step) -> None:
        """The buyer pays an invoice through the fake (its pre-checkout, then the payment);
        the payment's update is kept for ``redeliver:``."""
        options = step.value if isinstance(step.value, dict) else {}
        message_id = self._message_id(options["message"]) if "message" in options else None
        paid = self.user.pay(message_id, twice=bool(options.get("twice")),
                             skip_pre_checkout=bool(options.get("late")))
        for one in paid.get("payments") or [paid]:
            if one.get("update_id"):
                self.last_payment = one["update_id"]

    def _click(self, label: str, message_id: int | None, *, oldest: bool = False) -> None:
        from engine.testing import ClickError

        if message_id is None:  # the newest (or oldest) message showing that label
            messages = self.user.messages()
            for message in (messages if oldest else reversed(messages)):
                if label in [b for row in _buttons(message.get("reply_markup")) for b in row]:
                    message_id = message["message_id"]
                    break
            else:
                raise ClickError(f"no button {label!r} on screen; keyboard: {self._keyboard()}")
        self.user.click(label, message_id=message_id)

    def _message_id(self, index: int) -> int:
        messages = self.user.messages()
        return messages[index]["message_id"]

    def _keyboard(self) -> list[str]:
        from faketelegram import ControlError

        try:
            keyboard = self.user.keyboard() or {}
        except ControlError:
            return []
        return [b.get("text", "") if isinstance(b, dict) else str(b)
                for row in keyboard.get("keyboard", []) for b in row]

    def _result(self, since: int, inline: bool) -> StepResult:
        result = StepResult(keyboard=self._keyboard(), inline=inline)
        seen: dict[int, Shown] = {}
        for entry in self.user.transcript(since=since):
            if entry.get("actor") != "bot":
                continue
            action = entry.get("action")
            if action == "answer" or (action == "answer_pre_checkout" and not entry.get("ok")):
                # a refused pre-checkout shows its reason to the buyer, as a toast does
                result.answers.append(entry.get("text") or entry.get("error_message") or None)
                result.pressed = True
            elif action in ("send", "edit"):
                photo = entry.get("photo")
                if entry.get("upload") and photo:
                    self.uploads[photo] = entry["upload"]
                photo = self.uploads.get(photo, photo)
                text = entry_text(entry)
                shown = Shown(action, entry["message_id"], text, photo,
                              [] if "invoice" in entry else _buttons(entry.get("reply_markup")))
                if entry["message_id"] in seen:
                    seen[entry["message_id"]].text = text
                    continue
                seen[entry["message_id"]] = shown
                result.shown.append(shown)
        return result

    def state(self) -> str | None:
        import mongoengine

        doc = mongoengine.get_db()[self.session.target.conversations].find_one(
            {"_id": self.user_id})
        return doc.get("state") if doc else None

    def data(self) -> dict:
        import mongoengine

        doc = mongoengine.get_db()[self.session.target.conversations].find_one(
            {"_id": self.user_id})
        return (doc or {}).get("data") or {}

    def close(self) -> None:
        deadline = time.monotonic() + 5
        while self.fake.unanswered_callbacks() and time.monotonic() < deadline:
            time.sleep(0.05)
