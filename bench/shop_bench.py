"""The standard shop-menu flow: the engine against a hand-written telebot bot, side by side.

    python bench/shop_bench.py                            # in memory (a minute)
    .ci/ferretdb.sh run python bench/shop_bench.py --real # and on the real server (MONGO_URI)

Each user walks the same ten steps in both bots: /start, Catalog, a category, a product,
Add to cart twice (a toast; the card stays as it is), Back, Cart, Home, Catalog. telebot's
HTTP is answered in-process (the network stubbed; a sent message's id is its chat's, so
every press comes from the message on screen), and every Bot API call is counted. The
hand-written bot keeps its state in a dict (the floor) or, with --real, in a mongoengine
document it loads and saves per update; the engine in its memory store, or in MongoDB
shared (lease + compare-and-set) and exclusive (owned: one compare-and-set).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import telebot
from telebot import apihelper, types

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, MemoryStore, MongoStore, Registry, callback, load_flows  # noqa: E402
from engine.telegram import EngineBot, TelebotSender, attach  # noqa: E402

FLOW = """\
bot:
  start: menu
  languages: [en]
  commands: [{command: start, trigger: start}]
states:
  menu:
    screen:
      text: t.menu
      buttons:
        - row: [{label: t.catalog, trigger: catalog}, {label: t.cart, trigger: cart}]
  catalog:
    screen:
      text: t.catalog
      buttons:
        - row: [{label: t.c1, trigger: category, args: {cat: c1}},
                {label: t.c2, trigger: category, args: {cat: c2}}]
        - {label: t.home, trigger: home}
  category:
    params: [cat]
    screen:
      text: t.category
      buttons:
        - row: [{label: t.p1, trigger: product, args: {product: p1}},
                {label: t.p2, trigger: product, args: {product: p2}}]
        - row: [{label: t.back, trigger: back}, {label: t.cart, trigger: cart}]
  product:
    params: [product]
    screen:
      text: t.product
      buttons:
        - {label: t.add, trigger: add, args: {product: "{params.product}"}}
        - {label: t.back, trigger: back}
  cart:
    screen:
      text: t.cart_text
      buttons:
        - {label: t.home, trigger: home}
transitions:
  - {trigger: start, source: "*", dest: menu, reset_history: true}
  - {trigger: catalog, source: "*", dest: catalog}
  - {trigger: category, source: catalog, dest: category}
  - {trigger: product, source: category, dest: product}
  - {trigger: add, source: "*", dest: "=", after: cart.add, toast: t.added}
  - {trigger: cart, source: "*", dest: cart}
  - {trigger: home, source: "*", dest: menu, reset_history: true}
  - {trigger: back, source: "*", dest: "^"}
"""
TEXTS = {"engine.error": "Sorry", "engine.outdated": "Old", "engine.next": ">",
         "engine.previous": "<", "engine.more": "More", "engine.invalid": "Bad",
         "engine.reset": "Reset", "engine.keyboard": "Menu", "engine.unexpected": "?",
         "engine.foreign_contact": "No",
         "t.menu": "Welcome to the shop, {user.first_name}!", "t.catalog": "Catalog",
         "t.cart": "Cart", "t.c1": "Fruit", "t.c2": "Bakery", "t.home": "Home",
         "t.category": "Category {params.cat}", "t.p1": "Orange", "t.p2": "Bread",
         "t.back": "Back", "t.product": "<b>Product {params.product}</b>\nPrice: 120",
         "t.add": "Add to cart", "t.added": "Added to the cart",
         "t.cart_text": "Your cart: {data.cart} items"}
# (engine trigger and args, hand-written bot's callback data) of the nine presses
STEPS = [("catalog", {}, "catalog"), ("category", {"cat": "c1"}, "cat:c1"),
         ("product", {"product": "p1"}, "prod:p1"), ("add", {"product": "p1"}, "add:p1"),
         ("add", {"product": "p1"}, "add:p1"), ("back", {}, "back"), ("cart", {}, "cart"),
         ("home", {}, "home"), ("catalog", {}, "catalog")]
CALLS = {"n": 0}


class _Response:
    status_code = 200
    text = ""

    def __init__(self, payload: dict) -> None:
        self.payload = payload

    def json(self) -> dict:
        return self.payload


def stub_http() -> None:
    """Answer telebot's requests in-process; a sent message's id is its chat's id."""
    def sender(method, url, params=None, files=None, timeout=None, proxies=None):
        CALLS["n"] += 1
        name = url.rsplit("/", 1)[-1]
        if name in ("answerCallbackQuery", "deleteMessage"):
            return _Response({"ok": True, "result": True})
        chat = int((params or {}).get("chat_id", 1))
        return _Response({"ok": True, "result": {
            "message_id": chat, "date": 0, "chat": {"id": chat, "type": "private"},
            "text": (params or {}).get("text", "")}})
    apihelper.CUSTOM_REQUEST_SENDER = sender


def updates(users: int, engine: bool, base: int = 1) -> list:
    """Ten updates per user, interleaved across users."""
    out, uid = [], base * 10**6
    for step in range(10):
        for u in range(base, base + users):
            user = {"id": u, "is_bot": False, "first_name": "Ann"}
            chat = {"id": u, "type": "private"}
            uid += 1
            if step == 0:
                raw = {"update_id": uid, "message": {"message_id": uid, "date": 0, "chat": chat,
                                                     "from": user, "text": "/start"}}
            else:
                trigger, args, data = STEPS[step - 1]
                raw = {"update_id": uid, "callback_query": {
                    "id": str(uid), "from": user, "chat_instance": "c",
                    "data": callback.encode(trigger, args) if engine else data,
                    "message": {"message_id": u, "date": 0, "chat": chat, "text": "x"}}}
            out.append(types.Update.de_json(raw))
    return out


def _keyboard(*rows) -> types.InlineKeyboardMarkup:
    keyboard = types.InlineKeyboardMarkup()
    for row in rows:
        keyboard.row(*(types.InlineKeyboardButton(label, callback_data=data)
                       for label, data in row))
    return keyboard


class DictStates:
    """The floor's state: a dict."""

    def __init__(self) -> None:
        self.states: dict[int, dict] = {}

    def load(self, uid: int) -> dict:
        return self.states.setdefault(uid, {"screen": "menu", "history": [], "cart": 0})

    def save(self, uid: int, state: dict) -> None:
        pass


class DocumentStates:
    """A hand-written bot's usual persistence: a mongoengine document loaded and saved."""

    def __init__(self) -> None:
        import mongoengine as me

        class ShopState(me.Document):
            meta = {"collection": "hand_written_states"}
            id = me.IntField(primary_key=True)
            screen = me.StringField(default="menu")
            history = me.ListField(me.StringField())
            cat = me.StringField()
            cart = me.IntField(default=0)
        self.document = ShopState

    def load(self, uid: int):
        return self.document.objects(id=uid).first() or self.document(id=uid)

    def save(self, uid: int, state) -> None:
        state.save()


def hand_written(states) -> telebot.TeleBot:
    """The same shop by hand: one handler per press, a screen function per place."""
    bot = telebot.TeleBot("1:bench", threaded=False)
    get = (lambda s, k: s[k]) if isinstance(states, DictStates) else getattr
    put = (lambda s, k, v: s.__setitem__(k, v)) if isinstance(states, DictStates) else setattr

    def screen(state, name: str, user) -> tuple[str, types.InlineKeyboardMarkup]:
        if name == "menu":
            return (f"Welcome to the shop, {user.first_name}!",
                    _keyboard([("Catalog", "catalog"), ("Cart", "cart")]))
        if name == "catalog":
            return "Catalog", _keyboard([("Fruit", "cat:c1"), ("Bakery", "cat:c2")],
                                        [("Home", "home")])
        if name == "category":
            return (f"Category {get(state, 'cat')}",
                    _keyboard([("Orange", "prod:p1"), ("Bread", "prod:p2")],
                              [("Back", "back"), ("Cart", "cart")]))
        if name == "product":
            return ("<b>Product p1</b>\nPrice: 120",
                    _keyboard([("Add to cart", "add:p1")], [("Back", "back")]))
        return f"Your cart: {get(state, 'cart')} items", _keyboard([("Home", "home")])

    @bot.message_handler(commands=["start"])
    def on_start(message):
        state = states.load(message.from_user.id)
        put(state, "screen", "menu")
        put(state, "history", [])
        text, keyboard = screen(state, "menu", message.from_user)
        bot.send_message(message.chat.id, text, parse_mode="HTML", reply_markup=keyboard)
        states.save(message.from_user.id, state)

    @bot.callback_query_handler(func=lambda q: True)
    def on_press(query):
        uid, data = query.from_user.id, query.data
        state = states.load(uid)
        current = get(state, "screen")
        if data.startswith("add:"):
            put(state, "cart", get(state, "cart") + 1)
            states.save(uid, state)
            bot.answer_callback_query(query.id, "Added to the cart")  # the card stays
            return
        if data == "back":
            history = list(get(state, "history"))
            target = history.pop() if history else "menu"
            put(state, "history", history)
        else:
            target = {"catalog": "catalog", "cart": "cart", "home": "menu"}.get(
                data, "category" if data.startswith("cat:") else "product")
            if data.startswith("cat:"):
                put(state, "cat", data[4:])
            put(state, "history", [] if target == "menu" else [*get(state, "history"), current])
        put(state, "screen", target)
        text, keyboard = screen(state, target, query.from_user)
        bot.answer_callback_query(query.id)
        bot.edit_message_text(text, query.message.chat.id, query.message.message_id,
                              parse_mode="HTML", reply_markup=keyboard)
        states.save(uid, state)
    return bot


def engine_bot(flows, store) -> EngineBot:
    bot = EngineBot("1:bench", threaded=False)
    attach(bot, Engine(flows, store, TelebotSender(bot)).handle)
    return bot


def measure(make_bot, batch: list) -> tuple[float, float]:
    """(updates/s, Bot API calls per update) of one run."""
    bot = make_bot()
    CALLS["n"] = 0
    started = time.perf_counter()
    for update in batch:
        bot.process_new_updates([update])
    elapsed = time.perf_counter() - started
    return len(batch) / elapsed, CALLS["n"] / len(batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--real-users", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--real", action="store_true", help="also on MONGO_URI's server")
    args = parser.parse_args(argv)
    stub_http()
    logging.disable(logging.INFO)
    directory = Path(tempfile.mkdtemp())
    (directory / "bot.yaml").write_text(FLOW)
    registry = Registry()

    @registry.action("cart.add")
    def add(ctx) -> None:
        ctx.data["cart"] = ctx.data.get("cart", 0) + 1

    flows = load_flows(directory, registry=registry, texts={"en": TEXTS})
    rows = {"hand-written telebot, state in a dict (the floor)":
            (lambda: hand_written(DictStates()), False),
            "engine, memory store": (lambda: engine_bot(flows, MemoryStore()), True)}
    results: dict[str, list] = {name: [] for name in rows}
    for _ in range(args.repeats):  # interleaved, so that a busy moment hits every row
        for name, (make, is_engine) in rows.items():
            results[name].append(measure(make, updates(args.users, is_engine)))
    print(f"{args.users} users x 10 updates, median of {args.repeats} interleaved runs")
    floor = statistics.median(r[0] for r in results[next(iter(rows))])
    for name, runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        print(f"  {name:<52} {rate:>8.0f}/s {1e6 / rate:>6.1f} us  {rate / floor:.2f}x  "
              f"{runs[0][1]:.2f} calls/update", flush=True)
    if args.real:
        real(flows, args)
    return 0


def real(flows, args) -> None:
    import mongoengine
    import pymongo

    uri = os.environ["MONGO_URI"]
    mongoengine.connect(host=uri, alias="default")
    database = pymongo.MongoClient(uri).get_default_database("bench")
    conversations = database["bench_conversations"]
    hand = DocumentStates()
    stores = []

    def fresh(make):
        def build():
            conversations.drop()
            database["bench_conversations_owners"].drop()
            hand.document.drop_collection()
            return make()
        return build

    def store(**options):
        made = MongoStore(conversations, **options)
        stores.append(made)
        return made
    rows = {"hand-written telebot + mongoengine (load + save)":
            (fresh(lambda: hand_written(hand)), False),
            "engine, MongoStore shared (lease + compare-and-set)":
            (fresh(lambda: engine_bot(flows, store())), True),
            "engine, MongoStore exclusive (one compare-and-set)":
            (fresh(lambda: engine_bot(flows, store(exclusive=True))), True)}
    results: dict[str, list] = {name: [] for name in rows}
    for repeat in range(3):
        for name, (make, is_engine) in rows.items():
            results[name].append(measure(make, updates(args.real_users, is_engine, 1)))
            for made in stores:
                made.close()
    print(f"real server ({uri.split('@')[-1]}): {args.real_users} users x 10 updates, "
          "median of 3 interleaved runs")
    base = statistics.median(r[0] for r in results[next(iter(rows))])
    for name, runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        print(f"  {name:<52} {rate:>8.0f}/s {1e6 / rate:>7.1f} us  {rate / base:.2f}x  "
              f"{runs[0][1]:.2f} calls/update", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
