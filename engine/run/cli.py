"""A bot's command line (``run_bot.py``): polling, console, webhook setup and broadcasts.

    main(app, load_settings, argv)          [poll] [--demo] | --console [--record FILE]
                                             | set-webhook URL | delete-webhook
                                             | broadcast --text T | worker
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from engine.run.application import Application, Settings

COMMANDS = ["poll", "set-webhook", "delete-webhook", "broadcast", "worker"]
BROADCAST_COMMANDS = ("broadcast", "worker")


def parser(prog: str = "run_bot.py", description: str | None = None, *,
           broadcasts: bool = True) -> argparse.ArgumentParser:
    """The command line's arguments (``description``: the entry point's docstring); the
    broadcast commands and options only when ``broadcasts`` (the application has a
    broadcast queue)."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = COMMANDS if broadcasts else [c for c in COMMANDS if c not in BROADCAST_COMMANDS]
    parser.add_argument("command", nargs="?", default="poll", choices=commands)
    parser.add_argument("url", nargs="?", help="with set-webhook: the public base URL")
    parser.add_argument("--console", action="store_true", help="chat in the terminal")
    parser.add_argument("--demo", action="store_true", help="load the demo data first")
    parser.add_argument("--lang", help="the console user's language (default: the bot's "
                        "default language)")
    parser.add_argument("--record", metavar="FILE", help="with --console: save the chat as a "
                        "replayable script")
    parser.add_argument("--max-connections", type=int, default=1,
                        help="with set-webhook: Telegram's parallel deliveries (1 keeps each "
                        "user's updates in order across workers)")
    parser.add_argument("--log-level", default="INFO")
    if broadcasts:
        parser.add_argument("--no-worker", action="store_true", help="poll without the "
                            "broadcast worker (when `run_bot.py worker` processes send "
                            "broadcasts)")
        add_broadcast_arguments(parser)
    else:
        parser.set_defaults(no_worker=False)
    return parser


def add_broadcast_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("broadcast and worker")
    group.add_argument("--text", help="broadcast: the message, plain text sent as typed")
    group.add_argument("--photo", help="broadcast: a picture (a file, copied into MEDIA_DIR; a "
                       "name in MEDIA_DIR, an http(s) URL or a file_id) with "
                       "--text as its caption")
    group.add_argument("--news", metavar="ID", help="broadcast: this news item (queued once)")
    group.add_argument("--no-wait", action="store_true",
                       help="broadcast: queue it and exit (running workers send it)")
    group.add_argument("--threads", type=int, default=8, help="sending threads (default 8)")
    group.add_argument("--timeout", type=float, default=20.0,
                       help="seconds a send may take (default 20)")
    group.add_argument("--lease", type=float, default=60.0,
                       help="seconds a claimed batch is held without renewal; a dead "
                       "worker's batches are taken over after it (default 60)")
    group.add_argument("--batch-size", type=int, default=100,
                       help="recipients per claimed batch (default 100)")


def main(app: Application, load_settings: Callable[[], Any] | None = None,
         argv: list[str] | None = None, *, prog: str = "run_bot.py",
         description: str | None = None) -> int:
    """Run ``app`` as the command line ``argv`` says; the exit status.

    ``load_settings()`` reads the application's settings (after logging is set up, so that
    a bad setting is reported like every other error); by default the application's own
    ``load_settings``, else :meth:`engine.run.Settings.from_env`.
    """
    args = parser(prog, description,
                  broadcasts=app.broadcast_queue is not None).parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = (load_settings or app.load_settings or Settings.from_env)()
    if args.console:
        return console(app, settings, args)
    if args.command in ("broadcast", "worker"):
        from engine.run import broadcasts

        return getattr(broadcasts, args.command)(app, settings, args)
    if not settings.bot_token:
        print("BOT_TOKEN is not set (try --console for a chat without Telegram)", file=sys.stderr)
        return 2
    if args.command == "set-webhook":
        from engine.run.webhook import set_webhook

        if not settings.webhook_secret:
            print("WEBHOOK_SECRET is not set: set-webhook needs it, as does the webhook "
                  "itself. Telegram sends it with every update and the webhook refuses "
                  "requests without it, so that nobody else can post updates to it. Set it "
                  "to a long random string (the same for set-webhook and every webhook "
                  f"process), then: WEBHOOK_SECRET=... {prog} set-webhook https://your.host",
                  file=sys.stderr)
            return 2
        if not args.url:
            print(f"set-webhook needs the bot's public base URL: {prog} set-webhook "
                  "https://your.host", file=sys.stderr)
            return 2
        print(f"webhook set: {set_webhook(app, settings, args.url, args.max_connections)}")
        return 0
    if args.command == "delete-webhook":
        from engine.run.webhook import delete_webhook

        delete_webhook(settings)
        print("webhook deleted: use polling")
        return 0
    from engine.run import poll

    poll.run_polling(app, settings, demo=args.demo, broadcasts=not args.no_worker)
    return 0


def console(app: Application, settings: Any, args) -> int:
    """``--console``: the bot in this terminal, on the demo data, with no network."""
    from engine.run.console import Console
    from engine.sender import StubSender

    logging.getLogger().setLevel(logging.WARNING)
    engine = app.start(settings, StubSender(), demo=True)
    language = args.lang or engine.flowset.bot.default_language
    recorder = None
    if args.record:
        from engine.playground.discover import find
        from engine.replay.record import Recorder

        recorder = Recorder(args.record, language=language, setup=app.record_setup,
                            flows=app.flows_dir, target=find(app.flows_dir)[1],
                            env=app.record_env(settings) if app.record_env else None)
    # the application's payments and outbox, so that an invoice shows and can be paid here
    payments = app.payments(settings) if app.payments is not None else None
    code = Console(engine, language_code=language, recorder=recorder, payments=payments,
                   outbox=app.outbox_queue).run()
    if recorder:
        recorder.close()
    return code
