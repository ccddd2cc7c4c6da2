"""Profile edits (lesson 15) and the language switch."""

from __future__ import annotations

from engine import action
from flows.common import current_user
from models import User


def _save(ctx, field: str) -> None:
    value = ctx.data.pop("new_value", None)
    User.objects(telegram_id=current_user(ctx).telegram_id).update_one(**{f"set__{field}": value})


@action("profile.save_name")
def save_name(ctx) -> None:
    value = ctx.data.pop("new_value", "")
    first, _, last = value.partition(" ")
    User.set_name(current_user(ctx).telegram_id, first, last)


@action("profile.save_email")
def save_email(ctx) -> None:
    _save(ctx, "email")


@action("profile.save_phone")
def save_phone(ctx) -> None:
    _save(ctx, "phone")


@action("profile.save_address")
def save_address(ctx) -> None:
    _save(ctx, "address")


@action("profile.set_language")
def set_language(ctx) -> None:
    lang = ctx.args.get("lang")
    if lang in ("ru", "en"):
        User.objects(telegram_id=current_user(ctx).telegram_id).update_one(set__language=lang)
        ctx.lang = lang
