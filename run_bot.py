"""The shop bot.

    python run_bot.py                      long polling (needs BOT_TOKEN)
    python run_bot.py --demo               load the demo catalog first
    python run_bot.py --console            the shop in this terminal: no token, no network
    python run_bot.py set-webhook URL      register https://URL/<secret path> with Telegram
    python run_bot.py delete-webhook       back to polling
    python run_bot.py broadcast --text T   send T to every user (or --news ID), with progress
    python run_bot.py worker               send queued broadcasts until stopped (SIGTERM)
    gunicorn run_bot:app                   webhook mode (needs BOT_TOKEN, WEBHOOK_SECRET)
"""

from __future__ import annotations

import argparse
import logging
import sys

import settings as settings_module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_bot.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="poll",
                        choices=["poll", "set-webhook", "delete-webhook", "broadcast", "worker"])
    parser.add_argument("url", nargs="?", help="with set-webhook: the public base URL")
    parser.add_argument("--console", action="store_true", help="chat in the terminal")
    parser.add_argument("--demo", action="store_true", help="load the demo catalog first")
    parser.add_argument("--lang", default="ru", help="the console user's language (ru, en)")
    parser.add_argument("--record", metavar="FILE", help="with --console: save the chat as a "
                        "replayable script")
    parser.add_argument("--max-connections", type=int, default=1,
                        help="with set-webhook: Telegram's parallel deliveries (1 keeps each "
                        "user's updates in order across workers)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--no-worker", action="store_true", help="poll without the broadcast "
                        "worker (when `run_bot.py worker` processes send broadcasts)")
    add_broadcast_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_module.load()
    if args.console:
        return console(settings, args)
    if args.command in ("broadcast", "worker"):
        from flows import broadcast_cli

        return getattr(broadcast_cli, args.command)(settings, args)
    if not settings.bot_token:
        print("BOT_TOKEN is not set (try --console for a chat without Telegram)", file=sys.stderr)
        return 2
    if args.command == "set-webhook":
        from flows.webhook import set_webhook

        if not args.url or not settings.webhook_secret:
            print("usage: WEBHOOK_SECRET=... run_bot.py set-webhook https://your.host",
                  file=sys.stderr)
            return 2
        print(f"webhook set: {set_webhook(settings, args.url, args.max_connections)}")
        return 0
    if args.command == "delete-webhook":
        from flows.webhook import delete_webhook

        delete_webhook(settings)
        print("webhook deleted: use polling")
        return 0
    from flows.app import run_polling

    run_polling(settings, demo=args.demo, broadcasts=not args.no_worker)
    return 0


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


def console(settings, args) -> int:
    from flows.console import Console

    logging.getLogger().setLevel(logging.WARNING)
    recorder = None
    if args.record:
        from engine.replay.record import Recorder

        recorder = Recorder(args.record, language=args.lang)
    code = Console(settings, language_code=args.lang, recorder=recorder).run()
    if recorder:
        recorder.close()
    return code


def __getattr__(name: str):
    """``gunicorn run_bot:app`` builds the webhook app on first access (not on import)."""
    if name == "app":
        from flows.webhook import create_app

        globals()["app"] = create_app(settings_module.load())
        return globals()["app"]
    raise AttributeError(name)


if __name__ == "__main__":
    raise SystemExit(main())
