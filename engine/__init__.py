"""A declarative conversation framework for Telegram bots: YAML flows, one state machine,
per-user state in MongoDB, run on pyTelegramBotAPI.

``from engine import load_flows, Engine, action, condition, validator, data_source``.
"""

from engine.context import Context
from engine.errors import EngineError, FlowError, Invalid, Problem, UserError
from engine.events import Event
from engine.loader import Flows, load_flows
from engine.registry import Registry, action, condition, data_source, registry, validator
from engine.runtime import Engine
from engine.sender import Blocked, Sender, SendError, StubSender
from engine.store import Conversation, ConversationStore, MemoryStore, MongoStore
from engine.templates import Html
from engine.testing import ChatClient

__all__ = [
    "Blocked",
    "ChatClient",
    "Context",
    "Conversation",
    "ConversationStore",
    "Engine",
    "EngineError",
    "Event",
    "FlowError",
    "Flows",
    "Html",
    "Invalid",
    "MemoryStore",
    "MongoStore",
    "Problem",
    "Registry",
    "SendError",
    "Sender",
    "StubSender",
    "UserError",
    "action",
    "condition",
    "data_source",
    "load_flows",
    "registry",
    "validator",
]
