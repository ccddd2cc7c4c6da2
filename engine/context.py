"""What actions, conditions, validators and data sources receive: the update's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.events import Event


@dataclass
class Context:
    """One update's view of a user's conversation.

    ``data`` is what the flows remember for the user (saved with the conversation, so
    keep it JSON-like); ``params`` are the current state's parameters, ``args`` the
    pressed button's arguments, ``user`` Telegram's profile of the sender. Actions change
    data and call :meth:`notify` to have the engine tell the user something.
    """

    user_id: int
    chat_id: int
    state: str
    lang: str
    data: dict
    params: dict
    args: dict = field(default_factory=dict)
    event: Event | None = None
    page: int = 0
    services: Any = None
    notices: list[tuple[str, dict]] = field(default_factory=list)
    trigger: str | None = None

    @property
    def update_id(self) -> int | None:
        """The Telegram update being processed: the key that makes an effect idempotent.

        If the process dies after an action's effect and before the conversation is saved,
        Telegram delivers the update again and the action runs again; an effect recorded
        under this key (``$ne`` on it in the same conditional update) is then not repeated.
        """
        return self.event.update_id if self.event else None

    @property
    def user(self) -> dict:
        return self.event.user if self.event else {"id": self.user_id}

    def notify(self, text_key: str, /, **values: object) -> None:
        """Show the user ``text_key`` after this update (a toast for a button press)."""
        self.notices.append((text_key, values))
