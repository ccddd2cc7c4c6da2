"""Accounts of the web admin's staff: an email, a hashed password and a role.

Only the admin uses them, so the document lives here rather than in ``models/`` (whose
documents are the shop's data); it is stored in the shop's database like the rest.
"""

from __future__ import annotations

import functools

from flask_login import UserMixin
from mongoengine import BooleanField, DateTimeField, StringField
from werkzeug.security import check_password_hash, generate_password_hash

from models import TimestampedDocument, normalise_email

__all__ = ["MIN_PASSWORD", "ROLES", "AccountError", "StaffAccount", "login_email"]

ROLES = ("admin", "staff")  # admin: everything, accounts too; staff: catalog, orders, news
MIN_PASSWORD = 8


def login_email(value: str) -> str:
    """An email as accounts are keyed by: normalised, and lower case (people type their
    address in any case when logging in)."""
    return normalise_email(value).lower()


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


class AccountError(ValueError):
    """An account cannot be made as asked (``reason`` says why, for people)."""


class StaffAccount(UserMixin, TimestampedDocument):
    """One person who may log in to the admin (Flask-Login's user)."""

    email = StringField(required=True, unique=True, max_length=254)
    password_hash = StringField(required=True)
    role = StringField(required=True, choices=ROLES, default="staff")
    active = BooleanField(default=True)
    last_login = DateTimeField()

    meta = {"collection": "admin_accounts"}

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in an inactive account
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        """The session's id: the account and a piece of its password's hash, so changing
        the password ends every other session of the account."""
        return f"{self.pk}:{self.password_hash[-12:]}"

    @classmethod
    def by_session_id(cls, session_id: str) -> StaffAccount | None:
        account_id, _, stamp = session_id.partition(":")
        account = cls.objects(id=account_id).first() if len(account_id) == 24 else None
        if account is None or account.password_hash[-12:] != stamp:
            return None
        return account

    def set_password(self, password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @staticmethod
    def verify(account: StaffAccount | None, password: str) -> bool:
        """Whether ``account`` exists and ``password`` is its own; as slow for no account
        (a hash is checked all the same), so the time taken tells no one which emails
        have an account."""
        if account is None:
            check_password_hash(_dummy_hash(), password)
            return False
        return account.check_password(password)

    @classmethod
    def find(cls, email: str) -> StaffAccount | None:
        try:
            return cls.objects(email=login_email(email)).first()
        except ValueError:
            return None

    @classmethod
    def create(cls, email: str, password: str, role: str = "admin") -> StaffAccount:
        """A new account, or :class:`AccountError` (bad email, short password, taken)."""
        if role not in ROLES:
            raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        try:
            email = login_email(email)
        except ValueError as err:
            raise AccountError(str(getattr(err, "reason", err))) from None
        if cls.objects(email=email).first():
            raise AccountError(f"an account for {email} exists already")
        account = cls(email=email, role=role)
        account.set_password(password)
        account.save()
        return account
