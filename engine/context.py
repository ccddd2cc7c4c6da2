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
    catalog: Any = None  # the running flows' texts (the engine's: fresh after a reload)

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

    def text(self, text_key: str, /, **values: object) -> str:
        """The catalog's text ``text_key`` in the conversation's language (the default
        language's when this one lacks it), its placeholders filled from ``values`` and
        from what a screen sees (``{user.first_name}``, ``{data...}``, ``{params...}``,
        ``{lang}``). Plain text: values go in as they are (a screen showing it escapes it).
        Raises KeyError for a key the catalog does not have."""
        from engine.spec import Text

        if self.catalog is None:
            raise LookupError("this context has no texts catalog (made outside the engine)")
        scope = {"user": self.user, "data": self.data, "params": self.params,
                 "args": self.args, "lang": self.lang, "state": self.state, "page": self.page,
                 **values}
        return self.catalog.text(Text(text_key), self.lang, scope, html=False)

    def notify(self, text_key: str, /, **values: object) -> None:
        """Show the user ``text_key`` after this update (a toast for a button press)."""
        self.notices.append((text_key, values))
