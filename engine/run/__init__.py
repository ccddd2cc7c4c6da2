"""Run modes for a bot built on the engine: long polling, the webhook app, the terminal
console and broadcast workers, all taking one :class:`Application` of hooks.

An entry point is a few lines (the shop's ``run_bot.py``)::

    from engine.run import create_app, main
    from mybot import app                     # an Application

    main(app, settings.load, argv)             # python run_bot.py [--console | worker | ...]
    wsgi = create_app(app, settings.load())    # gunicorn run_bot:wsgi
"""

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
    "delete_webhook",
    "main",
    "register_commands",
    "run_polling",
    "set_webhook",
    "webhook_path",
]
