"""Conversions from loaded input to the embedded documents of the models."""

from __future__ import annotations

from models import Characteristic, Translation

__all__ = ["characteristics", "translations"]


def characteristics(items: list[dict] | None) -> list[Characteristic]:
    """``[{"name", "value"}]`` as embedded characteristics, in the order given."""
    return [Characteristic(**item) for item in items or []]


def translations(data: dict | None) -> dict[str, Translation]:
    """``{"en": {"name": ...}}`` as the models' translation map; ``null`` entries dropped."""
    result = {}
    for lang, fields in (data or {}).items():
        if fields is None:
            continue
        fields = dict(fields)
        if "characteristics" in fields:
            fields["characteristics"] = characteristics(fields["characteristics"])
        result[lang] = Translation(**fields)
    return result
