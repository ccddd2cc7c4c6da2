"""The API's one voice for field messages: what is expected, said as a sentence.

``Required.``, ``Must not be null.``, ``Must be an integer.``, ``Must be an integer number of
kopecks from 0 to 1000000000000.``, ``Must be a string of at most 128 characters.``,
``Must be a list of at most 50 items.``, ``Must be one of: ru, en.``

Marshmallow's stock wording ("Missing data for required field.", "Length must be between 1
and 128.", "Not a valid integer.") is replaced field by field when a schema binds its fields
(:meth:`api.schemas.base.BaseSchema.on_bind_field`), so every schema speaks alike without
repeating it; a message a field or validator was given explicitly is kept.
"""

from __future__ import annotations

from marshmallow import fields, validate

REQUIRED = "Required."
NULL = "Must not be null."
UNKNOWN = "Unknown field."

__all__ = ["NULL", "REQUIRED", "UNKNOWN", "speak"]


def _money(field: fields.Field) -> bool:
    # money is documented "in kopecks" in every schema (price, min_price, totals)
    return "in kopecks" in str(field.metadata.get("description", "")).lower()


def _what(field: fields.Field) -> str | None:
    """What a value of ``field`` must be, after "Must be"."""
    if isinstance(field, fields.Integer):
        return "an integer number of kopecks" if _money(field) else "an integer"
    if isinstance(field, fields.Boolean):
        return "true or false"
    if isinstance(field, fields.String):
        return "a string"
    if isinstance(field, fields.List):
        return "a list"
    if isinstance(field, fields.Nested | fields.Dict):
        return "an object"
    return None


def _range(what: str, low, high) -> str:
    if low is not None and high is not None:
        return f"Must be {what} from {low} to {high}."
    return f"Must be {what} of at least {low}." if low is not None else \
        f"Must be {what} of at most {high}."


def _length(field: fields.Field, length: validate.Length) -> str:
    what, unit = ("a list", "items") if isinstance(field, fields.List) else \
        ("a string", "characters")
    low, high = length.min, length.max
    if length.equal is not None:
        return f"Must be {what} of exactly {length.equal} {unit}."
    if low and high is not None:
        return f"Must be {what} of {low} to {high} {unit}."
    if high is not None:
        return f"Must be {what} of at most {high} {unit}."
    return f"Must be {what} of at least {low} {unit}."


def speak(field: fields.Field) -> None:
    """Give ``field`` (and its validators) the API's wording, unless given explicitly."""
    what = _what(field)
    messages = {"required": REQUIRED, "null": NULL}
    if what:
        messages.update(invalid=f"Must be {what}.", type=f"Must be {what}.")
    for key, text in messages.items():
        if key in field.error_messages and field.error_messages[key] == \
                _stock(field, key):
            field.error_messages[key] = text
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.error is None:
            validator.error = _length(field, validator)
        elif isinstance(validator, validate.Range) and validator.error is None and \
                validator.min_inclusive and validator.max_inclusive:
            validator.error = _range(what or "a number", validator.min, validator.max)
    inner = getattr(field, "inner", None)
    if inner is not None:
        speak(inner)


def _stock(field: fields.Field, key: str) -> str | None:
    """Marshmallow's own message for ``key`` on ``field``'s class (None: none)."""
    for cls in type(field).__mro__:
        if key in getattr(cls, "default_error_messages", {}):
            return cls.default_error_messages[key]
    return None
