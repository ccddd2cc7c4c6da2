"""A web playground of a bot's real flows: a Telegram-like chat in the browser on the
engine in-process (embedded store, stub sender: no token, no network), the conversation's
state beside it with the flow graph, reload on save, and the session saved as a replay
script. ``python -m engine playground flows/ --port 8000``; docs/playground.md.
"""

from engine.playground.cli import main
from engine.playground.html import to_html
from engine.playground.live import LiveEngine, Playground, graph_of
from engine.playground.session import Session
from engine.playground.web import create_app

__all__ = [
    "LiveEngine",
    "Playground",
    "Session",
    "create_app",
    "graph_of",
    "main",
    "to_html",
]
