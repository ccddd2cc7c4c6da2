"""The web admin's own texts (``api/admin``), per language, in ``constants/admin/<lang>.yaml``.

Kept apart from the bot's catalog (``constants/texts``) because the flow checker reports a
bot text nobody uses; Flask-Admin's own words (Save, List, Filter ...) come translated with
Flask-Admin. :func:`admin_text` looks one up like :func:`constants.text` does.
"""

from __future__ import annotations

from pathlib import Path

from constants.shop import DEFAULT_LANGUAGE
from constants.texts import load_catalog

__all__ = ["ADMIN_TEXTS", "admin_text"]

ADMIN_TEXTS: dict[str, dict[str, str]] = load_catalog(Path(__file__).resolve().parent)


def admin_text(key: str, lang: str | None = None, /, **values: object) -> str:
    """The admin's text ``key`` in ``lang`` (else Russian), formatted with ``values``;
    an unknown key raises ``KeyError``."""
    table = ADMIN_TEXTS.get(lang or DEFAULT_LANGUAGE) or ADMIN_TEXTS[DEFAULT_LANGUAGE]
    template = table[key] if key in table else ADMIN_TEXTS[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template
