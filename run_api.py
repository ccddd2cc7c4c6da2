"""API entry point: ``python run_api.py`` (development server), ``gunicorn run_api:app``;
``python run_api.py create-admin EMAIL`` makes an account of the web admin (``/admin``).

``API_DEMO=1`` (or ``--demo``) loads the demo catalog at start-up: with the embedded
store (the default ``MONGO_URI``) that is the only way to have data to serve, and each
process then holds its own copy.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import settings

if TYPE_CHECKING:
    from flask import Flask


def create(loaded: settings.Settings | None = None, *, dev: bool = False) -> Flask:
    """Connect the database and build the app (``dev``: ``python run_api.py``, where the
    admin may sign its sessions with a key of its own when ``ADMIN_SECRET_KEY`` is not set;
    under gunicorn it may not, docs/admin.md)."""
    import models
    from api import create_app
    from models import demo

    loaded = loaded or settings.load()
    models.connect(loaded.mongo_uri)
    if loaded.api_demo:
        demo.load()
    return create_app({"API_TOKENS": loaded.api_tokens, "MONGO_URI": loaded.mongo_uri,
                       "ADMIN_DEV": dev})


def __getattr__(name: str):
    """``gunicorn run_api:app`` builds the app on first access, not on import: so that
    ``create-admin`` neither builds it nor logs its warnings (about API_TOKENS, say)."""
    if name == "app":
        globals()["app"] = create()
        return globals()["app"]
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """Run the development server (use gunicorn in production), or ``create-admin``."""
    argv = sys.argv[1:] if argv is None else argv
    loaded = settings.load()
    if argv[:1] == ["create-admin"]:
        import models
        from api.admin.cli import create_admin

        models.connect(loaded.mongo_uri)  # the accounts only: no app, none of its warnings
        return create_admin(argv[1:], embedded=loaded.embedded_store)
    parser = argparse.ArgumentParser(prog="python run_api.py", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--demo", action="store_true", help="load the demo catalog first")
    args = parser.parse_args(argv)
    app = create(loaded, dev=True)
    if args.demo:
        from models import demo

        demo.load(verbose=True)
    if loaded.embedded_store:
        from api.admin.cli import demo_account

        email, password = demo_account()
        print(f"web admin: http://{args.host}:{args.port}/admin/ as {email}, password "
              f"{password} (the embedded store: this account lives as long as this process; "
              "with MongoDB, make accounts with `python run_api.py create-admin EMAIL`)",
              file=sys.stderr)
    app.run(host=args.host, port=args.port, use_reloader=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
