"""The poller confirms an offset only past updates that were processed."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from engine.polling import Pending, Poller, counted


class StubBot:
    """Serves ``batches`` to getUpdates (then stops the poller) and records every offset."""

    def __init__(self, batches: list[list[int]], submit) -> None:
        self.batches = batches
        self.submit = submit
        self.offsets: list[int | None] = []
        self.poller: Poller | None = None

    def get_updates(self, offset=None, **_):
        self.offsets.append(offset)
        if not self.batches:
            self.poller.stop()
            return []
        return [SimpleNamespace(update_id=u) for u in self.batches.pop(0)
                if offset is None or u >= offset]

    def process_new_updates(self, updates):
        for update in updates:
            self.submit(SimpleNamespace(update_id=update.update_id))


def run(batches, handle, **options) -> StubBot:
    pending = Pending()
    work = counted(handle, pending)

    def submit(event):
        pending.add()
        threading.Thread(target=work, args=(event,)).start()
    bot = StubBot(batches, submit)
    bot.poller = Poller(bot, pending, retry_delay=0, **options)
    bot.poller.run()
    return bot


def test_a_batch_is_confirmed_after_it_was_processed():
    handled = []
    bot = run([[1, 2, 3], [4]], lambda e: handled.append(e.update_id))
    assert sorted(handled) == [1, 2, 3, 4]
    assert bot.offsets == [None, 4, 5, 5]  # the last call confirms 4 on the way out


def test_an_update_that_could_not_be_processed_is_fetched_again():
    handled, failures = [], {2: 1}

    def handle(event):
        if failures.get(event.update_id):
            failures[event.update_id] -= 1
            return False  # the database was unreachable: not processed
        handled.append(event.update_id)
        return True
    bot = run([[1, 2, 3], [2, 3]], handle)
    assert bot.offsets[:3] == [None, 2, 4], "not confirmed past the failed update"
    assert sorted(handled) == [1, 2, 3, 3]  # 3 again: the engine skips it by its update_id


def test_an_update_failing_every_time_is_given_up_after_a_few_attempts(caplog):
    bot = run([[7]] * 4, lambda e: False, max_attempts=2)
    assert bot.offsets[:4] == [None, 7, 7, 8]
    assert "update 7 failed 2 times: given up" in caplog.text
