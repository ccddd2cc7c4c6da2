"""Email and phone validation with well-kept libraries (email-validator, phonenumbers)."""

from __future__ import annotations

import email_validator
import phonenumbers

DEFAULT_REGION = "RU"  # numbers typed without a country code are read as Russian


class InvalidValue(ValueError):
    """A value failed validation; ``str(err)`` says why in English, ``reason`` in short."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def normalise_email(value: str) -> str:
    """Return the normalised address or raise :class:`InvalidValue` saying what is wrong."""
    try:
        result = email_validator.validate_email(str(value).strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as err:
        raise InvalidValue(f"invalid email {value!r}: {err}", reason=str(err)) from None
    return result.normalized


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164 (``+79991234567``) or raise :class:`InvalidValue`."""
    raw = str(value).strip()
    if raw and raw[0].isdigit() and len(raw) > 10 and not raw.startswith(("8", "7")):
        raw = "+" + raw  # contacts shared from Telegram come without the plus
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidValue(f"invalid phone {value!r}: {err}", reason=str(err)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(f"invalid phone {value!r}: not a valid number",
                           reason="Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
