"""Errors of the fake Bot API server: Telegram's answers, and misuse of the control API.

The descriptions are Telegram's own, as the Bot API server (tdlib/telegram-bot-api) and TDLib
word them, so a bot sees exactly what it would see in production.
"""

from __future__ import annotations

__all__ = ["ApiError", "ControlError", "bad_request", "conflict", "forbidden", "too_many_requests"]


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict:
        """The answer's JSON body, with ``parameters.retry_after`` for a 429."""
        body: dict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class ControlError(ValueError):
    """A control API call that cannot be done (unknown user, no such button, ...)."""


def bad_request(message: str) -> ApiError:
    """A 400 answer; ``message`` is the part after ``"Bad Request: "``."""
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    """A 403 answer; ``message`` is the part after ``"Forbidden: "``."""
    return ApiError(403, f"Forbidden: {message}")


def conflict(message: str) -> ApiError:
    """A 409 answer; ``message`` is the part after ``"Conflict: "``."""
    return ApiError(409, f"Conflict: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 answer asking the client to wait ``retry_after`` whole seconds."""
    retry_after = max(1, int(retry_after))
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
