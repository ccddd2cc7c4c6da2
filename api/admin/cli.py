"""``python run_api.py create-admin EMAIL``: make an account of the admin.

The password is asked twice on a terminal (not echoed); otherwise it is read from
``ADMIN_PASSWORD``, else from the first line of standard input (scripts and tests:
``printf '%s\\n' "$PASSWORD" | python run_api.py create-admin EMAIL``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from api.admin.accounts import MIN_PASSWORD, ROLES, AccountError, StaffAccount

__all__ = ["create_admin"]


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
    if embedded:
        print("create-admin: MONGO_URI names the embedded in-memory store: the account "
              "lives only as long as this command. Point MONGO_URI at your MongoDB.",
              file=sys.stderr)
    password = _password()
    if password is None:
        return 1
    try:
        account = StaffAccount.create(args.email, password, role=args.role)
    except AccountError as err:
        print(f"create-admin: {err}; nothing was created", file=sys.stderr)
        return 1
    print(f"created the {account.role} account {account.email}")
    return 0
