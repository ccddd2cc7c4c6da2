"""The Bot API endpoint: token check, method lookup, injected faults, the call log.

:meth:`BotApi.handle` turns one ``/bot<token>/<method>`` request into a :class:`Reply` (or a
dropped connection); the HTTP layer only writes it out. Method names are case-insensitive, as
in Telegram; a method the fake does not implement answers 404 like an unknown one, and is
logged as a warning so the gap is visible.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ApiError, too_many_requests
from .faults import Fault, FaultInjector
from .methods_bot import BOT_METHODS, Answer
from .methods_edit import EDIT_METHODS
from .methods_pay import PAY_METHODS
from .methods_send import SEND_METHODS
from .params import Params
from .state import BotState
from .world import World

__all__ = ["METHODS", "BotApi", "Reply", "json_reply"]

logger = logging.getLogger(__name__)

Handler = Callable[[World, BotState, Params], object]
METHODS: dict[str, Handler] = {**BOT_METHODS, **SEND_METHODS, **EDIT_METHODS, **PAY_METHODS}

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Reply:
    """What to answer: a status and body, or ``drop`` to close the connection without one."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    drop: bool = False


def json_reply(body: dict, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _error_reply(error: ApiError) -> Reply:
    return json_reply(error.to_json(), error.code)


class BotApi:
    """Serves Bot API calls against a :class:`World`, with faults from a :class:`FaultInjector`."""

    def __init__(self, world: World, faults: FaultInjector, delay: float = 0.0) -> None:
        self.world = world
        self.faults = faults
        # seconds every call but getUpdates takes before it is served (Telegram's network
        # latency, for load runs); slept outside the world's lock: calls overlap as over a
        # network
        self.delay = delay

    def handle(self, token: str, method: str, params: Params) -> Reply:
        """Serve one request: check the token, maybe inject a fault, run the method, log it."""
        name = method.lower()
        world = self.world
        with world.cond:
            try:
                bot = world.bot(token)
            except ApiError as error:
                return _error_reply(error)
            counted = name != "getupdates"  # a waiting long poll is not work in progress
            if counted:
                bot.in_flight += 1
            bot.last_activity = time.monotonic()
        entry: dict = {"time": time.time(), "method": method, "params": params.redacted()}
        try:
            if counted and self.delay > 0:
                time.sleep(self.delay)
            handler = METHODS.get(name)
            if handler is None:
                logger.warning("Bot API method %s is not implemented by the fake Telegram", method)
                reply = _error_reply(ApiError(404, "Not Found: method not found"))
            else:
                fault = self.faults.pick(name)
                reply = self._fault(fault, entry) if fault is not None else None
                if reply is None:
                    reply = self._run(bot, handler, params)
        finally:
            with world.cond:
                if counted:
                    bot.in_flight -= 1
                bot.last_activity = time.monotonic()
                world.cond.notify_all()
        with world.cond:
            self._log(bot, entry, reply)
        return reply

    def execute(self, bot: BotState, method: str, params: Params) -> Reply:
        """Run a method without faults (a webhook's reply carrying a method call)."""
        handler = METHODS.get(method.lower())
        if handler is None:
            return _error_reply(ApiError(404, "Not Found: method not found"))
        entry: dict = {
            "time": time.time(),
            "method": method,
            "params": params.redacted(),
            "via": "webhook",
        }
        reply = self._run(bot, handler, params)
        with self.world.cond:
            self._log(bot, entry, reply)
        return reply

    def _run(self, bot: BotState, handler: Handler, params: Params) -> Reply:
        world = self.world
        with world.cond:
            try:
                result = handler(world, bot, params)
            except ApiError as error:
                return _error_reply(error)
            except Exception:  # noqa: BLE001 - a bug in the fake must reach the client as a 500
                logger.exception("fake Telegram failed on %s", handler.__name__)
                return _error_reply(
                    ApiError(500, "Internal Server Error: the fake Telegram failed")
                )
            finally:
                world.cond.notify_all()
        if isinstance(result, Answer):
            return json_reply(
                {"ok": True, "result": result.result, "description": result.description}
            )
        return json_reply({"ok": True, "result": result})

    def _fault(self, fault: Fault, entry: dict) -> Reply | None:
        """The reply for an injected fault, or None to go on serving (after a ``slow`` hold)."""
        entry["fault"] = fault.kind
        logger.info("injecting fault %s into %s", fault.kind, entry["method"])
        if fault.kind == "429":
            return _error_reply(too_many_requests(fault.retry_after))
        if fault.kind == "500":
            return _error_reply(ApiError(500, "Internal Server Error"))
        if fault.kind == "502":
            return Reply(502, _BAD_GATEWAY, "text/html")
        if fault.kind == "error":
            return _error_reply(ApiError(fault.code, fault.description))
        if fault.kind in ("timeout", "slow"):
            stopping = self.world.sleep(fault.delay)
            if fault.kind == "slow" and not stopping:
                return None
        return Reply(drop=True)

    def _log(self, bot: BotState, entry: dict, reply: Reply) -> None:
        if reply.drop:
            entry.update(ok=False, dropped=True)
        else:
            try:
                body = json.loads(reply.body.decode("utf-8"))
            except ValueError:
                body = {"ok": False, "error_code": reply.status, "description": "(not JSON)"}
            entry["ok"] = bool(body.get("ok"))
            if not entry["ok"]:
                entry.update(error_code=body.get("error_code"), description=body.get("description"))
        self.world.call_log(bot, entry)
