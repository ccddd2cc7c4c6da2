"""``python run_api.py create-admin EMAIL``: make an account of the admin.

The password is asked twice on a terminal (not echoed); otherwise it is read from
``ADMIN_PASSWORD``, else from the first line of standard input (scripts and tests:
``printf '%s\\n' "$PASSWORD" | python run_api.py create-admin EMAIL``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from api.admin.accounts import MIN_PASSWORD, ROLES, AccountError, StaffAccount

__all__ = ["create_admin", "demo_account"]


def _password() -> str | None:
    if os.environ.get("ADMIN_PASSWORD"):
        return os.environ["ADMIN_PASSWORD"]
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(f"Password (at least {MIN_PASSWORD} characters): ")
        if getpass.getpass("Again: ") != first:
            print("create-admin: the passwords differ; nothing was created", file=sys.stderr)
            return None
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def create_admin(argv: list[str], *, embedded: bool = False) -> int:
    """Create the account (``--role staff`` for a staff account); 0 when it was."""
    parser = argparse.ArgumentParser(prog="python run_api.py create-admin",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("email")
    parser.add_argument("--role", choices=ROLES, default="admin",
                        help="admin: everything, accounts too (default); staff: catalog, "
                             "orders, news, users")
    args = parser.parse_args(argv)
    if embedded:  # the account would die with this command: say so, create nothing
        print("create-admin: MONGO_URI names the embedded in-memory store, where an account "
              "lives only as long as the process that made it; nothing was created. Point "
              "MONGO_URI at your MongoDB, or try the admin with `python run_api.py --demo`, "
              "which prints an account of its own.", file=sys.stderr)
        return 2
    password = _password()
    if password is None:
        return 1
    if not password:  # an empty line, or standard input at its end (a script's `< /dev/null`)
        print("create-admin: no password given: set ADMIN_PASSWORD or type it (asked on a "
              "terminal, else the first line of standard input); nothing was created",
              file=sys.stderr)
        return 1
    try:
        account = StaffAccount.create(args.email, password, role=args.role)
    except AccountError as err:
        print(f"create-admin: {err}; nothing was created", file=sys.stderr)
        return 1
    print(f"created the {account.role} account {account.email}")
    return 0


DEMO_EMAIL = "admin@example.com"


def demo_account() -> tuple[str, str]:
    """An admin account with a fresh random password, for a try-out on the embedded store
    (``python run_api.py`` without MongoDB: nobody can run ``create-admin`` against the
    memory of the server's own process). Returns the email and the password."""
    password = secrets.token_urlsafe(12)
    account = StaffAccount.find(DEMO_EMAIL)
    if account is None:
        StaffAccount.create(DEMO_EMAIL, password, role="admin")
    else:
        account.set_password(password)
        account.save()
    return DEMO_EMAIL, password
