"""Durable broadcast state: queueing once, splitting that resumes, claims that hand over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mongoengine import ValidationError

from models import BatchRecipients, Broadcast, BroadcastBatch, News, User, utcnow
from models.broadcast_batches import claim, expand, finish, recount

never = lambda: False  # noqa: E731 - a stopping() that never asks to stop


def users(*ids: int, **fields) -> None:
    for i in ids:
        User(telegram_id=i, **fields).save()


def running(broadcast: Broadcast, worker: str = "w1", size: int = 3) -> Broadcast:
    assert expand(broadcast.pk, worker, size=size, lease=60, stopping=never)
    return broadcast.reload()


# -- news ------------------------------------------------------------------------------
def test_creating_news_queues_its_broadcast_once(db):
    news = News(title="Sale", content="Everything -20%")
    news.save()
    news.content = "Everything -25%"
    news.save()  # an edit, not a creation
    News.objects(id=news.pk).update(set__title="Big sale")
    created = News.objects.create(title="Second", content="More")
    assert sorted(b.news for b in Broadcast.objects) == sorted([news.pk, created.pk])
    queued = Broadcast.objects.get(news=news.pk)
    assert (queued.origin, queued.status, queued.ready) == ("news", "queued", False)
    assert Broadcast.for_news(news.pk) is None  # exactly once, whoever asks again


def test_news_that_fails_to_save_leaves_no_broadcast(db):
    with pytest.raises(ValidationError):
        News(title="No content").save()
    assert Broadcast.objects.count() == 0


def test_the_demo_news_are_not_broadcast(db):
    from models import demo

    demo.load()
    assert News.objects.count() == 8 and Broadcast.objects.count() == 0


def test_news_can_be_saved_without_a_broadcast(db):
    News(title="Quiet", content="Internal").save(broadcast=False)
    assert Broadcast.objects.count() == 0


def test_compose_with_the_same_id_queues_once(db):
    first = Broadcast.compose("hi", broadcast_id="6b0000000000000000000001", author=7)
    again = Broadcast.compose("hi", broadcast_id="6b0000000000000000000001", author=7)
    assert first.pk == again.pk and Broadcast.objects.count() == 1
    assert (again.ready, again.texts, again.author) == (True, {"ru": "hi"}, 7)


# -- splitting -------------------------------------------------------------------------
def test_recipients_are_split_in_order_skipping_blocked_users(db):
    users(1, 2, 4, 5, 7, 8, 9, 12)
    users(3, 6, blocked=True)
    users(10, language="en")
    broadcast = running(Broadcast.compose("hi"))
    batches = list(BroadcastBatch.objects.order_by("start"))
    assert [(b.start, b.end, b.size) for b in batches] == [(0, 4, 3), (4, 8, 3), (8, 12, 3)]
    bodies = {b.id: b for b in BatchRecipients.objects}
    assert [r["id"] for r in bodies[batches[2].id].recipients] == [9, 10, 12]
    assert bodies[batches[2].id].recipients[1]["lang"] == "en"
    assert (broadcast.status, broadcast.expanded, broadcast.total) == ("running", True, 9)


def test_an_interrupted_split_resumes_without_repeating_or_skipping(db):
    users(*range(1, 11))
    broadcast = Broadcast.compose("hi")
    calls = iter([False] * 4 + [True])  # stops while reading the second batch's users
    assert expand(broadcast.pk, "w1", size=3, lease=60, stopping=lambda: next(calls))
    assert BroadcastBatch.objects.count() == 1 and broadcast.reload().cursor == 3
    # a crash after writing a batch's recipients but before moving the cursor
    BatchRecipients(id=f"{broadcast.pk}:3", broadcast=broadcast.pk, end=6,
                    recipients=[{"id": i, "lang": "ru"} for i in (4, 5, 6)]).save()
    users(11)
    Broadcast.objects(id=broadcast.pk).update(set__expander_until=utcnow() - timedelta(1))
    running(broadcast, worker="w2")  # the lease ran out: another worker carries on
    ids = [r["id"] for b in BatchRecipients.objects.order_by("end") for r in b.recipients]
    assert ids == list(range(1, 12))
    assert broadcast.total == 11 and BroadcastBatch.objects.count() == 4


def test_one_worker_splits_at_a_time(db):
    users(1, 2)
    broadcast = Broadcast.compose("hi")
    Broadcast.objects(id=broadcast.pk).update(set__expander="w1",
                                              set__expander_until=utcnow() + timedelta(60))
    assert not expand(broadcast.pk, "w2", size=3, lease=60, stopping=never)
    assert BroadcastBatch.objects.count() == 0


# -- claims ----------------------------------------------------------------------------
def test_a_claim_holds_a_batch_and_records_each_state_once(db):
    users(1, 2, 3, 4)
    broadcast = running(Broadcast.compose("hi"))
    held = claim(broadcast.pk, "w1", 60)
    assert held.pending == [1, 2, 3]
    assert claim(broadcast.pk, "w2", 60).pending == [4]  # the other batch
    assert claim(broadcast.pk, "w3", 60) is None
    assert held.begin(1) and not held.begin(1)
    assert held.finish(1, "sent") and not held.finish(1, "sent")
    assert held.begin(2) and held.retry(2) and held.begin(2)
    assert held.finish(2, "blocked", "Forbidden: bot was blocked by the user")
    assert held.begin(3) and held.finish(3, "failed", "Bad Request: chat not found")
    held.close(True)
    assert User.objects.get(telegram_id=2).blocked
    assert (broadcast.reload().sent, broadcast.blocked, broadcast.failed) == (1, 1, 1)
    body = BatchRecipients.objects.get(id=held.key)
    assert body.errors == {"2": "Forbidden: bot was blocked by the user",
                           "3": "Bad Request: chat not found"}


def test_a_dead_workers_batch_is_taken_over_and_its_in_flight_send_is_in_doubt(db):
    users(1, 2, 3)
    broadcast = running(Broadcast.compose("hi"))
    dead = claim(broadcast.pk, "dead", 60)
    assert dead.begin(1) and dead.finish(1, "sent")
    assert dead.begin(2)  # killed here: did Telegram take it? nobody knows
    assert claim(broadcast.pk, "w2", 60) is None  # not while its lease runs
    BroadcastBatch.objects(id=dead.key).update(set__lease_until=utcnow() - timedelta(1))
    heir = claim(broadcast.pk, "w2", 60)
    assert heir.pending == [3]  # 2 is not sent again
    assert BatchRecipients.objects.get(id=heir.key).states == {"1": "sent", "2": "unknown"}
    assert not dead.finish(2, "sent") and not dead.begin(3)  # the old owner is locked out
    assert not dead.keep_alive()
    assert heir.begin(3) and heir.finish(3, "sent")
    heir.close(True)
    assert finish(broadcast.reload())
    assert broadcast.reload().counts() == {"total": 3, "sent": 2, "blocked": 0, "failed": 0,
                                           "unknown": 1, "pending": 0}


def test_a_batch_handed_back_is_claimed_again_where_it_stopped(db):
    users(1, 2, 3)
    broadcast = running(Broadcast.compose("hi"))
    first = claim(broadcast.pk, "w1", 60)
    assert first.begin(1) and first.finish(1, "sent")
    first.close(False)
    assert claim(broadcast.pk, "w2", 60).pending == [2, 3]


def test_finish_waits_for_every_batch_and_recounts_exactly(db):
    users(1, 2, 3, 4)
    broadcast = running(Broadcast.compose("hi"))
    held = claim(broadcast.pk, "w1", 60)
    for chat in held.pending:
        assert held.begin(chat) and held.finish(chat, "sent")
    held.close(True)
    assert not finish(broadcast.reload())  # one batch to go
    rest = claim(broadcast.pk, "w1", 60)
    assert rest.begin(4) and rest.finish(4, "sent")
    rest.close(True)
    Broadcast.objects(id=broadcast.pk).update(set__sent=99)  # live counters drifted
    assert finish(broadcast.reload())
    assert broadcast.reload().status == "done" and broadcast.sent == 4
    assert broadcast.finished is not None
    assert recount(broadcast.pk) == {"sent": 4, "blocked": 0, "failed": 0, "unknown": 0}


def test_cancel_stops_a_broadcast_and_finishes_it_with_what_was_sent(db):
    users(1, 2, 3, 4)
    broadcast = running(Broadcast.compose("hi"))
    held = claim(broadcast.pk, "w1", 60)
    assert held.begin(1) and held.finish(1, "sent")
    assert broadcast.cancel() and not broadcast.cancel()
    assert not finish(broadcast.reload())  # a claim is still held
    held.close(False)
    assert finish(broadcast.reload())
    assert broadcast.reload().status == "cancelled" and broadcast.counts()["pending"] == 3


def test_news_saved_despite_a_failing_post_save_hook_keeps_its_broadcast(db):
    import mongoengine

    def broken(sender, document, **kwargs):
        raise RuntimeError("a hook failed")

    mongoengine.signals.post_save.connect(broken, sender=News)
    try:
        with pytest.raises(RuntimeError):
            News(title="Sale", content="-20%").save()
    finally:
        mongoengine.signals.post_save.disconnect(broken, sender=News)
    news = News.objects.get(title="Sale")
    assert Broadcast.objects.get().news == news.pk


def test_missed_news_broadcasts_are_queued_once_and_only_for_recent_news_meant_for_it(db):
    quiet = News(title="Quiet", content="Internal")
    quiet.save(broadcast=False)
    old = News(title="Old", content="Long ago")
    old.save()
    missed = News(title="Missed", content="Queueing failed")
    missed.save()
    Broadcast.objects.delete()  # as if queueing both had failed
    News.objects(id=old.pk).update(set__created=utcnow() - timedelta(days=2))
    assert Broadcast.queue_missed() == 1
    assert [b.news for b in Broadcast.objects] == [missed.pk]
    assert Broadcast.queue_missed() == 0
