"""Actions shared by every flow: registering the shopper, finding their user document."""

from __future__ import annotations

from engine import action
from models import User


def current_user(ctx) -> User:
    """The shopper's document, created on the fly for a conversation that skipped /start."""
    user = User.objects(telegram_id=ctx.user_id).first()
    if user is None:
        user = register(ctx)
    return user


@action("user.register")
def register(ctx) -> User:
    """/start: create or refresh the user from Telegram's profile; use their language."""
    profile = ctx.user
    user = User.register(ctx.user_id, username=profile.get("username") or None,
                         first_name=profile.get("first_name") or None,
                         last_name=profile.get("last_name") or None,
                         language_code=profile.get("language_code"))
    ctx.lang = user.language
    return user
