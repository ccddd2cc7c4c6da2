"""The web admin's own texts (``api/admin``), per language, in ``constants/admin/<lang>.yaml``.

Kept apart from the bot's catalog (``constants/texts``) because the flow checker reports a
bot text nobody uses; Flask-Admin's own words (Save, List, Filter ...) come translated with
Flask-Admin. :func:`admin_text` looks one up like :func:`constants.text` does.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from constants.shop import DEFAULT_LANGUAGE, LANGUAGES
from constants.texts import _flat

__all__ = ["ADMIN_TEXTS", "admin_text"]

_DIR = Path(__file__).resolve().parent


def _load() -> dict[str, dict[str, str]]:
    catalog = {}
    for lang in LANGUAGES:
        with open(_DIR / f"{lang}.yaml", encoding="utf-8") as fh:
            catalog[lang] = _flat(yaml.safe_load(fh) or {})
    return catalog


ADMIN_TEXTS: dict[str, dict[str, str]] = _load()


def admin_text(key: str, lang: str | None = None, /, **values: object) -> str:
    """The admin's text ``key`` in ``lang`` (else Russian), formatted with ``values``;
    an unknown key raises ``KeyError``."""
    table = ADMIN_TEXTS.get(lang or DEFAULT_LANGUAGE) or ADMIN_TEXTS[DEFAULT_LANGUAGE]
    template = table[key] if key in table else ADMIN_TEXTS[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template
