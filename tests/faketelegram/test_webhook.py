"""Webhook delivery: the secret header, order, retries, getWebhookInfo, replies with a method,
max_connections deliveries at once with each chat's in order."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faketelegram import FakeTelegram

from .conftest import USER_ID, call


class Receiver(ThreadingHTTPServer):
    """A tiny webhook endpoint: records deliveries; answers with ``statuses`` then 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.received: list[tuple[dict, str | None]] = []
        self.statuses: list[int] = []
        self.reply: dict | None = None
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        if status == 200:
            self.server.received.append((body, self.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        answer = (
            json.dumps(self.server.reply).encode() if status == 200 and self.server.reply else b""
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.thread.join()


@pytest.fixture
def fast_tg():
    """A fake whose webhook retries come quickly."""
    with FakeTelegram(webhook_retry=(0.05, 0.2)) as fake:
        yield fake


def test_updates_are_posted_in_order_with_the_secret(fast_tg, receiver):
    tg = fast_tg
    answer = call(tg, "setWebhook", url=receiver.url, secret_token="s3cret_-Token")
    assert answer == {"ok": True, "result": True, "description": "Webhook was set"}
    assert (
        call(tg, "setWebhook", url=receiver.url, secret_token="s3cret_-Token")["description"]
        == "Webhook is already set"
    )
    ann = tg.user(USER_ID)
    for text in ("a", "b", "c"):
        ann.send(text)
    tg.wait_idle(quiet=0.05)
    assert [(u["message"]["text"], secret) for u, secret in receiver.received] == [
        ("a", "s3cret_-Token"),
        ("b", "s3cret_-Token"),
        ("c", "s3cret_-Token"),
    ]
    assert [u["update_id"] for u, _ in receiver.received] == [1, 2, 3]
    info = call(tg, "getWebhookInfo")["result"]
    assert (
        info["url"] == receiver.url
        and info["pending_update_count"] == 0
        and "last_error_date" not in info
    )


def test_failed_deliveries_are_retried_and_reported(fast_tg, receiver):
    tg = fast_tg
    receiver.statuses = [500, 503]
    call(tg, "setWebhook", url=receiver.url)
    tg.user(USER_ID).send("retry me")
    tg.wait_idle(quiet=0.05)
    assert [u["message"]["text"] for u, _ in receiver.received] == ["retry me"]
    info = tg.webhook_info()
    assert info["last_error_message"] == "Wrong response from the webhook: 503 Service Unavailable"
    assert info["pending_update_count"] == 0


def test_unreachable_webhook_keeps_updates_pending(fast_tg):
    tg = fast_tg
    call(tg, "setWebhook", url="http://127.0.0.1:9/nowhere")
    tg.user(USER_ID).send("lost?")
    assert tg.world.wait_until(lambda: tg.webhook_info().get("last_error_message") is not None, 3)
    assert tg.webhook_info()["pending_update_count"] == 1
    assert call(tg, "deleteWebhook")["description"] == "Webhook was deleted"
    assert [u["message"]["text"] for u in call(tg, "getUpdates")["result"]] == [
        "lost?"
    ]  # back to polling
    assert call(tg, "deleteWebhook")["description"] == "Webhook is already deleted"


def test_a_webhook_answer_can_call_a_method(fast_tg, receiver):
    tg = fast_tg
    receiver.reply = {"method": "sendMessage", "chat_id": USER_ID, "text": "answered inline"}
    call(tg, "setWebhook", url=receiver.url)
    ann = tg.user(USER_ID)
    ann.send("hi")
    assert ann.wait()[0]["text"] == "answered inline"


def test_set_webhook_rules(tg):
    assert (
        call(tg, "setWebhook", url="not a url")["description"]
        == "Bad Request: invalid webhook URL specified"
    )
    assert (
        call(tg, "setWebhook", url="https://x.org/h", secret_token="bad token!")["description"]
        == "Bad Request: secret token contains unallowed characters"
    )
    ann = tg.user(USER_ID)
    ann.send("old")
    call(tg, "setWebhook", url="http://127.0.0.1:9/h", drop_pending_updates=True)
    assert tg.pending_updates() == []


def test_set_webhook_ends_a_waiting_long_poll(tg):
    answers: list[dict] = []
    poll = threading.Thread(target=lambda: answers.append(call(tg, "getUpdates", timeout=5)))
    poll.start()
    tg.wait_polling()
    call(tg, "setWebhook", url="http://127.0.0.1:9/h")
    poll.join()
    assert answers[0]["description"] == "Conflict: terminated by setWebhook request"


class GatedReceiver(Receiver):
    """A webhook endpoint that holds every delivery until ``gate`` opens, counting how many
    it holds at once, overall and per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.RequestHandlerClass = _GatedHandler
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.holding: list[dict] = []
        self.most = 0
        self.most_per_chat = 0

    def wait_holding(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.holding) >= count:
                    return True
            time.sleep(0.01)
        return False


class _GatedHandler(_ReceiverHandler):
    server: GatedReceiver

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        chat = body["message"]["chat"]["id"]
        with server.lock:
            server.holding.append(body)
            server.most = max(server.most, len(server.holding))
            server.most_per_chat = max(server.most_per_chat, sum(
                1 for held in server.holding if held["message"]["chat"]["id"] == chat))
        server.gate.wait(10)
        status = server.statuses.pop(0) if server.statuses and chat == 1 else 200
        with server.lock:
            server.holding.remove(body)
            if status == 200:
                server.received.append((body, None))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def gated():
    server = GatedReceiver()
    server.thread.start()
    yield server
    server.gate.set()
    server.shutdown()
    server.server_close()
    server.thread.join()


def texts_by_chat(received) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for update, _ in received:
        out.setdefault(update["message"]["chat"]["id"], []).append(update["message"]["text"])
    return out


def test_up_to_max_connections_at_once_one_per_chat_in_order(fast_tg, gated):
    tg = fast_tg
    call(tg, "setWebhook", url=gated.url, max_connections=3)
    for user in range(1, 6):  # five chats, two messages each
        tg.user(user).send(f"{user}a")
    for user in range(1, 6):
        tg.user(user).send(f"{user}b")
    assert gated.wait_holding(3)
    time.sleep(0.2)  # time for a fourth connection, if the fake opened one
    assert gated.most == 3 and gated.most_per_chat == 1
    gated.gate.set()
    tg.wait_idle(quiet=0.05)
    assert texts_by_chat(gated.received) == {u: [f"{u}a", f"{u}b"] for u in range(1, 6)}
    assert gated.most == 3 and gated.most_per_chat == 1


def test_one_connection_is_strictly_serial(fast_tg, gated):
    tg = fast_tg
    call(tg, "setWebhook", url=gated.url, max_connections=1)
    assert tg.webhook_info()["max_connections"] == 1
    for user in (1, 2, 3):
        tg.user(user).send(str(user))
    assert gated.wait_holding(1)
    time.sleep(0.2)
    assert gated.most == 1
    gated.gate.set()
    tg.wait_idle(quiet=0.05)
    assert [u["message"]["text"] for u, _ in gated.received] == ["1", "2", "3"]


def test_a_failing_chat_holds_only_its_own_queue(fast_tg, gated):
    tg = fast_tg
    gated.gate.set()
    gated.statuses = [500, 500, 500]  # chat 1's first update fails three times
    call(tg, "setWebhook", url=gated.url)  # max_connections: 40
    tg.user(1).send("1a")
    tg.user(1).send("1b")
    for user in (2, 3):
        tg.user(user).send(f"{user}a")
    assert tg.world.wait_until(lambda: len(gated.received) >= 2, 3)
    assert texts_by_chat(gated.received) == {2: ["2a"], 3: ["3a"]}  # 1a still retrying
    tg.wait_idle(timeout=10, quiet=0.05)
    assert texts_by_chat(gated.received)[1] == ["1a", "1b"]
    assert tg.webhook_info()["last_error_message"].startswith("Wrong response")


def test_the_queue_of_each_kind_of_update():
    """The Bot API server's queues (telegram-bot-api's Client.cpp, webhook_queue_id)."""
    from faketelegram.webhook import queue_of

    user, chat = {"id": 7}, {"id": 7}
    assert queue_of({"update_id": 1, "message": {"chat": chat, "from": user}}) == ("chat", 7)
    assert queue_of({"update_id": 1, "edited_message": {"chat": {"id": -5}}}) == ("chat", -5)
    # a user's presses are a queue of their own, beside their private chat's messages
    assert queue_of({"update_id": 1, "callback_query": {
        "from": user, "message": {"chat": chat}}}) == ("callback_query", 7)
    # a user's shipping and pre-checkout queries share one
    assert queue_of({"update_id": 1, "pre_checkout_query": {"from": user}}) == \
        queue_of({"update_id": 2, "shipping_query": {"from": user}}) == ("payment_query", 7)
    # the bot blocked or added: beside the chat's messages, not behind them (as before)
    assert queue_of({"update_id": 1, "my_chat_member": {"chat": chat, "from": user}}) == (
        "my_chat_member", 7)
    assert queue_of({"update_id": 1, "message_reaction": {"chat": chat, "user": user}}) == (
        "message_reaction", 7)
    # a member's change and their join request, by that member
    member = {"chat": {"id": -100}, "from": {"id": 1},
              "old_chat_member": {"user": user}, "new_chat_member": {"user": user}}
    assert queue_of({"update_id": 1, "chat_member": member}) == \
        queue_of({"update_id": 2, "chat_join_request": {"chat": {"id": -100}, "from": user}})
    # a poll and its answers, by the poll
    assert queue_of({"update_id": 1, "poll": {"id": "p"}}) == \
        queue_of({"update_id": 2, "poll_answer": {"poll_id": "p", "user": user}}) == ("poll", "p")
    assert queue_of({"update_id": 1, "something_new": {"chat": chat}}) is None
