"""API entry point: ``python run_api.py`` (development server), ``gunicorn run_api:app``;
``python run_api.py create-admin EMAIL`` makes an account of the web admin (``/admin``).

``API_DEMO=1`` (or ``--demo``) loads the demo catalog at start-up: with the embedded
store (the default ``MONGO_URI``) that is the only way to have data to serve, and each
process then holds its own copy.
"""

from __future__ import annotations

import argparse
import os
import sys

import models
import settings
from api import create_app
from models import demo

_settings = settings.load()
models.connect(_settings.mongo_uri)
if os.environ.get("API_DEMO", "").lower() in ("1", "true", "yes"):
    demo.load()
# run as `python run_api.py` (development): the admin may sign its sessions with a key of
# its own when ADMIN_SECRET_KEY is not set; under gunicorn it may not (docs/admin.md)
app = create_app({"API_TOKENS": _settings.api_tokens, "MONGO_URI": _settings.mongo_uri,
                  "ADMIN_DEV": __name__ == "__main__"})


def main(argv: list[str] | None = None) -> int:
    """Run the development server (use gunicorn in production), or ``create-admin``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["create-admin"]:
        from api.admin.cli import create_admin

        return create_admin(argv[1:], embedded=_settings.embedded_store)
    parser = argparse.ArgumentParser(prog="python run_api.py", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--demo", action="store_true", help="load the demo catalog first")
    args = parser.parse_args(argv)
    if args.demo:
        demo.load(verbose=True)
    if _settings.embedded_store:
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
