"""Run the example bot for real: long polling against TELEGRAM_API_URL, conversations in
MONGO_URI (the end-to-end replays of its scripts start it)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import pymongo

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

import settings  # noqa: E402
from engine import Engine, MongoStore, load_flows  # noqa: E402
from engine.telegram import (  # noqa: E402
    ALLOWED_UPDATES,
    EngineBot,
    OrderedWorkers,
    TelebotSender,
    attach,
    use_api_url,
)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    config = settings.load()
    use_api_url(config.telegram_api_url)
    bot = EngineBot(config.bot_token, threaded=False)
    database = pymongo.MongoClient(config.mongo_uri).get_default_database("mini")
    engine = Engine(load_flows(Path(__file__).parent), MongoStore(database["conversations"]),
                    TelebotSender(bot, media_dir=str(Path(__file__).resolve().parents[4])))
    workers = OrderedWorkers(engine.handle, n=2)
    attach(bot, workers.submit)
    signal.signal(signal.SIGTERM, lambda *_: bot.stop_polling())
    bot.infinity_polling(timeout=5, long_polling_timeout=5, allowed_updates=ALLOWED_UPDATES)
    workers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
