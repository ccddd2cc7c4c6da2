"""The control API over HTTP, under ``/control/``: the Python API for other processes.

Bodies and answers are JSON. An answer is ``{"ok": true, "result": ...}``, or
``{"ok": false, "error": "..."}`` with 400 (impossible action), 404 (no such endpoint) or 408
(a wait timed out). The bot is the first one unless ``bot`` (its token) is given in the query
string or the body. The endpoints are listed in faketelegram/README.md.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .api import Reply, json_reply
from .errors import ControlError
from .faults import FaultConfig, RateLimits

if TYPE_CHECKING:
    from .fake import FakeTelegram

__all__ = ["handle"]

Endpoint = Callable[["FakeTelegram", dict, "str | None", dict], object]
_ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = []


def _route(method: str, pattern: str) -> Callable[[Endpoint], Endpoint]:
    def register(function: Endpoint) -> Endpoint:
        _ROUTES.append((method, re.compile(f"^/control/{pattern}$"), function))
        return function

    return register


def handle(fake: FakeTelegram, method: str, path: str, query: str, body: bytes) -> Reply:
    """Serve one control request."""
    try:
        args: dict = dict(parse_qsl(query, keep_blank_values=True))
        if body.strip():
            decoded = json.loads(body.decode("utf-8"))
            if not isinstance(decoded, dict):
                raise ControlError("the body must be a JSON object")
            args.update(decoded)
    except (UnicodeDecodeError, ValueError) as exc:
        return _json({"ok": False, "error": f"bad JSON body: {exc}"}, 400)
    token = args.pop("bot", None)
    for verb, pattern, endpoint in _ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            try:
                result = endpoint(fake, args, token, match.groupdict())
            except TimeoutError as exc:
                return _json({"ok": False, "error": str(exc)}, 408)
            except KeyError as exc:
                return _json({"ok": False, "error": f"missing field {exc}"}, 400)
            except (ControlError, TypeError, ValueError) as exc:
                # TypeError/ValueError: arguments of the wrong name or type, from the caller
                return _json({"ok": False, "error": str(exc)}, 400)
            if isinstance(result, Reply):  # not JSON (a rendered transcript)
                return result
            return _json({"ok": True, "result": result})
    return _json({"ok": False, "error": f"no control endpoint {method} {path}"}, 404)


def _json(body: dict, status: int = 200) -> Reply:
    """A JSON answer ending in a newline, so that answers printed by curl stay apart."""
    reply = json_reply(body, status)
    return dataclasses.replace(reply, body=reply.body + b"\n")


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _user(fake: FakeTelegram, token: str | None, path: dict):  # type: ignore[no-untyped-def]
    return fake.user(int(path["user"]), token=token)


@_route("GET", "health")
def _health(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return {"url": fake.url, "bots": len(fake.world.bots)}


@_route("GET", "bots")
def _bots(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    with fake.world.cond:
        return [{"token": t, **b.user.to_json()} for t, b in fake.world.bots.items()]


@_route("POST", "bots")
def _add_bot(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.add_bot(str(args["token"]), args.get("username"), args.get("first_name"))


@_route("POST", "reset")
def _reset(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    fake.reset()
    return True


@_route("POST", r"users/(?P<user>-?\d+)")
def _profile(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    user = fake.world.user(int(path["user"]), **args)
    return {**user.to_json(), "phone_number": user.phone_number}


@_route("POST", r"users/(?P<user>-?\d+)/send")
def _send(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).send(str(args.get("text", "")))


@_route("POST", r"users/(?P<user>-?\d+)/click")
def _click(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    position = args.get("position")
    return _user(fake, token, path).click(
        args.get("label"),
        data=args.get("data"),
        message_id=args.get("message_id"),
        position=tuple(position) if isinstance(position, list) else position,
    )


@_route("POST", r"users/(?P<user>-?\d+)/press")
def _press(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).press(str(args["label"]))


@_route("POST", r"users/(?P<user>-?\d+)/contact")
def _contact(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    extra = {key: args[key] for key in ("first_name", "last_name") if key in args}
    if "user_id" in args:
        extra["contact_user_id"] = int(args["user_id"])
    return _user(fake, token, path).share_contact(args.get("phone_number"), **extra)


@_route("POST", r"users/(?P<user>-?\d+)/sticker")
def _sticker(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).send_sticker(str(args.get("emoji", "👍")))


@_route("POST", r"users/(?P<user>-?\d+)/photo")
def _photo(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).send_photo(args.get("caption"))


@_route("POST", r"users/(?P<user>-?\d+)/message")
def _message(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).send_message(**args)


@_route("POST", r"users/(?P<user>-?\d+)/block")
def _block(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    user = _user(fake, token, path)
    return user.block() if _flag(args.get("blocked", True)) else user.unblock()


@_route("POST", r"users/(?P<user>-?\d+)/unblock")
def _unblock(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return _user(fake, token, path).unblock()


@_route("POST", r"users/(?P<user>-?\d+)/pay")
def _pay(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    message_id = args.get("message_id")
    return _user(fake, token, path).pay(
        None if message_id is None else int(message_id),
        timeout=float(args.get("timeout", 10.0)),
        twice=_flag(args.get("twice", False)),
        skip_pre_checkout=_flag(args.get("skip_pre_checkout", False)),
        order_info=args.get("order_info"),
    )


def _member_profile(entry: object) -> tuple[int, dict]:
    """A member given as a user id or as ``{"id": ..., profile fields}``."""
    if isinstance(entry, dict):
        fields = dict(entry)
        return int(fields.pop("id")), fields
    return int(entry), {}  # type: ignore[call-overload]


@_route("POST", r"groups/(?P<chat>-\d+)")
def _group(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    members = args.get("members", [])
    if not isinstance(members, list):
        raise ControlError("members is a list of user ids or of {\"id\", profile fields}")
    chat_id = int(path["chat"])
    fake.group(chat_id, title=str(args.get("title", "Group")), forum=_flag(args.get("forum")),
               chat_type=str(args.get("type", "supergroup")), token=token)
    for entry in members:
        user_id, profile = _member_profile(entry)
        fake.member(user_id, chat_id, token=token, **profile)
    return fake.group_info(chat_id, token=token)


@_route("GET", r"groups/(?P<chat>-\d+)")
def _group_info(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.group_info(int(path["chat"]), token=token)


@_route("POST", r"groups/(?P<chat>-\d+)/members/(?P<user>\d+)")
def _join(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    fake.member(int(path["user"]), int(path["chat"]), token=token, **args)
    return fake.world.user(int(path["user"])).to_json()


def _member(fake: FakeTelegram, args: dict, token: str | None, path: dict):  # type: ignore[no-untyped-def]
    """The member acting; only an existing member may (a typo in an id is refused)."""
    thread_id = args.get("thread_id")
    with fake.world.cond:
        group = fake.world.users.get(int(path["chat"]))
        if group is not None and int(path["user"]) not in group.members:
            raise ControlError(
                f"user {path['user']} is not a member of group {path['chat']}"
                f" (POST /control/groups/{path['chat']}/members/{path['user']} adds them)"
            )
    return fake.member(int(path["user"]), int(path["chat"]), token=token,
                       thread_id=None if thread_id is None else int(thread_id))


@_route("POST", r"groups/(?P<chat>-\d+)/members/(?P<user>\d+)/send")
def _member_send(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    reply_to = args.get("reply_to")
    return _member(fake, args, token, path).send(
        str(args.get("text", "")), reply_to=None if reply_to is None else int(reply_to)
    )


@_route("POST", r"groups/(?P<chat>-\d+)/members/(?P<user>\d+)/click")
def _member_click(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    position = args.get("position")
    return _member(fake, args, token, path).click(
        args.get("label"),
        data=args.get("data"),
        message_id=args.get("message_id"),
        position=tuple(position) if isinstance(position, list) else position,
    )


@_route("GET", "payments")
def _payments(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.payments(token=token)


@_route("GET", "invoices")
def _invoices(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    chat_id = args.get("chat_id")
    return fake.invoices(None if chat_id in (None, "") else int(chat_id), token=token)


@_route("POST", r"updates/(?P<update>\d+)/redeliver")
def _redeliver(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.redeliver(int(path["update"]), token=token)


@_route("POST", r"updates/(?P<update>\d+)/duplicate")
def _duplicate(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.duplicate(int(path["update"]), token=token)


@_route("GET", r"chats/(?P<chat>-?\d+)/transcript")
def _transcript(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.transcript(
        int(path["chat"]),
        since=int(args.get("since", 0)),
        actor=args.get("actor") or None,
        token=token,
    )


@_route("GET", r"chats/(?P<chat>-?\d+)/render")
def _render(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    text = fake.render(int(path["chat"]), since=int(args.get("since", 0)), token=token)
    return Reply(200, (text + "\n" if text else "").encode("utf-8"),
                 "text/plain; charset=utf-8")


@_route("GET", r"chats/(?P<chat>-?\d+)/messages")
def _messages(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.messages(
        int(path["chat"]), include_deleted=_flag(args.get("include_deleted", False)), token=token
    )


@_route("GET", r"chats/(?P<chat>-?\d+)/keyboard")
def _keyboard(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.keyboard(int(path["chat"]), token=token)


@_route("GET", "callbacks/unanswered")
def _unanswered(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.unanswered_callbacks(
        include_expired=_flag(args.get("include_expired", True)), token=token
    )


@_route("GET", "calls")
def _calls(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.calls(
        method=args.get("method") or None, errors_only=_flag(args.get("errors", False)), token=token
    )


@_route("GET", "updates/pending")
def _pending(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.pending_updates(token=token)


@_route("GET", "webhook")
def _webhook(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.webhook_info(token=token)


@_route("GET", "commands")
def _commands(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.commands(args.get("language_code", ""), token=token)


@_route("POST", "wait/actions")
def _wait_actions(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    since = args.get("since")
    return fake.wait_actions(
        int(args["chat_id"]),
        int(args.get("count", 1)),
        since=None if since is None else int(since),
        timeout=float(args.get("timeout", 5.0)),
        token=token,
    )


@_route("POST", "wait/idle")
def _wait_idle(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    fake.wait_idle(
        float(args.get("timeout", 5.0)), quiet=float(args.get("quiet", 0.3)), token=token
    )
    return True


@_route("POST", "wait/polling")
def _wait_polling(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    after = args.get("after")
    fake.wait_polling(float(args.get("timeout", 5.0)), token=token,
                      after=None if after is None else int(after))
    return True


@_route("GET", "polls")
def _polls(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return fake.polls(token=token)


@_route("POST", "faults")
def _fail_next(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    allowed = ("retry_after", "delay", "code", "description")
    fake.fail_next(
        args.get("method"),
        str(args.get("kind", "429")),
        int(args.get("count", 1)),
        **{key: args[key] for key in allowed if key in args},
    )
    return True


@_route("POST", "faults/random")
def _random_faults(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    methods = args.get("methods")
    if "kinds" in args:
        args["kinds"] = tuple(args["kinds"])
    fake.set_faults(FaultConfig(**{**args, "methods": frozenset(methods) if methods else None}))
    return True


@_route("POST", "faults/clear")
def _clear_faults(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    fake.faults.clear()
    return True


@_route("GET", "faults")
def _faults(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    return [{"method": method, "kind": kind} for method, kind in fake.injected_faults()]


@_route("POST", "rate_limits")
def _rate_limits(fake: FakeTelegram, args: dict, token: str | None, path: dict) -> object:
    enabled = _flag(args.pop("enabled", True))
    fake.set_rate_limits(RateLimits(**args) if enabled else None)
    return True
