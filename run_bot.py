"""The shop bot.

    python run_bot.py                 long polling (needs BOT_TOKEN)
    python run_bot.py --demo          load the demo catalog first
    python run_bot.py --console       the shop in this terminal: no token, no network
"""

from __future__ import annotations

import argparse
import logging
import sys

import settings as settings_module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_bot.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--console", action="store_true", help="chat in the terminal")
    parser.add_argument("--demo", action="store_true", help="load the demo catalog first")
    parser.add_argument("--lang", default="ru", help="the console user's language (ru, en)")
    parser.add_argument("--record", metavar="FILE", help="with --console: save the chat as a "
                        "replayable script")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_module.load()
    if args.console:
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
    if not settings.bot_token:
        print("BOT_TOKEN is not set (try --console for a chat without Telegram)", file=sys.stderr)
        return 2
    from flows.app import run_polling

    run_polling(settings, demo=args.demo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
