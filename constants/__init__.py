"""Every user-visible text (per language) and the other constants of the shop.

Texts live in ``constants/texts/<lang>.yaml`` as ``key: text`` maps (dotted or nested keys)
so that translators edit data, not code; :func:`text` looks one up.
"""

from __future__ import annotations

from constants.limits import (
    CALLBACK_DATA_BYTES,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
)
from constants.shop import (
    CURRENCY,
    DEFAULT_LANGUAGE,
    EMOJI,
    LANGUAGES,
    ORDER_STATUSES,
)
from constants.texts import TEXTS, text

__all__ = [
    "CALLBACK_DATA_BYTES",
    "CAPTION_LIMIT",
    "CURRENCY",
    "DEFAULT_LANGUAGE",
    "EMOJI",
    "LANGUAGES",
    "MESSAGE_LIMIT",
    "ORDER_STATUSES",
    "TEXTS",
    "text",
]
