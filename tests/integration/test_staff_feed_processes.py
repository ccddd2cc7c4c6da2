"""Two staff pressing "Ship" on the same card at the same instant, through the bot: two
webhook processes (each the real ``run_bot:app`` stack: telebot dispatch, the staff desk,
the lifecycle) take the two presses at once; then two outbox workers, one per process,
send what was queued. One change per order, and ONE message to its buyer."""

from __future__ import annotations

import pytest

from tests.integration.processes import START_TIMEOUT, run_together
from tests.integration.server import skip_module_unless_configured

skip_module_unless_configured()

GROUP, THREAD, ANN, BOB, ORDERS = -1009001, 3, 9101, 9102, 6
SECRET = "s3cret"


def _settings(uri: str, url: str, token: str):
    import settings

    return settings.load({"BOT_TOKEN": token, "TELEGRAM_API_URL": url, "MONGO_URI": uri,
                          "WEBHOOK_SECRET": SECRET, "STAFF_CHAT_ID": str(GROUP),
                          "STAFF_THREAD_ID": str(THREAD), "STAFF_IDS": f"{ANN},{BOB}"},
                         dotenv=False)


def press_and_send(barrier, uri: str, url: str, token: str, updates: list[dict]) -> dict:
    """Post ``updates`` (presses of "Ship") to this process's webhook app when every
    process is ready; then send the outbox with this process's worker."""
    from engine.run import create_app
    from engine.run.broadcasts import build_outbox_worker
    from engine.run.webhook import webhook_path
    from flows.shop import shop

    config = _settings(uri, url, token)
    web = create_app(shop, config).test_client()
    barrier.wait(timeout=START_TIMEOUT)
    codes = [web.post(webhook_path(token), json=update,
                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code
             for update in updates]
    barrier.wait(timeout=START_TIMEOUT)  # both pressed: now both workers send at once
    build_outbox_worker(shop, config, per_chat_interval=0.0).drain()
    return {"codes": codes}


@pytest.fixture
def fake():
    from faketelegram import FakeTelegram

    with FakeTelegram() as server:
        yield server


def test_two_staff_shipping_at_once_through_the_bot_tell_the_buyer_once(real_db_uri, fake):
    import models
    from engine.broadcast import BotApi, Worker
    from flows import order_lifecycle, staff
    from flows.notify import OutboxQueue

    staff.configure(staff.Feed(GROUP, THREAD, frozenset({ANN, BOB})))
    try:
        category = models.Category(name="Contended")
        category.save()
        tea = models.Product(name="Tea", category=category, price=1000, stock=100)
        tea.save()
        fake.group(GROUP, title="Staff", forum=True)
        models.StaffChat(id=GROUP, lang="en").save()
        orders = []
        for n in range(ORDERS):
            buyer = 9200 + n
            fake.user(buyer, first_name=f"Buyer{n}").send("/start")  # opens the chat
            models.User(telegram_id=buyer, first_name=f"Buyer{n}", language="en").save()
            cart = models.Cart.for_user(buyer)
            cart.add(tea)
            order = models.Order.from_cart(cart, address="1 Main St")
            order_lifecycle.created(order.pk)
            order_lifecycle.change(order.pk, role="staff", actor="setup", trigger="confirm")
            orders.append(order)
        # the cards are posted (and redrawn as confirmed), the buyers told of the confirmation
        Worker(OutboxQueue(), BotApi(fake.url, fake.token), rate=1000, threads=1,
               per_chat_interval=0).drain()
        ann = fake.member(ANN, GROUP, thread_id=THREAD, first_name="Ann", username="ann")
        bob = fake.member(BOB, GROUP, thread_id=THREAD, first_name="Bob", username="bob")
        first = len(fake.pending_updates())
        for member in (ann, bob):
            for card in member.messages():
                if "🚚 Ship" in str(card.get("reply_markup")):
                    member.click("🚚 Ship", message_id=card["message_id"])
        presses = fake.pending_updates()[first:]
        assert len(presses) == 2 * ORDERS
        by = {ANN: [], BOB: []}
        for update in presses:
            by[update["callback_query"]["from"]["id"]].append(update)
        results = run_together(press_and_send,
                               (real_db_uri, fake.url, fake.token, by[ANN]),
                               (real_db_uri, fake.url, fake.token, by[BOB]))
        assert all(code == 200 for r in results for code in r["codes"])
        assert not fake.unanswered_callbacks(), "every press is answered"
        toasts = [e.get("text", "") for e in fake.transcript(GROUP, actor="bot")
                  if e.get("action") == "answer"]
        assert sum("shipped." in t and "meanwhile" not in t for t in toasts) == ORDERS
        assert sum("changed meanwhile" in t for t in toasts) == ORDERS  # the other press
        for order in orders:
            order.reload()
            assert order.status == "shipped" and order.version == 2
            assert [e.trigger for e in order.history] == ["confirm", "ship"]
            told = [e for e in fake.transcript(order.user_id, actor="bot")
                    if e.get("action") == "send" and "has shipped" in e.get("text", "")]
            assert len(told) == 1, f"order #{order.number}: the buyer was told {len(told)} times"
        shipped = [e for e in fake.transcript(GROUP, actor="bot")
                   if e.get("action") == "edit" and "· shipped" in e.get("text", "")]
        assert len({e["message_id"] for e in shipped}) == ORDERS  # each card shows it
        assert models.Notice.objects(pending=True).count() == 0
    finally:
        staff.configure(None)
