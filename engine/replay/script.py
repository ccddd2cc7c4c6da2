"""The script format: parsed with positions, so every failure names its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.yamlpos import load as load_yaml

ACTIONS = ("send", "click", "contact", "sticker", "photo", "run", "press", "pay", "redeliver")
STEP_KEYS = {*ACTIONS, "expect", "toast", "state", "probe", "data", "keyboard", "note",
             "message", "as", "in", "also", "reply"}
EXPECT_KEYS = {"text", "photo", "buttons", "edited", "new"}
SCRIPT_KEYS = {"name", "user", "users", "chats", "setup", "steps", "description", "tags",
               "flows", "env"}
PAY_KEYS = {"twice", "late", "message"}  # pay: {twice: true} / {late: true} / {message: -2}


class ScriptError(EngineError):
    """A script is malformed; the message starts with ``file:line``."""


@dataclass
class Step:
    action: str
    value: object
    line: int
    expect: list[dict] | None = None
    toast: object = ...
    state: str | None = None
    probe: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    keyboard: list | None = None
    message: int | None = None  # click: which message (negative counts from the newest)
    party: str | None = None  # ``as``: which of the script's users acts (default: the first)
    chat: str | None = None  # ``in``: which group chat (default: the party's private chat)
    also: dict = field(default_factory=dict)  # chat name -> messages expected there too
    reply: bool = False  # send: in reply to the bot's newest message in the chat

    def describe(self) -> str:
        who = f"{self.party}{' in ' + self.chat if self.chat else ''}: " \
            if self.party or self.chat else ""
        return who + (f"{self.action}: {self.value!r}" if self.value not in (True, None)
                      else self.action)


@dataclass
class Script:
    name: str
    file: str
    line: int
    user: dict
    setup: list
    steps: list[Step]
    tags: list[str] = field(default_factory=list)
    users: dict[str, dict] = field(default_factory=dict)  # name -> Telegram user (users:)
    chats: dict[str, dict] = field(default_factory=dict)  # name -> group chat (chats:)
    flows: str | None = None  # the flows directory it was recorded on (replay's fallback)
    # settings the bot runs with for this script (environment variables): in-process they
    # are set around it, end to end the bot process is restarted with them
    env: dict[str, str] = field(default_factory=dict)

    @property
    def parties(self) -> bool:
        """Whether the script has several users or group chats (``users:``/``chats:``)."""
        return bool(self.chats) or len(self.users) > 1

    def where(self, line: int) -> str:
        return f"{self.file}:{line}"


def load_script(path: str | Path) -> Script:
    """Parse and check one script; raise :class:`ScriptError` naming the file and line."""
    path = Path(path)
    doc, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise ScriptError("\n".join(str(p) for p in problems))
    data = doc.data if isinstance(doc.data, dict) else {}

    def fail(at: tuple, message: str):
        line, column = doc.keys.get(at) or doc.values.get(at, (1, 1))
        raise ScriptError(f"{path}:{line}:{column}: {message}")

    unknown = set(data) - SCRIPT_KEYS
    if unknown:
        fail((sorted(unknown)[0],), f"unknown key {sorted(unknown)[0]!r}; expected one of "
                                    f"{', '.join(sorted(SCRIPT_KEYS))}")
    if not isinstance(data.get("steps"), list) or not data["steps"]:
        fail(("steps",), "a script needs 'steps': a list of things the user does")
    users = data.get("users") or {}
    chats = data.get("chats") or {}
    if not isinstance(users, dict) or not all(isinstance(u, dict) and "id" in u
                                               for u in users.values()):
        fail(("users",), "'users' maps a name to a Telegram user: {buyer: {id: 104, ...}}")
    if "user" in data and users:
        fail(("users",), "give 'user' (one user) or 'users' (several), not both")
    if not isinstance(chats, dict) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), int) and c["id"] < 0
            for c in chats.values()):
        fail(("chats",), "'chats' maps a name to a group chat with a negative id: "
                         "{staff: {id: -1001, title: Staff, thread: 7}}")
    clash = set(users) & set(chats)
    if clash:
        fail(("chats",), f"{sorted(clash)[0]!r} names both a user and a chat")
    steps = []
    for i, raw in enumerate(data["steps"]):
        at = ("steps", i)
        if not isinstance(raw, dict):
            fail(at, "a step is a mapping like {send: /start} or {click: Catalog}")
        unknown = set(raw) - STEP_KEYS
        if unknown:
            fail((*at, sorted(unknown)[0]), f"unknown key {sorted(unknown)[0]!r} in a step; "
                                            f"expected one of {', '.join(sorted(STEP_KEYS))}")
        actions = [key for key in ACTIONS if key in raw]
        if len(actions) != 1:
            fail(at, f"a step does exactly one of {', '.join(ACTIONS)}; found {actions or 'none'}")
        expect = raw.get("expect")
        if expect is not None:
            expect = expect if isinstance(expect, list) else [expect]
            for j, item in enumerate(expect):
                bad = set(item) - EXPECT_KEYS if isinstance(item, dict) else {"?"}
                if bad:
                    fail((*at, "expect", j),
                         f"an expected message has {', '.join(sorted(EXPECT_KEYS))}"
                                             f"; got {sorted(bad)}")
        if actions[0] == "pay" and not (raw["pay"] is True or (
                isinstance(raw["pay"], dict) and not set(raw["pay"]) - PAY_KEYS)):
            fail((*at, "pay"), "pay: true, or pay: {twice: true} (paid again), {late: true} "
                               "(no pre-checkout first), {message: -1} (which invoice)")
        if actions[0] == "redeliver" and not (raw["redeliver"] is True or
                                               raw["redeliver"] == {"duplicate": True}):
            fail((*at, "redeliver"), "redeliver: true (the last payment's update again, the "
                                     "same update_id) or redeliver: {duplicate: true} (its "
                                     "content under a new update_id)")
        party, chat, also = raw.get("as"), raw.get("in"), raw.get("also") or {}
        if party is not None and party not in users:
            fail((*at, "as"), f"'as: {party}' names no user of 'users' "
                              f"({', '.join(users) or 'none'})")
        if chat is not None and chat not in chats:
            fail((*at, "in"), f"'in: {chat}' names no chat of 'chats' "
                              f"({', '.join(chats) or 'none'})")
        if not isinstance(also, dict) or any(n not in users and n not in chats for n in also):
            fail((*at, "also"), "'also' maps a user's or chat's name to the messages "
                                f"expected there; names: {', '.join([*users, *chats])}")
        for name, expected in also.items():
            if not isinstance(expected, list) or not all(
                    isinstance(e, dict) and not set(e) - EXPECT_KEYS for e in expected):
                fail((*at, "also", name), "a list of expected messages with "
                                          f"{', '.join(sorted(EXPECT_KEYS))}")
        steps.append(Step(action=actions[0], value=raw[actions[0]], line=doc.values[at][0],
                          expect=expect, toast=raw.get("toast", ...), state=raw.get("state"),
                          probe=raw.get("probe") or {}, data=raw.get("data") or {},
                          keyboard=raw.get("keyboard"), message=raw.get("message"),
                          party=party, chat=chat, also=dict(also),
                          reply=bool(raw.get("reply"))))
    env = data.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str | int)
                                            for k, v in env.items()):
        fail(("env",), "'env' maps setting names to values: {STARS: \"1\"}")
    setup = data.get("setup") or []
    user = dict(data.get("user") or (next(iter(users.values())) if users else {}))
    return Script(name=str(data.get("name") or path.stem), file=str(path), line=1,
                  user=user, setup=setup if isinstance(setup, list)
                  else [setup], steps=steps, tags=list(data.get("tags") or []),
                  users={name: dict(u) for name, u in users.items()},
                  chats={name: dict(c) for name, c in chats.items()},
                  flows=str(data["flows"]) if data.get("flows") else None,
                  env={k: str(v) for k, v in env.items()})


def find_scripts(paths: list[str | Path]) -> list[Path]:
    """The ``*.yaml`` scripts in ``paths`` (files or directories, recursively), sorted."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.yaml")) if not p.name.startswith("_"))
        else:
            found.append(path)
    return found


DEFAULT_PHONE = "+79991234567"


def contact_of(value: object) -> tuple[str, dict]:
    """A ``contact:`` step's phone and who it belongs to.

    ``contact: true`` or ``contact: "+44..."`` shares the user's own contact;
    ``contact: {phone: "+44...", user_id: 99, first_name: Bob}`` someone else's card.
    """
    if isinstance(value, dict):
        return str(value.get("phone") or DEFAULT_PHONE), {
            k: value[k] for k in ("user_id", "first_name") if value.get(k) is not None}
    return (str(value) if value not in (True, None) else DEFAULT_PHONE), {}
