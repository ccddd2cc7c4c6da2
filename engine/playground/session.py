"""One browser session's conversation: a chat client on the live engine, what the user
did between the bot's messages, and the recorder that turns it into a replay script."""

from __future__ import annotations

import itertools
import json
from typing import Any

import yaml

from engine.media import MediaDir, PictureRefused
from engine.playground.html import to_html
from engine.render import Inline
from engine.replay.errors import engine_errors
from engine.replay.record import Recorder
from engine.run.console import guest_name
from engine.testing import ChatClient

DEFAULT_PHONE = "+79991234567"
_users = itertools.count(1)


class Session:
    """A conversation as one browser sees it; every method runs under the playground's lock.

    ``log`` is the chat in order: what the user typed or shared, and the bot's messages by id
    (their latest content is the sender's; a deleted one is left out when shown).
    """

    def __init__(self, playground, language: str | None = None, *, setup: list | None = None,
                 target: str | None = None, user_id: int | None = None) -> None:
        engine = playground.engine
        self.playground = playground
        self.language = language if language in engine.flowset.bot.languages \
            else engine.flowset.bot.default_language
        self.user_id = user_id or 100_000 + next(_users)
        self.client = ChatClient(engine, self.user_id,
                                 first_name=guest_name(engine.current, self.language),
                                 language_code=self.language, username="playground")
        self.target = target
        self.recorder = Recorder("playground.yaml", language=self.language,
                                 name="playground session", setup=list(setup or []),
                                 flows=playground.directory, target=target)
        self.log: list[dict] = []
        self.revision = 0
        self.errors: list[str] = []  # the engine's caught exceptions in the last step
        self.answer: dict | None = None  # the last button press's answer (a toast)
        self.do({"send": "/start"}, lambda: self.client.send("/start"), shown="/start")

    # -- what the user does --------------------------------------------------------------
    def do(self, step: dict, act, *, shown: str | None = None, contact: str | None = None) -> None:
        """Run ``act`` as the user's ``step`` (recorded for the script)."""
        if shown is not None:
            self.log.append({"from": "user", "text": shown})
        if contact is not None:
            self.log.append({"from": "user", "contact": contact})
        errors: list[str] = []
        with engine_errors(errors):
            act()
        self.errors = errors
        self.answer = None
        for action in self.client.replies:
            if action.kind == "send":
                self.log.append({"from": "bot", "id": action.message_id})
            elif action.kind == "answer":
                self.answer = {"text": action.text, "alert": action.alert}
        self.recorder.step(step, self.client)
        self.revision += 1

    def send(self, text: str) -> None:
        self.do({"send": text}, lambda: self.client.send(text), shown=text)

    def press(self, message_id: int, index: int) -> None:
        """Press the ``index``-th inline button (row by row) of the message ``message_id``."""
        message = self.client.sender.messages.get(message_id)
        if message is None or message.deleted or message.chat_id != self.user_id or \
                not isinstance(message.markup, Inline):
            raise LookupError(f"no message {message_id} with buttons in this chat")
        buttons = [button for row in message.markup.rows for button in row]
        if not 0 <= index < len(buttons):
            raise LookupError(f"message {message_id} has no button #{index}")
        button = buttons[index]
        messages = self.client.messages
        step: dict[str, Any] = {"click": button.label}
        if sum(b.label == button.label for b in buttons) > 1:  # ➕ on every cart line
            step["click"] = {"index": index}
        step["message"] = messages.index(message) - len(messages)
        self.do(step, lambda: self.client.press(message, button.data))

    def keyboard(self, index: int, phone: str = DEFAULT_PHONE) -> None:
        """Press the ``index``-th button of the reply keyboard: its label is sent, or the
        user's contact is shared."""
        buttons = self.client.keyboard_buttons()
        if not 0 <= index < len(buttons):
            raise LookupError(f"the reply keyboard has no button #{index}")
        contact, label = buttons[index]
        if contact:
            self.share_contact(phone)
        else:
            self.do({"click": label}, lambda: self.client.send(label), shown=label)

    def share_contact(self, phone: str = DEFAULT_PHONE) -> None:
        phone = phone.strip() or DEFAULT_PHONE
        self.do({"contact": phone}, lambda: self.client.share_contact(phone), contact=phone)

    # -- what the page shows -------------------------------------------------------------
    def snapshot(self, media: list[MediaDir] = ()) -> dict:
        """The chat, the keyboard and the conversation, as JSON for the page."""
        sender = self.client.sender
        chat: list[dict] = []
        for entry in self.log:
            if entry["from"] == "user":
                chat.append(entry)
                continue
            message = sender.messages[entry["id"]]
            if message.deleted:
                continue
            rows = message.markup.rows if isinstance(message.markup, Inline) else []
            chat.append({"from": "bot", "id": message.message_id,
                         "html": to_html(message.text, message.parse_mode),
                         "photo": _picture(message.photo, media),
                         "edited": message.edits > 0,
                         "buttons": [[b.label for b in row] for row in rows]})
        conv = self.client.conversation
        return {
            "revision": self.revision, "user_id": self.user_id, "language": self.language,
            "chat": chat,
            "keyboard": [{"label": label, "contact": contact}
                         for contact, label in self.client.keyboard_buttons()],
            "state": conv.state if conv else None,
            "params": _jsonable(conv.params if conv else {}),
            "data": _jsonable(conv.data if conv else {}),
            "history": [h.get("state") for h in conv.history] if conv else [],
            "errors": self.errors,
        }

    def script(self) -> str:
        """The session as a replay script (YAML), with how to replay it in its head."""
        recorder = self.recorder
        script = recorder.script({"id": self.user_id, "language": self.language})
        head = recorder.header(f"in the playground of {self.playground.directory}")
        return head + yaml.safe_dump(script, allow_unicode=True, sort_keys=False, width=100)


def find_picture(ref: str, media: list[MediaDir]) -> tuple[str, str]:
    """(kind, value) of the picture ``ref`` in the first media directory that has it:
    ``file`` and its path, ``url``, ``file_id``, or ``missing`` and why."""
    reason = "no media directory"
    for directory in media:
        try:
            picture = directory.resolve(ref)
        except PictureRefused as err:
            reason = err.reason
            continue
        return picture.kind, picture.value
    return "missing", reason


def _picture(ref: str | None, media: list[MediaDir]) -> dict | None:
    """How the page shows a photo: a file of the media directory by its URL, else what it is
    (a URL or file_id is not fetched: the playground makes no network requests)."""
    if not ref:
        return None
    kind, value = find_picture(ref, media)
    if kind == "file":
        return {"ref": ref, "url": "/media/" + ref}
    return {"ref": ref, "kind": kind, **({"missing": value} if kind == "missing" else {})}


def _jsonable(value: Any) -> Any:
    """``value`` as JSON can carry it (ids, dates and the like as their text)."""
    return json.loads(json.dumps(value, default=str))
