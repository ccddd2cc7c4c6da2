"""Run modes for a bot built on the engine: long polling, the webhook app, the terminal
console and broadcast workers, all taking one :class:`Application` of hooks.

An entry point is a few lines (the shop's ``run_bot.py``)::

    from engine.run import Settings, create_app, main
    from mybot.bot import app                  # an Application

    main(app, argv=argv)                       # python run.py [--console | poll | ...]
    wsgi = create_app(app, Settings.from_env())  # gunicorn mybot.run:wsgi

:class:`Settings` reads the run modes' settings from the environment and ``.env``
(``Settings.from_env``); :mod:`engine.run.database` opens the bot's MongoDB.
"""

from engine.run import database
from engine.run.application import Application, Settings, Tracked
from engine.run.broadcasts import build_worker
from engine.run.cli import main
from engine.run.commands import register_commands
from engine.run.console import Console
from engine.run.poll import run_polling
from engine.run.webhook import create_app, delete_webhook, set_webhook, webhook_path

__all__ = [
    "Application",
    "Console",
    "Settings",
    "Tracked",
    "build_worker",
    "create_app",
    "database",
    "delete_webhook",
    "main",
    "register_commands",
    "run_polling",
    "set_webhook",
    "webhook_path",
]
