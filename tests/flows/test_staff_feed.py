"""The staff chat's order feed in-process: cards through the outbox, presses, reasons."""

from __future__ import annotations

from datetime import datetime

import pytest

import models
from engine.broadcast import SenderTransport, Worker
from engine.side import SenderReplier
from engine.testing import ChatClient, GroupClient, dispatcher
from flows import order_lifecycle, staff
from flows.notify import OutboxQueue
from flows.replay import make_engine

GROUP, THREAD, STAFF, ADMIN, STRANGER, BUYER = -1001, 7, 901, 900, 555, 104


@pytest.fixture
def shop():
    engine = make_engine()
    desk = staff.Feed(GROUP, THREAD, frozenset({STAFF, ADMIN}))
    staff.configure(desk)
    bot = dispatcher(engine, [staff.StaffDesk(SenderReplier(engine.sender), desk)])
    from models import demo

    demo.load()
    models.User(telegram_id=BUYER, first_name="Anna", username="anna", language="en").save()
    cart = models.Cart.for_user(BUYER)
    product = models.Product.objects(stock__gt=2).order_by("sku").first()
    cart.add(product)
    order = models.Order.from_cart(cart, email="anna@example.com", phone="+447911123456",
                                   address="1 Main St")
    order_lifecycle.created(order.pk)

    def drain():
        Worker(OutboxQueue(), SenderTransport(engine.sender), rate=1000, threads=1,
               per_chat_interval=0).drain()

    yield engine, bot, order, drain
    staff.configure(None)


def member(engine, bot, user_id, name):
    return GroupClient(engine, bot, GROUP, {"id": user_id, "first_name": name,
                                            "username": name.lower()}, thread_id=THREAD)


def test_a_new_order_is_posted_and_staff_confirm_and_ship_it(shop):
    engine, bot, order, drain = shop
    drain()
    oleg = member(engine, bot, STAFF, "Oleg")
    card = oleg.messages[-1]
    assert f"№{order.number}" in card.text and "anna@example.com" in card.text
    assert card.buttons == [["✅ Подтвердить", "✖️ Отменить"]]
    oleg.click("✅ Подтвердить")
    assert engine.sender.answered and "подтверждён" in list(engine.sender.answered.values())[-1]
    drain()
    buyer = ChatClient(engine, BUYER, bot=bot)
    assert "is confirmed" in buyer.messages[-1].text
    assert "Oleg (@oleg)" in oleg.messages[-1].text
    oleg.click("🚚 Отправить")
    drain()
    assert "has shipped" in buyer.messages[-1].text
    assert models.Order.objects.get(id=order.pk).status == "shipped"
    assert len(buyer.messages) == 2


def test_a_stranger_is_refused_and_a_stale_card_redrawn(shop):
    engine, bot, order, drain = shop
    drain()
    eve = member(engine, bot, STRANGER, "Eve")
    eve.click("✅ Подтвердить")
    assert list(engine.sender.answered.values())[-1] == "Менять заказы могут только сотрудники магазина."
    assert models.Order.objects.get(id=order.pk).status == "new"
    oleg = member(engine, bot, STAFF, "Oleg")
    card = oleg.messages[-1]
    oleg.click("✅ Подтвердить")
    oleg.press(card, staff.data("confirm", order.pk, 0))  # the old card, pressed again
    assert "изменили" in list(engine.sender.answered.values())[-1]


def test_cancel_asks_for_a_reason(shop):
    engine, bot, order, drain = shop
    drain()
    oleg = member(engine, bot, STAFF, "Oleg")
    oleg.click("✖️ Отменить")
    prompt = oleg.messages[-1]
    assert "почему отменяем" in prompt.text
    oleg.click("↩️ Не надо")
    assert models.Order.objects.get(id=order.pk).status == "new"
    oleg.click("✖️ Отменить")
    prompt = oleg.messages[-1]
    oleg.send("Нет на складе", reply_to=prompt)
    assert models.Order.objects.get(id=order.pk).status == "cancelled"
    drain()
    buyer = ChatClient(engine, BUYER, bot=bot)
    assert "is cancelled: Нет на складе" in buyer.messages[-1].text


def test_a_buyer_who_blocked_the_bot_is_marked_on_the_card(shop):
    engine, bot, order, drain = shop
    drain()
    engine.sender.blocked.add(BUYER)
    oleg = member(engine, bot, STAFF, "Oleg")
    oleg.click("✅ Подтвердить")
    drain()
    assert "заблокировал" in oleg.messages[0].text
    assert models.Notice.objects.get(id=f"buyer:{order.pk}:1").state == "blocked"


def test_a_card_in_doubt_is_posted_anew_at_the_next_change(shop):
    """A worker died between posting the card and recording it: the card is in doubt and
    not posted again; the order's next change posts a fresh one."""
    engine, bot, order, drain = shop
    key = f"card:{order.pk}"
    models.Notice._get_collection().update_one(
        {"_id": key}, {"$set": {"state": "sending", "owner": "dead",
                            "lease_until": datetime(2000, 1, 1)}})  # its lease ran out
    drain()
    assert models.Notice.objects.get(id=key).state == "unknown"
    oleg = member(engine, bot, STAFF, "Oleg")
    assert oleg.messages == []
    order_lifecycle.change(order.pk, role="staff", actor="API", trigger="confirm")
    drain()
    assert len(oleg.messages) == 1 and "подтверждён" in oleg.messages[0].text
    assert models.Notice.objects.get(id=key).state is None


def test_never_mind_by_a_colleague_drops_the_question_it_is_on(shop):
    """Issue 15: another member's "Never mind" dropped their own (absent) question, said
    the order stays, and the asked member's reply still cancelled it."""
    engine, bot, order, drain = shop
    drain()
    oleg, boss = member(engine, bot, STAFF, "Oleg"), member(engine, bot, ADMIN, "Boss")
    oleg.click("✖️ Отменить")
    question = oleg.messages[-1]
    boss.click("↩️ Не надо", message=question)
    assert "остаётся" in engine.sender.messages[question.message_id].text
    assert models.StaffPrompt.objects.count() == 0
    oleg.send("typo", reply_to=question)
    assert models.Order.objects.get(id=order.pk).status == "new"
    boss.press(question, staff.data("keep", order.pk, 0))  # pressed again: nothing open
    assert "неактуален" in engine.sender.messages[question.message_id].text


def test_only_the_questions_topic_and_no_colleagues_reply_give_the_reason(shop):
    """Issue 15: a message in another topic, or a reply to a colleague's message, was taken
    as the reason (privacy mode off)."""
    import time

    from telebot import types

    engine, bot, order, drain = shop
    drain()
    oleg = member(engine, bot, STAFF, "Oleg")
    oleg.click("✖️ Отменить")
    GroupClient(engine, bot, GROUP, oleg.user, thread_id=99).send("lunch at 1?")
    assert models.Order.objects.get(id=order.pk).status == "new"
    reply = {"update_id": 999999, "message": {
        "message_id": 55555, "date": int(time.time()), "chat": oleg.chat, "from": oleg.user,
        "text": "ok, I'll ask the warehouse", "message_thread_id": THREAD,
        "is_topic_message": True, "reply_to_message": {
            "message_id": 4444, "date": int(time.time()), "chat": oleg.chat,
            "from": {"id": 777, "is_bot": False, "first_name": "Colleague"}, "text": "hey"}}}
    bot.process_new_updates([types.Update.de_json(reply)])
    assert models.Order.objects.get(id=order.pk).status == "new"
    oleg.send("Нет на складе")  # in the topic, not a reply: the reason
    order = models.Order.objects.get(id=order.pk)
    assert order.status == "cancelled" and order.history[-1].note == "Нет на складе"


def test_open_questions_are_per_order_and_a_lapsed_one_says_so(shop):
    """Issue 15: a second Cancel replaced the first question silently, replies to the first
    were ignored silently, and a lapsed question was dropped silently."""
    engine, bot, order, drain = shop
    cart = models.Cart.for_user(BUYER)
    cart.add(models.Product.objects(stock__gt=2).order_by("-sku").first())
    second = models.Order.from_cart(cart, email="a@example.com", address="1 Main St")
    order_lifecycle.created(second.pk)
    drain()
    oleg = member(engine, bot, STAFF, "Oleg")
    first_card, second_card = oleg.messages[0], oleg.messages[1]
    oleg.click("✖️ Отменить", message=first_card)
    q1 = oleg.messages[-1]
    oleg.click("✖️ Отменить", message=second_card)
    q2 = oleg.messages[-1]
    oleg.send("который?")  # not a reply, two questions open: which one is asked
    assert "заказы 1001, 1002" in oleg.messages[-1].text
    oleg.send("the buyer asked", reply_to=q1)
    assert models.Order.objects.get(id=order.pk).status == "cancelled"
    assert models.Order.objects.get(id=second.pk).status == "new"
    oleg.click("✖️ Отменить", message=second_card)  # asked again: the old question goes
    q3 = oleg.messages[-1]
    assert "неактуален" in engine.sender.messages[q2.message_id].text
    models.StaffPrompt.objects.update(until=datetime(2000, 1, 1))
    oleg.send("too late", reply_to=q3)
    assert "устарел" in engine.sender.messages[q3.message_id].text
    assert models.Order.objects.get(id=second.pk).status == "new"
    assert models.StaffPrompt.objects.count() == 0


def test_a_big_order_with_a_long_reason_keeps_its_card_within_one_message(shop):
    """Issue 15: a big order's card with a long reason went over 4096 characters: the edit
    failed, so did posting it anew, and the old card kept live buttons."""
    from faketelegram.entities import format_text

    engine, bot, order, drain = shop
    template = models.Product.objects.first().to_mongo().to_dict()
    cart = models.Cart.for_user(BUYER)
    for i in range(60):
        doc = {**template, "sku": f"BIG{i}", "stock": 100}
        doc.pop("_id")
        for key in ("name", "title", "slug"):
            if isinstance(doc.get(key), dict):
                doc[key] = {lang: f"Очень длинное название {i} ".ljust(100, "ж")
                            for lang in doc[key]}
            elif key in doc:
                doc[key] = f"big-{i}" if key == "slug" else \
                    f"Очень длинное название {i} ".ljust(100, "ж")
        models.Product._get_collection().insert_one(doc)
    for product in models.Product.objects(sku__startswith="BIG"):
        cart.add(product, 1)
    big = models.Order.from_cart(cart, email="e" * 60 + "@example.com", phone="+447911123456",
                                 address="Улица " + "д" * 290)
    order_lifecycle.created(big.pk)
    drain()
    oleg = GroupClient(engine, bot, GROUP, {"id": STAFF, "first_name": "O" * 40,
                                            "last_name": "P" * 40, "username": "o" * 32},
                       thread_id=THREAD)
    card = next(m for m in oleg.messages if f"№{big.number}" in m.text)
    oleg.click("✅ Подтвердить", message=card)
    drain()
    oleg.click("✖️ Отменить", message=engine.sender.messages[card.message_id])
    oleg.send("Причина: " + "я" * 600, reply_to=oleg.messages[-1])
    drain()
    assert models.Order.objects.get(id=big.pk).status == "cancelled"
    notice = models.Notice.objects.get(id=f"card:{big.pk}")
    assert notice.state is None and notice.message_id == card.message_id
    shown = engine.sender.messages[card.message_id]
    assert "отменён" in shown.text and not shown.buttons
    assert len(format_text(shown.text, "HTML").text) <= 4096


def test_a_note_of_invisible_characters_is_no_reason(shop):
    """Issue 15: a note of only zero-width and format characters passed "note required"."""
    engine, bot, order, drain = shop
    for note in ("\u200b", "\u200b\u2060\ufeff", " \u00a0\u200d\t"):
        with pytest.raises(order_lifecycle.TransitionRefused):
            order_lifecycle.change(order.pk, role="staff", actor="API", trigger="cancel",
                                   note=note)
    drain()
    oleg = member(engine, bot, STAFF, "Oleg")
    oleg.click("✖️ Отменить")
    question = oleg.messages[-1]
    oleg.send("\u200b\u2060", reply_to=question)  # not a reason: the question stays open
    assert models.StaffPrompt.objects.count() == 1
    assert models.Order.objects.get(id=order.pk).status == "new"
    oleg.send("\u200bНет на складе", reply_to=question)
    assert models.Order.objects.get(id=order.pk).status == "cancelled"


def test_presses_outside_the_feeds_chat_change_nothing(shop):
    """Issue 15: a press in another chat (a private one) or on an inline message asked for a
    reason there, which could never be given."""
    import time

    from telebot import types

    engine, bot, order, drain = shop
    drain()

    def press(update_id, **where):
        bot.process_new_updates([types.Update.de_json({"update_id": update_id,
            "callback_query": {"id": f"q{update_id}", "chat_instance": "p",
                               "from": {"id": STAFF, "is_bot": False, "first_name": "Oleg"},
                               "data": staff.data("cancel", order.pk, 0), **where}})])

    press(424242, inline_message_id="abc")
    assert engine.sender.answered["q424242"] is None
    press(424243, message={"message_id": 1, "date": int(time.time()), "text": "x",
                           "chat": {"id": STAFF, "type": "private", "first_name": "Oleg"},
                           "from": {"id": 1, "is_bot": True, "first_name": "bot"}})
    assert "только в чате сотрудников" in engine.sender.answered["q424243"]
    assert models.StaffPrompt.objects.count() == 0 and engine.sender.chat(STAFF) == []


def test_the_blocked_mark_goes_once_the_buyer_is_told_again(shop):
    """Issue 15: the card kept "blocked the bot" after the buyer was told a later change."""
    engine, bot, order, drain = shop
    drain()
    engine.sender.blocked.add(BUYER)
    oleg = member(engine, bot, STAFF, "Oleg")
    oleg.click("✅ Подтвердить")
    drain()
    assert "заблокировал" in oleg.messages[0].text
    engine.sender.blocked.discard(BUYER)
    oleg.click("🚚 Отправить")
    drain()
    assert models.Notice.objects.get(id=f"buyer:{order.pk}:2").state == "sent"
    assert "заблокировал" not in oleg.messages[0].text
    assert not models.Order.objects.get(id=order.pk).buyer_blocked
