"""The parsed flows: plain dataclasses built from structurally valid YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
STAY, BACK, ANY = "=", "^", "*"
PAGE_TRIGGER = "_page"  # the engine's own trigger behind next/previous page buttons


@dataclass(frozen=True)
class Where:
    """Where a piece of a flow was written: for error notes and the checker."""

    file: str
    line: int
    column: int
    path: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column} ({self.path})"


@dataclass(frozen=True)
class Text:
    """A text: a key of the texts catalog, or an inline template of data fields."""

    raw: str

    @property
    def is_key(self) -> bool:
        return bool(KEY_RE.match(self.raw))


@dataclass
class Button:
    label: Text
    trigger: str
    args: dict[str, str] = field(default_factory=dict)
    when: str | None = None
    unless: str | None = None
    where: Where | None = None


@dataclass
class Row:
    buttons: list[Button]


@dataclass
class Each:
    """Buttons generated from a data source, ``columns`` per row, paginated."""

    source: str
    button: Button | None = None
    columns: int = 1
    page_size: int | None = None
    where: Where | None = None
    row: list[Button] = field(default_factory=list)  # a row of buttons per item, instead

    @property
    def buttons(self) -> list[Button]:
        return self.row or ([self.button] if self.button else [])


@dataclass
class KeyboardButton:
    """A reply-keyboard button: fires ``trigger``, shares the contact, or (neither) types
    its label as the state's input."""

    label: Text
    trigger: str | None = None
    request_contact: bool = False
    when: str | None = None
    unless: str | None = None
    where: Where | None = None


@dataclass
class Keyboard:
    buttons: list[KeyboardButton]
    columns: int = 2


@dataclass
class EachMessage:
    source: str
    text: Text
    photo: str | None = None
    page_size: int = 5
    buttons: list[Row | Each] = field(default_factory=list)
    empty: Text | None = None
    where: Where | None = None


@dataclass
class Screen:
    text: Text | None = None
    photo: str | None = None
    mode: str = "edit"
    data: dict[str, str] = field(default_factory=dict)
    buttons: list[Row | Each] = field(default_factory=list)
    keyboard: Keyboard | None = None
    each_message: EachMessage | None = None
    wheres: dict[str, Where] = field(default_factory=dict)

    def at(self, key: str, default: Where | None) -> Where | None:
        return self.wheres.get(key, default)


@dataclass
class Input:
    trigger: str
    kind: str = "text"
    validator: str | None = None
    save_as: str | None = None
    error: Text | None = None
    where: Where | None = None


@dataclass
class State:
    name: str
    params: list[str] = field(default_factory=list)
    on_enter: list[str] = field(default_factory=list)
    screen: Screen = field(default_factory=Screen)
    input: Input | None = None
    description: str = ""
    flow: str = ""
    where: Where | None = None


@dataclass
class Transition:
    trigger: str
    source: list[str]  # [ANY] for a global transition
    dest: str  # a state name, STAY or BACK
    conditions: list[str] = field(default_factory=list)
    unless: list[str] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    toast: Text | None = None
    reset_history: bool = False
    description: str = ""
    where: Where | None = None

    @property
    def is_global(self) -> bool:
        return self.source == [ANY]

    @property
    def label(self) -> str:
        guards = [*self.conditions, *(f"not {u}" for u in self.unless)]
        return f"{self.trigger} [{', '.join(guards)}]" if guards else self.trigger


@dataclass
class Command:
    command: str
    trigger: str
    description: Text | None = None


@dataclass
class BotSpec:
    start: str = ""
    name: str = "bot"
    languages: list[str] = field(default_factory=lambda: ["en"])
    default_language: str = "en"
    parse_mode: str | None = "HTML"
    fallback: Text = field(default_factory=lambda: Text("engine.unexpected"))
    keyboard: Keyboard | None = None
    commands: list[Command] = field(default_factory=list)
    history_limit: int = 20
    renamed: dict[str, str] = field(default_factory=dict)
    texts_dir: str | None = None
    where: Where | None = None
