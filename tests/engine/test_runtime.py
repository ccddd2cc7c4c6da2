"""Every construct of the flow language, driven through the chat client."""

from __future__ import annotations

import logging
import time

from engine import callback


def answers(actions):
    return [a for a in actions if a.kind == "answer"]


def test_start_greets_and_shows_the_main_keyboard(client):
    actions = client.send("/start")
    assert [a.kind for a in actions] == ["send"]
    assert client.last.text == "Hello, Ann!"
    assert client.state == "menu"
    assert [t for _, t in client.keyboard_buttons()] == ["Catalog", "Cart"]
    assert client.conversation.data["greeted"] == 1


def test_template_values_are_escaped(make_client):
    client = make_client(first_name="<b>Eve</b> & co")
    client.send("/start")
    assert client.last.text == "Hello, &lt;b&gt;Eve&lt;/b&gt; &amp; co!"


def test_language_from_telegram_and_keyboard_in_either_language(make_client):
    client = make_client(2, language_code="ru")
    client.send("/start")
    assert client.last.text == "Привет, Ann!"
    client.send("Каталог")
    assert client.state == "catalog" and client.last.text == "Каталог"
    client.send("Cart")  # a label in the other language still works
    assert client.state == "cart"


def test_catalog_drills_down_in_place_and_back_returns(client):
    client.send("/start")
    client.click("Catalog")
    root = client.last
    assert root.buttons == [["Fruit", "Vegetables"], ["Drinks", "Bakery"], ["Next"]] or \
        root.buttons == [["Fruit", "Vegetables"], ["Drinks", "Bakery"], ["Next ›"]]
    client.click("Fruit")
    assert client.last.message_id == root.message_id, "edited in place"
    assert client.last.text == "CatalogFruit" and client.conversation.params == {"node": "fruit"}
    assert client.last.buttons == [["Citrus", "Berries"], ["« Back"]]
    assert answers(client.replies) and client.last_answer is None
    client.click("« Back")
    assert client.state == "catalog" and client.conversation.params == {"node": None}
    assert client.last.message_id == root.message_id
    assert "« Back" not in sum(client.last.buttons, []), "no Back at the root (when: params.node)"


def test_pagination_of_dynamic_buttons(client):
    client.send("/start")
    client.click("Catalog")
    client.click("Next ›")
    assert client.last.buttons == [["Dairy"], ["‹ Back"]]
    assert client.conversation.page == 1
    client.click("‹ Back")
    assert client.last.buttons[0] == ["Fruit", "Vegetables"]


def test_products_as_messages_with_photos_and_show_more(client):
    client.send("/start")
    client.click("Catalog")
    client.click("Fruit")
    client.click("Citrus")
    assert client.state == "products"
    orange, lemon, footer = client.messages[-3:]
    assert orange.photo == "tests/engine/examples/mini/orange.png"
    assert orange.text == "<b>Orange &lt;big&gt;</b>\nPrice: 120"
    assert orange.buttons == [["Add to cart"]] and lemon.buttons == [["Sold out"]]
    assert footer.text == "Products in Citrus" and footer.buttons == [["More"], ["« Back"]] or \
        footer.buttons == [["Show more"], ["« Back"]]
    client.click("Show more")
    assert footer.deleted, "the old footer goes, a new one follows the new items"
    assert client.messages[-2].text.startswith("<b>Lime</b>") and client.messages[-2].photo is None
    assert client.last.buttons == [["« Back"]]


def test_add_to_cart_toasts_and_keeps_the_list(client):
    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus"):
        client.click(label)
    before = len(client.sender.actions)
    client.click("Add to cart")
    assert [a.kind for a in client.sender.actions[before:]] == ["answer"]
    assert client.last_answer == "Added to cart"
    client.click("Add to cart")
    client.click("Add to cart")  # stock is 2: the action refuses politely
    assert client.last_answer == "No more Orange <big> in stock."
    assert client.conversation.data["cart"] == {"p1": 2}
    client.click("Sold out")
    assert client.last_answer == "Sorry, sold out."


def test_old_add_button_still_works_from_another_state(client):
    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus"):
        client.click(label)
    product_message = client.messages[-3]
    client.click("Cart")
    assert client.state == "cart"
    client.click("Add to cart", message=product_message)  # 'add' is global
    assert client.last_answer == "Added to cart"
    assert client.conversation.data["cart"] == {"p1": 1}


def test_outdated_and_garbage_buttons_get_an_answer_and_the_current_screen(client):
    client.send("/start")
    client.click("Catalog")
    catalog = client.last
    client.click("Cart")
    assert client.state == "cart"
    client.click("Fruit", message=catalog)  # 'open' does not exist in the cart
    assert client.last_answer == "This button is outdated."
    assert client.state == "cart" and client.last.text.startswith("Your cart")
    for data in ("garbage", "0:open:node=x", "1:", "1:open:noequals"):
        actions = client.press(catalog, data)
        assert answers(actions), data
        assert client.last_answer == "This button is outdated."
    assert client.state == "cart"


def test_page_button_of_an_old_screen_is_outdated(client):
    client.send("/start")
    client.click("Catalog")
    old = client.last
    client.send("Catalog")  # a new catalog message
    client.click("Next ›", message=old)
    assert client.last_answer == "This button is outdated."


def test_cart_editing_with_notices(client):
    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus", "Add to cart", "Cart"):
        client.click(label)
    assert client.last.text == "Your cart: 1 items, 120 total"
    cart = client.last
    client.click("➕ Orange <big>")
    assert client.last.message_id == cart.message_id
    assert cart.text == "Your cart: 2 items, 240 total"
    client.click("➖ Orange <big>")
    client.click("➖ Orange <big>")
    assert client.last_answer == "Orange <big> removed."
    assert cart.text == "Your cart: 0 items, 0 total" and cart.buttons == []


def test_checkout_with_input_validation_contact_and_keyboards(client):
    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus", "Add to cart", "Cart", "Check out"):
        client.click(label)
    assert client.state == "ask_email" and client.last.text == "Your email?"
    assert [t for _, t in client.keyboard_buttons()] == ["Cancel"]
    client.send("not an email")
    assert [m.text for m in client.messages[-2:]] == ["That is not an email address.",
                                                      "Your email?"]
    assert client.state == "ask_email"
    client.send(" Ann@Example.com ")
    assert client.state == "ask_phone"
    assert client.keyboard_buttons() == [(True, "Share my phone"), (False, "Cancel")]
    client.send("12345")
    assert client.messages[-2].text == "A phone number has 11 digits, you typed 5."
    client.click("Share my phone")  # a contact button shares the contact
    assert client.state == "confirm"
    assert client.messages[-2].text == "Menu ⬇️", "the main keyboard comes back"
    assert [t for _, t in client.keyboard_buttons()] == ["Catalog", "Cart"]
    assert client.last.text == ("Email ann@example.com, phone +79991234567. Total 120. "
                                "Place the order?")
    client.click("Place order")
    assert client.state == "done" and client.last.text == "Order 1001 placed!"
    assert client.conversation.data["cart"] == {}, "on_enter ran"


def test_cancel_mid_checkout_keeps_the_cart(client):
    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus", "Add to cart", "Cart", "Check out"):
        client.click(label)
    client.click("Cancel")
    assert client.state == "cart" and client.conversation.data["cart"] == {"p1": 1}
    client.send("/cancel")
    assert client.state == "cart"


def test_failed_condition_changes_nothing(client):
    client.send("/start")
    client.click("Cart")
    empty_cart = client.last
    client.press(empty_cart, callback.encode("checkout"))
    assert client.state == "cart"
    assert answers(client.replies)


def test_unexpected_messages_keep_the_place(client):
    client.send("/start")
    client.click("Catalog")
    client.click("Fruit")
    for step in (client.send_sticker, client.send_photo, lambda: client.send("hello?"),
                 lambda: client.send("/unknown")):
        step()
        assert client.messages[-2].text == "Sorry, I did not get that. Use the buttons below."
        assert client.last.text == "CatalogFruit" and client.state == "catalog"
        assert client.conversation.params == {"node": "fruit"}


def test_an_action_that_raises_is_logged_and_the_user_keeps_their_place(client, caplog):
    from tests.engine.examples.mini import actions

    client.send("/start")
    for label in ("Catalog", "Fruit", "Citrus", "Add to cart", "Cart", "Check out"):
        client.click(label)
    client.send("a@b.co")
    client.share_contact()
    actions.FAILURES["place"] = True
    with caplog.at_level(logging.ERROR):
        replies = client.click("Place order")
    assert answers(replies)[0].text == "Sorry, something went wrong. Please try again."
    assert client.state == "confirm" and client.conversation.data["cart"] == {"p1": 1}
    record = next(r for r in caplog.records if r.exc_info)
    notes = "".join(getattr(record.exc_info[1], "__notes__", []))
    assert "action 'checkout.place'" in notes and "cart.yaml" in notes and "trigger 'place'" in notes
    assert "flow 'cart', state 'confirm'" in notes
    client.click("Place order")  # the failure was one-off: the retry works
    assert client.state == "done"


def test_the_same_update_twice_is_processed_once(client):
    from telebot import types

    client.send("/start")
    client.click("Catalog")
    client.click("Fruit")
    client.click("Citrus")
    update = {"update_id": 987654, "callback_query": {
        "id": "dup", "from": client.user, "chat_instance": "c",
        "data": callback.encode("add", {"product": "p1"}),
        "message": {"message_id": client.messages[-3].message_id, "date": 0,
                    "chat": {"id": client.user_id, "type": "private"}, "text": "x"}}}
    client.bot.process_new_updates([types.Update.de_json(update)])
    assert client.sender.answered["dup"] == "Added to cart"
    done = len(client.sender.actions)
    client.bot.process_new_updates([types.Update.de_json(update)])  # redelivered
    assert client.conversation.data["cart"] == {"p1": 1}
    assert client.sender.actions[done:] == [], "nothing done twice, not even the answer"


def test_a_state_gone_from_the_flows_resets_to_the_start(client):
    client.send("/start")
    conv = client.engine.store.acquire(client.user_id)
    conv.state = "removed_state"
    client.engine.store.save(conv)
    client.send("hello")
    assert client.state == "menu"
    assert "The bot was updated: starting over." in client.texts()


def test_users_do_not_share_state(make_client):
    ann, bob = make_client(1), make_client(2, first_name="Bob")
    ann.send("/start")
    bob.send("/start")
    ann.click("Catalog")
    assert ann.state == "catalog" and bob.state == "menu"
    assert bob.last.text == "Hello, Bob!"


def test_a_renamed_state_is_migrated_without_a_reset(mini_flows):
    from engine import ChatClient, Engine, MemoryStore, StubSender

    mini_flows.bot.renamed = {"old_menu": "menu"}
    client = ChatClient(Engine(mini_flows, MemoryStore(), StubSender()), 5, first_name="Ann")
    client.send("/start")
    conv = client.engine.store.acquire(5)
    conv.state = "old_menu"
    client.engine.store.save(conv)
    client.send("Catalog")
    assert client.state == "catalog"
    assert "The bot was updated: starting over." not in client.texts()


def test_a_database_failure_is_reported_for_a_retry_and_the_press_still_answered(client):
    from pymongo.errors import ServerSelectionTimeoutError

    client.send("/start")
    client.click("Catalog")
    store = client.engine.store

    def down(user_id):
        raise ServerSelectionTimeoutError("no server")

    original, store.acquire = store.acquire, down
    try:
        assert client.engine.handle(client.engine_event_for_test("Fruit")) is False
    finally:
        store.acquire = original
    assert client.engine.handle(client.engine_event_for_test("Fruit")) is True


def test_a_duplicate_is_not_answered_twice(client):
    from engine import callback

    client.send("/start")
    client.click("Catalog")
    message = client.last
    event = client.engine_event_for_test("Fruit")
    assert client.engine.handle(event) is True
    answers = len(client.sender.answered)
    event.callback_id = "another-id-same-update"
    assert client.engine.handle(event) is True
    assert len(client.sender.answered) == answers, "the first delivery answered it"
    assert callback.decode(event.data) == ("open", {"node": "fruit"}) and message


def test_a_global_transition_enters_afresh_without_the_current_params(client):
    """Issue 14.1: params are not carried across a transition that enters a state afresh."""
    client.send("/start")
    client.click("Catalog")
    client.click("Fruit")
    assert client.conversation.params == {"node": "fruit"}
    client.send("Catalog")  # the main keyboard: a global transition into the same state
    assert client.state == "catalog" and client.conversation.params == {"node": None}
    assert client.last.buttons[0] == ["Fruit", "Vegetables"]


def test_an_outdated_press_redraws_one_message_and_repeats_redraw_nothing(client, monkeypatch):
    from engine import runtime

    client.send("/start")
    client.click("Catalog")
    catalog = client.last
    client.click("Fruit")
    client.click("Citrus")  # a list: two product cards and a footer
    assert client.state == "products"

    def sent(actions) -> list:
        return [a for a in actions if a.kind in ("send", "edit")]

    first = client.click("Berries", message=catalog)  # 'open' is not a products trigger
    assert client.last_answer == "This button is outdated."
    assert [a.text for a in sent(first)] == ["Products in Citrus"]  # was 3: the cards again
    for _ in range(5):  # pressed again and again: the toast only
        again = client.click("Berries", message=catalog)
        assert sent(again) == [] and client.last_answer == "This button is outdated."
    later = time.time() + runtime.OUTDATED_QUIET + 1
    monkeypatch.setattr(runtime.time, "time", lambda: later)
    assert len(sent(client.click("Berries", message=catalog))) == 1  # a while later: redrawn
    assert client.state == "products"


NO_MAIN_KEYBOARD = """
bot:
  start: menu
  languages: [en]
states:
  menu:
    screen:
      text: menu.title
      buttons:
        - {label: a.go, trigger: go}
  ask:
    screen:
      text: ask.title
      keyboard:
        buttons:
          - {label: ask.back, trigger: back}
          - {label: ask.plain, trigger: plain}
    input: {kind: text, trigger: entered}
  plain:
    screen:
      text: plain.title
transitions:
  - {trigger: go, source: [menu, plain], dest: ask}
  - {trigger: back, source: ask, dest: "^"}
  - {trigger: plain, source: ask, dest: plain}
  - {trigger: entered, source: ask, dest: menu, toast: ask.thanks}
"""


def test_a_state_keyboard_is_taken_away_in_a_bot_without_a_main_keyboard(flow_dir):
    from engine import ChatClient, Engine, MemoryStore, StubSender
    from engine.render import RemoveKeyboard

    flows = flow_dir({"bot.yaml": NO_MAIN_KEYBOARD}, {
        "ask.title": "Type or go back", "ask.back": "« Back", "ask.plain": "Plain",
        "plain.title": "No buttons", "ask.thanks": "Thanks"})()
    sender = StubSender()
    client = ChatClient(Engine(flows, MemoryStore(), sender), 1, first_name="Ann")
    client.send("/start")
    client.click("Go")
    assert [t for _, t in client.keyboard_buttons()] == ["« Back", "Plain"]
    client.click("« Back")  # to a screen of inline buttons: a message of its own takes it
    assert client.state == "menu" and client.keyboard_buttons() == []
    removal, screen = client.messages[-2:]
    assert isinstance(removal.markup, RemoveKeyboard) and removal.text == "…"
    assert screen.text == "Menu" and screen.buttons == [["Go"]]
    client.send("« Back")  # the label is no button any more: the fallback, no keyboard again
    assert client.keyboard_buttons() == []
    assert not any(isinstance(m.markup, RemoveKeyboard) for m in client.messages[-1:])

    client.click("Go")
    client.click("Plain")  # to a screen without buttons: the screen itself takes it
    assert client.state == "plain" and client.keyboard_buttons() == []
    assert client.last.text == "No buttons" and isinstance(client.last.markup, RemoveKeyboard)

    client.send("/start")
    client.click("Go")
    client.send("hello")  # a notice first: the notice takes it
    assert client.state == "menu" and client.keyboard_buttons() == []
    thanks, screen = client.messages[-2:]
    assert thanks.text == "Thanks" and isinstance(thanks.markup, RemoveKeyboard)
    assert screen.buttons == [["Go"]]
    assert client.engine.store.peek(1).keyboard is None


def test_the_removal_message_says_the_bots_text_when_it_has_one(flow_dir):
    from engine import ChatClient, Engine, MemoryStore, StubSender

    flows = flow_dir({"bot.yaml": NO_MAIN_KEYBOARD}, {
        "ask.title": "Type or go back", "ask.back": "« Back", "ask.plain": "Plain",
        "plain.title": "No buttons", "ask.thanks": "Thanks",
        "engine.keyboard_removed": "OK"})()
    client = ChatClient(Engine(flows, MemoryStore(), StubSender()), 1, first_name="Ann")
    client.send("/start")
    client.click("Go")
    client.click("« Back")
    assert [m.text for m in client.messages[-2:]] == ["OK", "Menu"]


LOOP = """
bot:
  start: a
  languages: [en]
states:
  a:
    screen: {text: a.t, buttons: [{label: a.go, trigger: go}]}
  b:
    screen: {text: b.t, buttons: [{label: b.go, trigger: go}, {label: b.back, trigger: back}]}
  c:
    screen: {text: c.t, buttons: [{label: c.again, trigger: again}]}
transitions:
  - {trigger: go, source: a, dest: b}
  - {trigger: go, source: b, dest: c}
  - {trigger: again, source: c, dest: b}
  - {trigger: back, source: b, dest: "^"}
"""


def test_returning_to_a_place_in_the_history_cuts_the_history_back_to_it(flow_dir):
    """a -> b -> c -> b again: back from b is a (where b was entered from), not c (the
    cafe: a confirmation whose time was taken shows the times again; back is the dates)."""
    from engine import ChatClient, Engine, MemoryStore, StubSender

    flows = flow_dir({"bot.yaml": LOOP}, {"a.t": "A", "a.go": "To B", "b.t": "B",
                                          "b.go": "To C", "b.back": "Back", "c.t": "C",
                                          "c.again": "B again"})()
    client = ChatClient(Engine(flows, MemoryStore(), StubSender()), 1, first_name="Ann")
    client.send("/start")
    for label in ("To B", "To C", "B again"):
        client.click(label)
    assert client.state == "b" and [h["state"] for h in client.conversation.history] == ["a"]
    client.click("Back")
    assert client.state == "a" and client.conversation.history == []


def test_the_context_is_built_field_by_field(mini_flows):
    """The engine builds a Context positionally (cheaper than keywords): each field must
    get its own value, whatever order Context declares them in."""
    import dataclasses

    from engine import Engine, MemoryStore, StubSender
    from engine.context import Context
    from engine.events import Event
    from engine.store import Conversation

    services = object()
    engine = Engine(mini_flows, MemoryStore(), StubSender(), services=services)
    conv = Conversation(user_id=7, state="menu", params={"p": 1}, data={"d": 2}, page=3,
                        lang="en")
    event = Event(kind="text", user_id=7, chat_id=70, text="hi")
    ctx = engine._context(conv, event)
    expected = {"user_id": 7, "chat_id": 70, "state": "menu", "lang": "en", "data": {"d": 2},
                "params": {"p": 1}, "args": {}, "event": event, "page": 3,
                "services": services, "notices": [], "trigger": None,
                "catalog": mini_flows.catalog}
    assert {f.name for f in dataclasses.fields(Context)} == set(expected)
    assert {name: getattr(ctx, name) for name in expected} == expected
    assert ctx.data is not conv.data and ctx.params is not conv.params  # the update's copies
