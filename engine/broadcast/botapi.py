"""A small Bot API client for bulk sends: one request per message, every answer classified.

It talks HTTP itself (``{base}/bot{token}/{method}``, as ``TELEGRAM_API_URL`` says) rather
than through telebot, because a broadcast must tell apart what telebot folds together: a
429's ``retry_after``, a 403, a final 4xx, and a 5xx or timeout worth retrying.
"""

from __future__ import annotations

import json
import logging
import os
import threading

import requests

from engine.broadcast.types import (
    BLOCKED,
    FAILED,
    FATAL,
    RETRY_AFTER,
    SENT,
    TRANSIENT,
    Message,
    Result,
)
from engine.media import MediaDir, Picture, PictureRefused

logger = logging.getLogger(__name__)

__all__ = ["BotApi"]

NO_PREVIEW = json.dumps({"is_disabled": True})


class BotApi:
    """Sends messages with one ``requests`` session per thread.

    ``timeout`` is (connect, read) seconds. A picture is checked by
    :class:`~engine.media.MediaDir` first: a file is uploaded only from ``media_dir``, once
    per process (the first send holds the others back; Telegram's ``file_id`` is used from
    then on); a refused reference is logged once and the message goes without it.
    """

    def __init__(self, base_url: str, token: str, *, timeout: tuple[float, float] = (5.0, 20.0),
                 media_dir: str | os.PathLike | None = None) -> None:
        self.url = f"{base_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout
        self.media = MediaDir(media_dir)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._upload_lock = threading.Lock()
        self._file_ids: dict[str, str] = {}
        self._refused: set[str] = set()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every thread's session."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def send(self, chat_id: int, message: Message) -> Result:
        """Send ``message`` to ``chat_id``; never raises for what Telegram or the network says."""
        if message.edit is not None:
            return self._edit(chat_id, message)
        if message.invoice is not None:
            from engine.payments import invoice_json

            return self._post("sendInvoice", {"chat_id": chat_id,
                                              **invoice_json(message.invoice)})
        picture = self._picture(message.photo) if message.photo else None
        if picture is None:
            data = {"chat_id": chat_id, "text": message.text, "link_preview_options": NO_PREVIEW}
            return self._post("sendMessage", self._with_mode(data, message))
        data = self._with_mode({"chat_id": chat_id, "caption": message.text}, message)
        path = picture.value if picture.kind == "file" else None
        if path is None:
            return self._post("sendPhoto", {**data, "photo": message.photo})
        if path in self._file_ids:
            return self._post("sendPhoto", {**data, "photo": self._file_ids[path]})
        with self._upload_lock:  # one upload per picture; the others then send its file_id
            if path in self._file_ids:
                return self._post("sendPhoto", {**data, "photo": self._file_ids[path]})
            with open(path, "rb") as handle:
                files = {"photo": (os.path.basename(path), handle)}
                result, payload = self._request("sendPhoto", data, files)
            if result.kind == SENT:
                sizes = (payload.get("result") or {}).get("photo") or [{}]
                if sizes[-1].get("file_id"):
                    self._file_ids[path] = sizes[-1]["file_id"]
            return result

    def _picture(self, ref: str) -> Picture | None:
        """The checked picture, or ``None`` (logged once) when it may not be sent: the
        message then goes without it."""
        try:
            return self.media.resolve(ref)
        except PictureRefused as err:
            with self._lock:
                first = ref not in self._refused
                self._refused.add(ref)
            if first:
                logger.warning("broadcast sent without its picture: %s", err.description)
            return None

    def _edit(self, chat_id: int, message: Message) -> Result:
        """Replace a text message's text and buttons; "not modified" is as good as sent."""
        data = self._with_mode({"chat_id": chat_id, "message_id": message.edit,
                                "text": message.text, "link_preview_options": NO_PREVIEW},
                               message)
        result = self._post("editMessageText", data)
        if result.kind == FAILED and "message is not modified" in result.description:
            return Result(SENT, message_id=message.edit)
        if result.kind == SENT:
            return Result(SENT, message_id=message.edit)
        return result

    @staticmethod
    def _with_mode(data: dict, message: Message) -> dict:
        if message.buttons:
            data["reply_markup"] = json.dumps({"inline_keyboard": [
                [{"text": label, "callback_data": value} for label, value in row]
                for row in message.buttons]})
        if message.thread_id is not None and message.edit is None:
            data["message_thread_id"] = message.thread_id
        return {**data, "parse_mode": message.parse_mode} if message.parse_mode else data

    def _post(self, method: str, data: dict) -> Result:
        return self._request(method, data, None)[0]

    def _request(self, method: str, data: dict, files: dict | None) -> tuple[Result, dict]:
        try:
            response = self._session().post(self.url + method, data=data, files=files,
                                             timeout=self.timeout)
        except requests.Timeout as err:
            return Result(TRANSIENT, description=f"timeout: {err.__class__.__name__}"), {}
        except requests.RequestException as err:
            return Result(TRANSIENT, description=f"network: {err.__class__.__name__}"), {}
        try:
            payload = response.json()
        except ValueError:  # an HTML error page from a proxy (502 Bad Gateway)
            payload = None
        if not isinstance(payload, dict):
            return classify(response.status_code, f"HTTP {response.status_code} "
                                                  f"{response.reason}", None), {}
        if payload.get("ok"):
            result = payload.get("result") or {}
            return Result(SENT, message_id=result.get("message_id")), payload
        code = payload.get("error_code") or response.status_code
        retry_after = (payload.get("parameters") or {}).get("retry_after")
        return classify(code, payload.get("description") or f"HTTP {code}", retry_after), payload


def classify(code: int, description: str, retry_after: float | None) -> Result:
    """What a Bot API error means for a broadcast (see :class:`~engine.broadcast.Result`)."""
    if code == 429:
        return Result(RETRY_AFTER, code=code, description=description,
                      retry_after=float(retry_after if retry_after is not None else 1))
    if code == 403:
        return Result(BLOCKED, code=code, description=description)
    if code in (401, 404):
        return Result(FATAL, code=code, description=description)
    if code >= 500 or code < 400:
        return Result(TRANSIENT, code=code, description=description)
    return Result(FAILED, code=code, description=description)
