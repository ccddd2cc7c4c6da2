"""The worker's policy, with a scripted transport: waits, retries, give-ups, stops."""

from __future__ import annotations

import threading
import time

from engine.broadcast import (
    FAILED,
    FATAL,
    RETRY_AFTER,
    SENT,
    TRANSIENT,
    RateLimiter,
    Result,
    Worker,
)
from flows.broadcast import ShopQueue
from models import BatchRecipients, Broadcast, User


class Scripted:
    """Answers each chat from its script, then success; records when each send happened."""

    def __init__(self, scripts: dict[int, list[Result]] | None = None) -> None:
        self.scripts = {chat: list(results) for chat, results in (scripts or {}).items()}
        self.calls: list[tuple[int, str, float]] = []
        self.lock = threading.Lock()

    def send(self, chat_id, message):
        with self.lock:
            script = self.scripts.get(chat_id)
            result = script.pop(0) if script else Result(SENT, message_id=1)
            self.calls.append((chat_id, result.kind, time.monotonic()))
            return result

    def close(self):
        pass

    def sent_to(self, chat_id):
        return [t for c, kind, t in self.calls if c == chat_id and kind == SENT]


def worker(transport, **options) -> Worker:
    options = {"rate": 1000, "threads": 2, "tick": 0.05, "poll": 0.05,
               "backoff": (0.01, 0.05), "per_chat_interval": 0.05, **options}
    return Worker(ShopQueue(batch_size=options.pop("batch_size", 10), tick=0.05), transport,
                  **options)


def users(*ids):
    for i in ids:
        User(telegram_id=i).save()


def test_a_flood_wait_is_waited_out_then_the_message_is_sent(db):
    users(1, 2)
    transport = Scripted({1: [Result(RETRY_AFTER, code=429, retry_after=0.3)]})
    broadcast = Broadcast.compose("hi")
    worker(transport).run_until_idle(10)
    first_try = next(t for c, kind, t in transport.calls if c == 1)
    assert transport.sent_to(1)[0] - first_try >= 0.3
    assert broadcast.reload().counts()["sent"] == 2


def test_429s_in_a_row_pause_every_send(db):
    users(1, 2, 3, 4)
    flood = [Result(RETRY_AFTER, code=429, retry_after=0.3)]
    transport = Scripted({1: list(flood), 2: list(flood), 3: list(flood)})
    Broadcast.compose("hi")
    worker(transport, threads=1).run_until_idle(10)
    third_flood = [t for _, kind, t in transport.calls if kind == RETRY_AFTER][2]
    assert transport.sent_to(4)[0] - third_flood >= 0.29  # chat 4 was not flooded itself
    assert all(len(transport.sent_to(chat)) == 1 for chat in (1, 2, 3, 4))


def test_a_chats_turn_is_taken_by_one_thread_only():
    limiter = RateLimiter(1000, per_chat_interval=5.0)
    barrier = threading.Barrier(8)
    waits = []

    def take():
        barrier.wait()
        waits.append(limiter.reserve_chat(1))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits)[0] == 0 and all(w > 4 for w in sorted(waits)[1:])


def test_a_single_429_pauses_only_its_chat():
    limiter = RateLimiter(1000)
    limiter.flood(1, 5.0)
    started = time.monotonic()
    assert limiter.acquire() and time.monotonic() - started < 0.5
    assert limiter.chat_wait(1) > 4 and limiter.chat_wait(2) == 0


def test_transient_failures_are_retried_then_given_up_with_the_reason(db):
    users(1, 2)
    flaky = [Result(TRANSIENT, description="timeout: ReadTimeout")] * 2
    dead = [Result(TRANSIENT, code=502, description="HTTP 502 Bad Gateway")] * 9
    transport = Scripted({1: flaky, 2: dead})
    broadcast = Broadcast.compose("hi")
    worker(transport, max_attempts=4).run_until_idle(10)
    assert len(transport.sent_to(1)) == 1
    assert [kind for c, kind, _ in transport.calls if c == 2] == [TRANSIENT] * 4
    assert broadcast.reload().counts() == {"total": 2, "sent": 1, "blocked": 0, "failed": 1,
                                           "unknown": 0, "pending": 0}
    errors = BatchRecipients.objects.first().errors
    assert errors == {"2": "HTTP 502 Bad Gateway (gave up after 4 tries)"}


def test_a_final_4xx_is_recorded_as_failed_at_once(db):
    users(1)
    transport = Scripted({1: [Result(FAILED, code=400, description="Bad Request: chat not "
                                                                   "found")]})
    Broadcast.compose("hi")
    worker(transport).run_until_idle(10)
    assert len(transport.calls) == 1
    assert BatchRecipients.objects.first().errors == {"1": "Bad Request: chat not found"}


def test_a_wrong_token_stops_the_worker_and_loses_nothing(db):
    users(1, 2, 3)
    transport = Scripted({1: [Result(FATAL, code=401, description="Unauthorized")]})
    broadcast = Broadcast.compose("hi")
    sender = worker(transport, threads=1)
    sender.run_until_idle(10)
    assert "401: Unauthorized" in str(sender.error)
    body = BatchRecipients.objects.first()
    assert body.states == {} and broadcast.reload().status == "running"
    worker(Scripted()).run_until_idle(10)  # fixed: the next worker sends everything
    assert broadcast.reload().counts()["sent"] == 3


def test_a_chat_gets_at_most_one_message_per_interval(db):
    users(1)
    transport = Scripted()
    Broadcast.compose("one")
    Broadcast.compose("two")
    worker(transport, per_chat_interval=0.4).run_until_idle(10)
    first, second = transport.sent_to(1)
    assert second - first >= 0.39


def test_the_rate_is_held(db):
    users(*range(1, 41))
    transport = Scripted()
    Broadcast.compose("hi")
    worker(transport, rate=50, threads=4).run_until_idle(10)
    times = sorted(t for _, _, t in transport.calls)
    assert len(times) == 40 and times[-1] - times[0] >= 39 / 50 - 0.02


def test_several_workers_share_the_rate(db):
    from models import BroadcastWorker

    BroadcastWorker.beat("other", 2.0)
    sender = worker(Scripted(), rate=30).start()
    try:
        assert sender.limiter.rate == 15
    finally:
        sender.stop()


def test_a_cancelled_broadcast_stops_sending(db):
    users(*range(1, 101))
    transport = Scripted()
    broadcast = Broadcast.compose("hi")
    sender = worker(transport, rate=100, threads=1, batch_size=100).start()
    try:
        while len(transport.calls) < 10:
            time.sleep(0.01)
        broadcast.cancel()
        deadline = time.monotonic() + 5
        while broadcast.reload().finished is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sender.stop()
    assert broadcast.status == "cancelled" and 10 <= broadcast.sent < 60
    assert broadcast.sent == len(transport.calls)


def test_stop_hands_unfinished_batches_back(db):
    users(*range(1, 51))
    transport = Scripted()
    broadcast = Broadcast.compose("hi")
    sender = worker(transport, rate=100, threads=1, batch_size=50).start()
    while len(transport.calls) < 5:
        time.sleep(0.01)
    sender.stop()
    done = len(transport.calls)
    assert done < 50
    worker(transport).run_until_idle(10)
    assert sorted(c for c, _, _ in transport.calls) == list(range(1, 51))
    assert broadcast.reload().counts()["sent"] == 50


def test_two_workers_on_one_broadcast_send_each_message_once(db):
    users(*range(1, 201))
    transport = Scripted({chat: [Result(TRANSIENT, description="HTTP 502")]
                          for chat in range(1, 201, 7)})
    broadcast = Broadcast.compose("hi")
    first = worker(transport, threads=3, batch_size=10).start()
    second = worker(transport, threads=3, batch_size=10).start()
    try:
        deadline = time.monotonic() + 20
        while broadcast.reload().finished is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        first.stop()
        second.stop()
    sent = sorted(c for c, kind, _ in transport.calls if kind == SENT)
    assert sent == list(range(1, 201))
    assert broadcast.counts() == {"total": 200, "sent": 200, "blocked": 0, "failed": 0,
                                  "unknown": 0, "pending": 0}
    from models import BroadcastBatch

    assert len(set(BroadcastBatch.objects.distinct("owner"))) == 2  # both did some
