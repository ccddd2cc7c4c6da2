"""The texts catalog: ``TEXTS[lang][key]``, loaded once from ``texts/<lang>.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml

from constants.shop import DEFAULT_LANGUAGE, LANGUAGES

TEXTS_DIR = Path(__file__).with_name("texts")


def _flat(table: dict, prefix: str = "") -> dict[str, str]:
    """``{"s": {"main": x}}`` -> ``{"s.main": x}``: nested and dotted keys are the same text.

    The engine's loader (engine/textfiles.py) does the same with positions; it is not
    imported here because models use these texts and must not import the engine.
    """
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def load_catalog(directory: Path) -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` from ``directory/<lang>.yaml`` for every language."""
    catalog = {}
    for lang in LANGUAGES:
        with open(directory / f"{lang}.yaml", encoding="utf-8") as fh:
            catalog[lang] = _flat(yaml.safe_load(fh) or {})
    return catalog


TEXTS: dict[str, dict[str, str]] = load_catalog(TEXTS_DIR)


def text(key: str, lang: str | None = None, /, **values: object) -> str:
    """Return the text ``key`` in ``lang`` (falling back to Russian), formatted with ``values``.

    An unknown key raises ``KeyError``: a missing text is a bug that the flow checker
    reports before anything runs, never something to paper over at run time.
    """
    table = TEXTS.get(lang or DEFAULT_LANGUAGE) or TEXTS[DEFAULT_LANGUAGE]
    template = table[key] if key in table else TEXTS[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template
