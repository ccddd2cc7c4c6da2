"""Shoppers: one document per Telegram user, keyed by the Telegram id."""

from __future__ import annotations

import contextlib

from mongoengine import BooleanField, IntField, StringField, ValidationError

from constants import DEFAULT_LANGUAGE, LANGUAGES
from models.base import TimestampedDocument, utcnow
from models.validation import InvalidValue, normalise_email, normalise_phone


class User(TimestampedDocument):
    """A shopper (lessons 12 and 15): contact data, language, and whether they blocked us."""

    telegram_id = IntField(primary_key=True)
    username = StringField(max_length=64)
    first_name = StringField(max_length=128)
    last_name = StringField(max_length=128)
    phone = StringField(max_length=20)
    email = StringField(max_length=254)
    address = StringField(max_length=512)
    language = StringField(choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    blocked = BooleanField(default=False)
    name_edited = BooleanField(default=False)  # the shopper set their name in the profile

    meta = {"collection": "users", "indexes": ["blocked", "username"]}

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or (f"@{self.username}" if self.username else str(self.telegram_id))

    @property
    def cart(self):
        """This user's cart (created empty on first use)."""
        from models.cart import Cart

        return Cart.for_user(self.telegram_id)

    def clean(self) -> None:
        # normalise what is valid; what is not is reported per field by validate()
        for field, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            value = getattr(self, field)
            if value:
                with contextlib.suppress(InvalidValue):
                    setattr(self, field, normalise(value))

    def validate(self, clean: bool = True) -> None:
        errors = {}
        try:
            super().validate(clean=clean)
        except ValidationError as err:
            errors.update(err.errors or {})
        for field, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            value = getattr(self, field)
            if value and field not in errors:
                try:
                    normalise(value)
                except InvalidValue as err:
                    errors[field] = ValidationError(err.reason, field_name=field)
        if errors:
            raise ValidationError(f"invalid {', '.join(sorted(errors))}", errors=errors)

    @classmethod
    def register(cls, telegram_id: int, *, username: str | None = None,
                 first_name: str | None = None, last_name: str | None = None,
                 language_code: str | None = None) -> User:
        """Create or refresh the user from Telegram's profile (atomic updates).

        The language is taken from Telegram only the first time; after that it is the
        user's own choice from the profile. So are the names once the shopper has set
        them (:meth:`set_name`): Telegram's names refresh only names never edited.
        """
        language = language_code if language_code in LANGUAGES else DEFAULT_LANGUAGE
        refreshed = cls.objects(telegram_id=telegram_id, name_edited__ne=True).update_one(
            set__username=username, set__first_name=first_name, set__last_name=last_name,
            set__blocked=False)
        if not refreshed:  # new, or named by the shopper: their name stays
            cls.objects(telegram_id=telegram_id).update_one(
                upsert=True, set__username=username, set__blocked=False,
                set_on_insert__language=language, set_on_insert__first_name=first_name,
                set_on_insert__last_name=last_name)
        return cls.objects.get(telegram_id=telegram_id)

    @classmethod
    def set_name(cls, telegram_id: int, first_name: str, last_name: str | None) -> None:
        """The shopper's own name: kept over Telegram's from now on."""
        cls.objects(telegram_id=telegram_id).update_one(
            set__first_name=first_name, set__last_name=last_name or None, set__name_edited=True)

    def mark_blocked(self, blocked: bool = True) -> None:
        User.objects(telegram_id=self.telegram_id).update_one(set__blocked=blocked)
        self.blocked, self.modified = blocked, utcnow()
