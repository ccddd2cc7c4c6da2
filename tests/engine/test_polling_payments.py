"""Polling answers a pre-checkout query within its deadline whatever else the poller has in
hand: a slow successful payment in the same batch, or one of an earlier batch still being
processed. The stack is run_polling's (EngineBot, attach with Aside, Poller) against the fake
Bot API, whose deadline for an answer is short here."""

from __future__ import annotations

import threading
import time

import pytest
from telebot import apihelper

from engine.polling import Aside, Pending, Poller, counted
from engine.telegram import EngineBot, TelebotSender, attach
from faketelegram import FakeTelegram

DEADLINE = 1.5  # seconds the fake gives a pre-checkout query (Telegram: 10)
SLOW = 2.5  # seconds a successful payment takes (a database retrying, say)
PAYER, ASKER = 71, 72


class SlowDesk:
    """A payment handler whose pre-checkout is quick and whose payments are slow."""

    def __init__(self) -> None:
        self.paid: list[str] = []

    def on_pre_checkout(self, query):
        return True, None

    def on_payment(self, payment) -> None:
        time.sleep(SLOW)
        self.paid.append(payment.telegram_charge_id)


@pytest.fixture
def tg(monkeypatch):
    with FakeTelegram(precheckout_timeout=DEADLINE) as fake:
        monkeypatch.setattr(apihelper, "API_URL", fake.api_url)
        monkeypatch.setattr(apihelper, "FILE_URL", fake.file_url)
        yield fake


def invoice_to(bot, tg, user_id: int) -> None:
    tg.user(user_id, first_name="Buyer", language_code="en").send("/start")
    TelebotSender(bot).send_invoice(user_id, _invoice())


def _invoice():
    from engine.payments import Invoice

    return Invoice("Ebook", "A good book", "1:abc", "XTR", (("Ebook", 5),))


class Polling:
    """run_polling's wiring, minus the engine: a poller in a thread."""

    def __init__(self, tg, desk) -> None:
        self.bot = EngineBot(tg.token, threaded=False)
        self.pending = Pending()
        self.aside = Aside(self.pending)
        handle = counted(lambda event: True, self.pending)

        def submit(event) -> None:
            self.pending.add()
            handle(event)
        attach(self.bot, submit, pays=desk, answerer=TelebotSender(self.bot), aside=self.aside)
        self.poller = Poller(self.bot, self.pending, timeout=1, retry_delay=0.1)
        self.thread = threading.Thread(target=self.poller.run, daemon=True)

    def start(self) -> Polling:
        self.thread.start()
        return self

    def processed(self, update_id: int, timeout: float = SLOW * 2 + 5) -> None:
        """Wait until the poller confirmed everything up to ``update_id``."""
        deadline = time.monotonic() + timeout
        while (self.poller.offset or 0) <= update_id and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.poller.stop()
        self.thread.join(timeout=SLOW + 10)
        self.aside.stop()
        assert not self.thread.is_alive()


def asking(tg, user_id: int) -> tuple[threading.Thread, dict]:
    """The buyer presses "Pay" in a thread (the fake waits up to its deadline for the bot's
    answer); the result is filled in when it is done."""
    result: dict = {}

    def pay() -> None:
        result.update(tg.user(user_id).pay(timeout=DEADLINE + 5))
    thread = threading.Thread(target=pay, daemon=True)
    thread.start()
    return thread, result


def test_a_pre_checkout_in_a_batch_with_a_slow_payment_is_answered_in_time(tg):
    desk = SlowDesk()
    polling = Polling(tg, desk)
    invoice_to(polling.bot, tg, PAYER)
    invoice_to(polling.bot, tg, ASKER)
    charge = tg.user(PAYER).pay(skip_pre_checkout=True)["successful_payment"]
    thread, result = asking(tg, ASKER)  # queued after the payment: one batch of two
    time.sleep(0.3)
    polling.start()
    try:
        thread.join(timeout=DEADLINE + 6)
        assert result["pre_checkout"]["ok"] is True, result  # None: not answered in time
        polling.processed(result["update_id"])
    finally:
        polling.stop()
    # both payments processed (the buyer who asked paid too), then confirmed
    assert desk.paid == [charge["telegram_payment_charge_id"],
                         result["successful_payment"]["telegram_payment_charge_id"]]
    assert polling.poller.offset == result["update_id"] + 1


def test_a_pre_checkout_while_an_earlier_batch_is_slow_is_answered_in_time(tg):
    desk = SlowDesk()
    polling = Polling(tg, desk).start()
    invoice_to(polling.bot, tg, PAYER)
    invoice_to(polling.bot, tg, ASKER)
    try:
        paid = tg.user(PAYER).pay(skip_pre_checkout=True)
        time.sleep(0.3)  # the poller took the payment's batch and is processing it
        thread, result = asking(tg, ASKER)
        thread.join(timeout=DEADLINE + 6)
        assert result["pre_checkout"]["ok"] is True, result
        # the batch is not confirmed before its payment was processed
        assert desk.paid == []
        assert polling.poller.offset is None or polling.poller.offset <= paid["update_id"]
        polling.processed(result["update_id"])
    finally:
        polling.stop()
    assert desk.paid == [paid["successful_payment"]["telegram_payment_charge_id"],
                         result["successful_payment"]["telegram_payment_charge_id"]]
    assert polling.poller.offset == result["update_id"] + 1


def test_a_payment_that_failed_is_fetched_again_and_its_query_answered_once(tg):
    from engine.payments import RETRIES

    asked = []

    class Failing(SlowDesk):
        tries = 0

        def on_pre_checkout(self, query):
            asked.append(query.query_id)
            return True, None

        def on_payment(self, payment) -> None:
            self.tries += 1
            if self.tries <= RETRIES:  # every try of the first delivery
                raise RuntimeError("the database is unreachable")
            self.paid.append(payment.telegram_charge_id)

    desk = Failing()
    polling = Polling(tg, desk)
    invoice_to(polling.bot, tg, PAYER)
    invoice_to(polling.bot, tg, ASKER)
    paid = tg.user(PAYER).pay(skip_pre_checkout=True)
    thread, result = asking(tg, ASKER)  # in the payment's batch
    time.sleep(0.3)
    polling.start()
    try:
        thread.join(timeout=DEADLINE + 6)
        assert result["pre_checkout"]["ok"] is True
        polling.processed(result["update_id"])
    finally:
        polling.stop()
    assert desk.tries == RETRIES + 2  # fetched again once every try had failed
    assert desk.paid == [paid["successful_payment"]["telegram_payment_charge_id"],
                         result["successful_payment"]["telegram_payment_charge_id"]]
    assert asked == [result["pre_checkout"]["id"]]  # fetched again, not answered again
