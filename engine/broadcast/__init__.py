"""Broadcasts: one message to many chats, under Telegram's limits, resumable after a crash.

Generic: the application provides a durable :class:`Queue` of :class:`Batch` es (its
``engine.run.Application.broadcast_queue``); the :class:`Worker` sends through a
:class:`Transport` (:class:`BotApi` over HTTP, :class:`RecordingTransport` in tests).
"""

from engine.broadcast.botapi import BotApi, classify
from engine.broadcast.ratelimit import RateLimiter
from engine.broadcast.testing import RecordingTransport, SenderTransport
from engine.broadcast.types import (
    BLOCKED,
    FAILED,
    FATAL,
    RETRY_AFTER,
    SENT,
    TRANSIENT,
    Batch,
    Fatal,
    Message,
    Queue,
    Result,
    Transport,
)
from engine.broadcast.worker import Worker

__all__ = [
    "BLOCKED",
    "FAILED",
    "FATAL",
    "RETRY_AFTER",
    "SENT",
    "TRANSIENT",
    "Batch",
    "BotApi",
    "Fatal",
    "Message",
    "Queue",
    "RateLimiter",
    "RecordingTransport",
    "Result",
    "SenderTransport",
    "Transport",
    "Worker",
    "classify",
]
