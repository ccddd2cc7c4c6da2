"""A broadcast to 1,000 users through the fake Bot API server, with Telegram's failures.

Flood waits (10% of sends answer 429), 500s, 502 pages, timeouts and dropped connections,
users who blocked the bot since it last knew, and chats that do not exist: it completes
with exact counters, and every chat holds exactly the messages it should.
"""

from __future__ import annotations

from collections import Counter

import pytest

from faketelegram import FaultConfig
from models import Broadcast, User
from tests.broadcast.conftest import bot_sends, make_users, make_worker

pytestmark = pytest.mark.slow

USERS = range(1, 1001)
BLOCKED_KNOWN = set(range(1, 1001, 20))  # 50 the database knows: not recipients
BLOCKED_SINCE = set(range(7, 1001, 33)) - BLOCKED_KNOWN  # 30 who blocked it since: 403
NO_CHAT = set(range(500, 1001, 50)) - BLOCKED_KNOWN - BLOCKED_SINCE  # never started it: 400


def test_a_thousand_users_with_floods_faults_and_blocks(db, tg):
    make_users(tg, [u for u in USERS if u not in NO_CHAT])
    make_users(tg, sorted(NO_CHAT), chat=False)
    User.objects(telegram_id__in=list(BLOCKED_KNOWN)).update(set__blocked=True)
    for user in BLOCKED_SINCE:
        tg.user(user).block()
    # of all sends: 10% 429 (retry_after 1 s), 2% each of 500, 502, timeout, disconnect
    tg.set_faults(FaultConfig(rate=0.18, kinds=("429",) * 5 + ("5xx", "timeout", "disconnect"),
                              methods=frozenset({"sendMessage"}), delay=1.0, retry_after=1,
                              seed=7))
    broadcast = Broadcast.compose("Скидки <b>всем</b>!")

    make_worker(tg, rate=400, threads=16, timeout=0.4, max_attempts=8).run_until_idle(60)

    recipients = [u for u in USERS if u not in BLOCKED_KNOWN]
    broadcast.reload()
    assert broadcast.status == "done"
    assert broadcast.counts() == {"total": 950, "sent": 950 - 30 - len(NO_CHAT),
                                  "blocked": 30, "failed": len(NO_CHAT), "unknown": 0,
                                  "pending": 0}
    deliveries = Counter()
    for user in USERS:
        if user not in NO_CHAT:
            deliveries[user] = len(bot_sends(tg, user))
    assert {u for u, n in deliveries.items() if n > 1} == set(), "a user got it twice"
    assert {u for u, n in deliveries.items() if n == 1} == \
        set(recipients) - BLOCKED_SINCE - NO_CHAT
    assert all(bot_sends(tg, u)[0]["text"] == "Скидки всем!"
               for u in list(set(recipients) - BLOCKED_SINCE - NO_CHAT)[:20])
    injected = Counter(kind for _, kind in tg.injected_faults())
    assert injected["429"] >= 80 and injected["timeout"] >= 10 and injected["disconnect"] >= 10
    assert injected["500"] + injected["502"] >= 20
    assert set(User.objects(blocked=True).distinct("telegram_id")) == BLOCKED_KNOWN | BLOCKED_SINCE
    failed = User.objects(telegram_id__in=list(NO_CHAT))
    assert failed.count() == len(NO_CHAT) and not any(u.blocked for u in failed)


def test_blocked_users_are_skipped_by_the_next_broadcast(db, tg):
    make_users(tg, range(1, 31))
    tg.user(5).block()
    Broadcast.compose("first")
    make_worker(tg).run_until_idle(30)
    second = Broadcast.compose("second")
    make_worker(tg).run_until_idle(30)
    second.reload()
    assert second.counts()["total"] == 29 and second.sent == 29 and second.blocked == 0
    assert [e["text"] for e in bot_sends(tg, 6)] == ["first", "second"]
    assert bot_sends(tg, 5) == []
