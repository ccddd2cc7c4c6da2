"""The admin's language: chosen in the page (kept in the session), else the browser's,
else Russian; Flask-Babel serves Flask-Admin's own translations for it."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import LazyString

from constants import DEFAULT_LANGUAGE, LANGUAGES
from constants.admin import admin_text

__all__ = ["LANG_KEY", "current_language", "lazy", "t"]

LANG_KEY = "admin_lang"


def current_language() -> str:
    """The language of this request's pages (the Flask-Babel locale selector)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = session.get(LANG_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def t(key: str, /, **values: object) -> str:
    """The admin text ``key`` in the request's language."""
    return admin_text(key, current_language(), **values)


def lazy(key: str, /, **values: object) -> LazyString:
    """:func:`t`, looked up when shown (for labels declared on classes)."""
    return LazyString(t, key, **values)
