"""How a setting's text from the environment becomes a value: one rule per kind, shared by
:class:`engine.run.Settings` and a bot's own settings loader (the shop's ``settings.py``),
so that ``on`` means the same for every yes/no setting and a bad value always stops the
start with the variable's name.

Each function takes the variable's text (None or blank: unset, so its ``default``) and its
name, and raises ValueError naming both when the text is not a value of its kind.
"""

from __future__ import annotations

__all__ = ["FALSE", "TRUE", "flag", "rate", "whole_number"]

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def flag(value: str | None, name: str, default: bool = False) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off, in any case; blank: ``default``.

    Anything else is refused rather than read as no: ``STARS=2`` or ``BOT_EXCLUSIVE=enabled``
    quietly off would be found only when the shop misbehaves.
    """
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{name}: {value!r} is not yes or no (expected one of "
                     f"{', '.join(TRUE)} for yes, {', '.join(FALSE)} for no, or empty for "
                     f"the default, {'yes' if default else 'no'})")


def whole_number(value: str | None, name: str, default: int, low: int = 1,
                 high: int | None = None) -> int:
    """A whole number from ``low`` to ``high`` (no upper bound when None); blank: ``default``."""
    if not (value or "").strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name}: {value!r} is not a whole number {bounds}")
    return number


def rate(value: str | None, name: str, default: float) -> float:
    """A rate above 0 (such as messages per second); blank: ``default``."""
    if not (value or "").strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise ValueError(f"{name}: {value!r} is not a rate (expected messages per second "
                         "above 0, such as 25)")
    return number
