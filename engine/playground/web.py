"""The playground's web app: one static page and the JSON endpoints it polls and posts to."""

from __future__ import annotations

import os
import secrets
from collections import OrderedDict
from pathlib import Path

from flask import Flask, abort, jsonify, request, send_file, send_from_directory, session

from engine.media import MediaDir
from engine.playground.session import DEFAULT_PHONE, Session, find_picture

STATIC = Path(__file__).resolve().parent / "static"
MAX_SESSIONS = 100  # the oldest conversation goes when a 101st browser comes
MAX_REQUEST = 64 * 1024  # bytes of a request's body: a message is 4096 characters at most
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(bound: str) -> list[str] | None:
    """The Host names a playground bound to ``bound`` answers: the address itself, and the
    loopback names for a loopback address (a page of another site whose name resolves to
    127.0.0.1, DNS rebinding, is refused); None (any) for a wildcard address."""
    if bound in ("0.0.0.0", "::", ""):
        return None
    return sorted({bound, *LOOPBACK_NAMES}) if is_loopback(bound) else [bound]


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(playground, *, media: list[str | os.PathLike] = (), setup: list | None = None,
               target: str | None = None, hosts: list[str] | None = None) -> Flask:
    """The Flask app serving ``playground`` (a :class:`~engine.playground.live.Playground`).

    ``media`` are the directories photos are served from, first match wins; ``setup`` the
    fixtures a saved script names (the data the playground started with), ``target`` the
    replay target (``module:attribute``) its head tells to use; ``hosts`` the names the
    ``Host`` header may carry (:func:`allowed_hosts`; None: any). A request body is at most
    :data:`MAX_REQUEST` bytes (413).
    """
    app = Flask(__name__, static_folder=None)
    app.secret_key = secrets.token_bytes(32)  # cookies of this process only
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST
    media_dirs = [MediaDir(path) for path in media]
    sessions: OrderedDict[str, Session] = OrderedDict()

    def current(create: bool = True, language: str | None = None) -> Session:
        """This browser's conversation (a new one when it has none, or ``language`` asks)."""
        sid = session.get("sid")
        if sid in sessions and language is None:
            return sessions[sid]
        sid = secrets.token_urlsafe(12)
        with playground.lock:
            sessions[sid] = Session(playground, language, setup=setup, target=target)
            while len(sessions) > MAX_SESSIONS:
                sessions.popitem(last=False)
        session["sid"] = sid
        return sessions[sid]

    def state(chat: Session) -> dict:
        flowset = playground.engine.flowset
        return {**chat.snapshot(media_dirs), "bot": flowset.bot.name,
                "languages": list(flowset.bot.languages), "problems": playground.problems,
                "reloads": playground.reloads, "answer": chat.answer}

    def body() -> dict:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            abort(400, "expected a JSON object")
        return payload

    def number(payload: dict, key: str) -> int:
        value = payload.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            abort(400, f"{key!r}: expected an integer")
        return value

    @app.before_request
    def _host():
        if hosts is None:
            return None
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else \
            request.host
        if host.strip("[]").lower() not in hosts:
            abort(403, f"Host {request.host!r} is not this playground's (DNS rebinding?): "
                       f"open it as http://{hosts[0]}:PORT/")
        return None

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def _error(err):
        return jsonify(error=err.description), err.code

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str):
        return send_from_directory(STATIC, name)

    @app.get("/api/chat")
    def chat():
        playground.check_reload()
        with playground.lock:
            return jsonify(state(current()))

    @app.get("/api/graph")
    def graph():
        return jsonify(reloads=playground.reloads, **playground.graph)

    def act(run) -> object:
        playground.check_reload(every=0)
        with playground.lock:
            chat = current()
            answer_before = chat.revision
            try:
                run(chat)
            except LookupError as err:
                abort(404, str(err))
            if chat.revision == answer_before:  # nothing ran: no toast either
                chat.answer = None
            return jsonify(state(chat))

    @app.post("/api/send")
    def send():
        text = body().get("text")
        if not isinstance(text, str) or not text.strip():
            abort(400, "'text': expected the text to send")
        return act(lambda chat: chat.send(text[:4096]))

    @app.post("/api/press")
    def press():
        payload = body()
        message_id, index = number(payload, "message_id"), number(payload, "index")
        return act(lambda chat: chat.press(message_id, index))

    @app.post("/api/keyboard")
    def keyboard():
        payload = body()
        index = number(payload, "index")
        phone = str(payload.get("phone") or DEFAULT_PHONE)[:32]
        return act(lambda chat: chat.keyboard(index, phone))

    @app.post("/api/contact")
    def contact():
        phone = str(body().get("phone") or DEFAULT_PHONE)[:32]
        return act(lambda chat: chat.share_contact(phone))

    @app.post("/api/restart")
    def restart():
        playground.check_reload(every=0)
        language = body().get("language")
        languages = playground.engine.flowset.bot.languages
        if language is not None and language not in languages:
            abort(400, f"'language': expected one of {', '.join(languages)}")
        with playground.lock:
            chat = current(language=language or current().language)
            return jsonify(state(chat))

    @app.get("/api/script")
    def script():
        with playground.lock:
            text = current().script()
        name = f"{playground.engine.flowset.bot.name or 'bot'}_playground.yaml"
        return app.response_class(text, mimetype="application/x-yaml", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/media/<path:ref>")
    def media_file(ref: str):
        kind, value = find_picture(ref, media_dirs)
        if kind != "file":
            abort(404, f"no picture {ref!r} in the media directories")
        return send_file(value, max_age=60)

    return app
