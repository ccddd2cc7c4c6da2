"""``python -m engine playground [DIR] --port 8000``: the bot of DIR in a browser chat."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

from engine.errors import FlowError
from engine.loader import load_flows
from engine.playground import discover
from engine.playground.live import Playground
from engine.playground.web import allowed_hosts, create_app, is_loopback
from engine.run.application import Application

EMBEDDED = "mongomock://localhost/playground"


def _named(spec: str):
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine playground",
        description="Chat with the bot of a flows directory in the browser, on the embedded "
                    "store, with no token and no network; the flows reload when saved.")
    parser.add_argument("directory", nargs="?", default="flows")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--app", metavar="MODULE:ATTR", help="the bot's engine.run.Application "
                        "(default: the one among the modules beside the flows; else the flows "
                        "alone on an in-memory store)")
    parser.add_argument("--settings", metavar="MODULE:CALLABLE", help="reads the bot's settings "
                        "(default: the Application's load_settings)")
    parser.add_argument("--media-dir", help="where photos are served from (default: the "
                        "settings' media_dir); the current directory is looked in next")
    parser.add_argument("--target", metavar="MODULE:ATTR", help="the replay target saved "
                        "scripts name (default: the one beside the flows)")
    parser.add_argument("--setup", action="append", metavar="FIXTURE", help="a fixture saved "
                        "scripts start with (default: the target's demo_catalog or demo when "
                        "the bot has demo data)")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    parser.add_argument("--log-level", default="WARNING")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().level > logging.DEBUG:  # not a line per poll of the page
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # the embedded store, whatever the environment says: the playground never touches a
    # real database (nor Telegram: its sender is the in-memory stub)
    os.environ["MONGO_URI"] = EMBEDDED
    directory = Path(args.directory)
    try:
        load_flows(directory)  # checked, and the modules beside the flows imported
    except FlowError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s) found: fix them and start again", file=sys.stderr)
        return 1
    app, target = discover.find(directory)
    app = _named(args.app) if args.app else app or discover.bare_application(directory)
    target = args.target or target
    load_settings = _named(args.settings) if args.settings else \
        getattr(app, "load_settings", None)
    settings = load_settings() if load_settings else \
        discover.default_settings(args.media_dir or ".")
    media = [args.media_dir or getattr(settings, "media_dir", None) or ".", "."]
    setup = args.setup
    if setup is None:
        setup = discover.default_setup(app, target) if not args.no_demo else []
    playground = Playground(app, settings, demo=not args.no_demo)
    if app.is_embedded is not Application.is_embedded and not app.is_embedded():
        print("the playground runs on the embedded store only", file=sys.stderr)
        return 2
    web = create_app(playground, media=media, setup=setup, target=target,
                     hosts=allowed_hosts(args.host))
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} is not this machine only: the playground has no "
              "authentication, and anyone who reaches the port can chat with the bot, read "
              "its conversations and its flows", file=sys.stderr)
    print(f"playground of {directory} ({playground.engine.flowset.bot.name}): "
          f"http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    web.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    return 0
