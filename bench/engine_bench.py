"""Engine throughput: updates/s through real telebot dispatch, stub sender, no network.

    python bench/engine_bench.py              # the default suite (a minute or two)
    python bench/engine_bench.py --quick      # smaller, for a smoke run
    MONGO_URI=mongodb://127.0.0.1:27017/bench python bench/engine_bench.py --real

Compares: bare telebot dispatch with the same stub sender (the floor), the engine with
an in-memory store, the engine with the embedded store (mongomock), and, with --real,
a real MongoDB-wire server. Then how the per-update cost moves from 1k to 1M stored
conversations (mongomock only to 10k: it scans) and from 10 to 1,000 states. Median of
repeated runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import mongomock
import telebot
from telebot import types

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, MemoryStore, MongoStore, Registry, callback, load_flows  # noqa: E402
from engine.telegram import EngineBot, attach  # noqa: E402

TEXTS = {"engine.error": "Sorry", "engine.outdated": "Old", "engine.next": "›",
         "engine.previous": "‹", "engine.more": "More", "engine.invalid": "Bad",
         "engine.reset": "Reset", "engine.keyboard": "Menu", "engine.unexpected": "?",
         "s.title": "Step {state} of the menu, {user.first_name}", "s.next": "Next",
         "s.back": "Back", "s.home": "Home"}


class _Response:
    status_code = 200

    def __init__(self, payload: dict) -> None:
        self.payload = payload
        self.text = ""  # telebot logs it

    def json(self) -> dict:
        return self.payload


def stub_http() -> None:
    """Answer telebot's HTTP requests in-process, as Telegram would: the network stubbed."""
    from telebot import apihelper

    counter = iter(range(1, 1 << 62))

    def sender(method, url, params=None, files=None, timeout=None, proxies=None):
        name = url.rsplit("/", 1)[-1]
        if name in ("answerCallbackQuery", "deleteMessage"):
            return _Response({"ok": True, "result": True})
        chat = int((params or {}).get("chat_id", 1))
        return _Response({"ok": True, "result": {
            "message_id": next(counter), "date": 0, "chat": {"id": chat, "type": "private"},
            "text": (params or {}).get("text", "")}})
    apihelper.CUSTOM_REQUEST_SENDER = sender


class NullSender:
    """Accepts everything instantly: the cost measured is the engine's, not the network's."""

    def __init__(self) -> None:
        self.n = 0

    def send(self, chat_id, text, photo, markup, parse_mode) -> int:
        self.n += 1
        return self.n

    def edit(self, *args) -> None:
        self.n += 1

    def delete(self, *args) -> None:
        pass

    def answer(self, *args) -> None:
        pass


def write_flow(directory: Path, states: int) -> None:
    lines = ["bot:", "  start: s0", "  languages: [en]", "states:"]
    for i in range(states):
        lines += [f"  s{i}:", "    screen:", "      text: s.title", "      buttons:",
                  "        - row: [{label: s.back, trigger: back}, {label: s.next, trigger: next}]",
                  "        - {label: s.home, trigger: home}"]
    lines.append("transitions:")
    for i in range(states):
        lines.append(f"  - {{trigger: next, source: s{i}, dest: s{(i + 1) % states}}}")
    lines += ["  - {trigger: back, source: '*', dest: '^'}",
              "  - {trigger: home, source: '*', dest: s0}",
              "  - {trigger: start, source: '*', dest: s0}"]
    (directory / "bot.yaml").write_text("\n".join(lines) + "\n")
    (directory / "bot.yaml").write_text((directory / "bot.yaml").read_text().replace(
        "  languages: [en]", "  languages: [en]\n  commands: [{command: start, trigger: start}]"))


def updates(users: int, per_user: int, base_user: int = 1) -> list:
    """``per_user`` updates per user, interleaved: /start, then 'next' clicks."""
    out, uid = [], 1
    data = callback.encode("next")
    for step in range(per_user):
        for u in range(base_user, base_user + users):
            user = {"id": u, "is_bot": False, "first_name": "U"}
            chat = {"id": u, "type": "private"}
            if step == 0:
                raw = {"update_id": uid, "message": {"message_id": uid, "date": 0, "chat": chat,
                                                     "from": user, "text": "/start"}}
            else:
                raw = {"update_id": uid, "callback_query": {
                    "id": str(uid), "from": user, "chat_instance": "c", "data": data,
                    "message": {"message_id": 1, "date": 0, "chat": chat, "text": "x"}}}
            out.append(types.Update.de_json(raw))
            uid += 1
    return out


def run(bot: telebot.TeleBot, batch: list) -> float:
    started = time.perf_counter()
    for update in batch:
        bot.process_new_updates([update])
    return len(batch) / (time.perf_counter() - started)


def _keyboard() -> types.InlineKeyboardMarkup:
    keyboard = types.InlineKeyboardMarkup()
    keyboard.row(types.InlineKeyboardButton("Back", callback_data="back"),
                 types.InlineKeyboardButton("Next", callback_data="next"))
    keyboard.row(types.InlineKeyboardButton("Home", callback_data="home"))
    return keyboard


def bare_bot() -> telebot.TeleBot:
    """A hand-written telebot bot with the same screens, its state in a plain dict."""
    bot = telebot.TeleBot("1:bench", threaded=False)
    state: dict[int, int] = {}

    @bot.message_handler(content_types=["text"])
    def on_text(message):
        state[message.from_user.id] = 0
        bot.send_message(message.chat.id, f"Step s0 of the menu, {message.from_user.first_name}",
                         parse_mode="HTML", reply_markup=_keyboard())

    @bot.callback_query_handler(func=lambda q: True)
    def on_click(query):
        step = state[query.from_user.id] = (state.get(query.from_user.id, 0) + 1) % 10
        bot.edit_message_text(f"Step s{step} of the menu, {query.from_user.first_name}",
                              query.message.chat.id, query.message.message_id, parse_mode="HTML",
                              reply_markup=_keyboard())
        bot.answer_callback_query(query.id)
    return bot


def engine_bot(flows, store, null: bool = False) -> EngineBot:
    from engine.telegram import TelebotSender

    bot = EngineBot("1:bench", threaded=False)
    engine = Engine(flows, store, NullSender() if null else TelebotSender(bot))
    attach(bot, engine.handle)
    return bot


def median_rate(make_bot, batch_factory, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        bot = make_bot()
        rates.append(run(bot, batch_factory()))
    return statistics.median(rates)


def memory_filled(flows, count: int) -> EngineBot:
    store = MemoryStore()
    blob = MemoryStore()
    conv = blob.acquire(1)
    conv.state = "s1"
    blob.save(conv)
    for i in range(count):
        store.docs[10_000_000 + i] = blob.docs[1]
    return engine_bot(flows, store)


def prefill(collection, count: int, have: int = 0) -> None:
    """Store conversations ``have`` .. ``count`` - 1 (in chunks: a million does not fit one
    message to the server)."""
    for start in range(have, count, 20_000):
        collection.insert_many([{"_id": 10_000_000 + i, "state": "s1", "data": {}, "v": 1,
                                 "lease": None} for i in range(start, min(count, start + 20_000))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--real", action="store_true", help="also a real server (MONGO_URI)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--real-max", type=int, default=1_000_000,
                        help="the most stored conversations to try on the real server")
    args = parser.parse_args(argv)
    import logging

    stub_http()
    logging.disable(logging.INFO)
    users, per_user = (200, 10) if args.quick else (1000, 10)
    repeats = 3 if args.quick else args.repeats
    tmp = Path(tempfile.mkdtemp())
    for states in (10, 1000):
        (tmp / str(states)).mkdir()
        write_flow(tmp / str(states), states)
    registry = Registry()
    flows10 = load_flows(tmp / "10", registry=registry, texts={"en": TEXTS})
    flows1000 = load_flows(tmp / "1000", registry=registry, texts={"en": TEXTS})
    batch = lambda: updates(users, per_user)  # noqa: E731
    print(f"{users} users x {per_user} updates, median of {repeats} runs; telebot's HTTP "
          "answered in-process")
    rows = [("bare telebot, state in a dict (the floor)", median_rate(bare_bot, batch, repeats)),
            ("engine, memory store", median_rate(lambda: engine_bot(flows10, MemoryStore()),
                                                 batch, repeats)),
            ("engine alone (memory store, null sender)",
             median_rate(lambda: engine_bot(flows10, MemoryStore(), null=True), batch, repeats)),
            ("engine, embedded store (mongomock)",
             median_rate(lambda: engine_bot(flows10, MongoStore(mongomock.MongoClient().db.c)),
                         batch, repeats))]
    real = None
    if args.real:
        import pymongo

        uri = os.environ["MONGO_URI"]
        client = pymongo.MongoClient(uri)
        real = client.get_default_database("bench").conversations

        def real_bot():
            real.drop()
            return engine_bot(flows10, MongoStore(real))
        rows.append(("engine, real server (MONGO_URI), 200 users",
                     median_rate(real_bot, lambda: updates(200, 5), repeats)))
    floor = rows[0][1]
    for name, rate in rows:
        print(f"  {name:<45} {rate:>9.0f}/s  {1e6 / rate:>7.1f} us/update  "
              f"(+{1e6 / rate - 1e6 / floor:.1f} us over the floor)", flush=True)

    print("scaling (us/update):")
    small = 200 if args.quick else 1000
    few = lambda: updates(small, 5)  # noqa: E731
    for label, flows in (("10 states", flows10), ("1,000 states", flows1000)):
        rate = median_rate(lambda f=flows: engine_bot(f, MemoryStore()), few, repeats)
        print(f"  memory store, {label:<14} {1e6 / rate:>7.1f}")
    filled = 0  # conversations stored on the real server so far: each size adds the difference
    for stored in ((1_000, 10_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)):
        def mongomock_bot(n=stored):
            collection = mongomock.MongoClient().db.c
            prefill(collection, n)
            return engine_bot(flows10, MongoStore(collection))
        if stored <= 10_000:  # mongomock scans the collection per query: 100k takes minutes
            rate = median_rate(mongomock_bot, lambda: updates(100, 5), 1)
            print(f"  mongomock, {stored:>7,} stored conversations  {1e6 / rate:>7.1f}",
                  flush=True)
        rate = median_rate(lambda n=stored: memory_filled(flows10, n), few, 1)
        print(f"  memory store, {stored:>7,} stored conversations  {1e6 / rate:>7.1f}",
              flush=True)
        if real is not None and stored <= args.real_max:
            if filled == 0:
                real.drop()
            prefill(real, stored, filled)
            filled = stored

            def real_filled():
                real.delete_many({"_id": {"$lt": 10_000_000}})  # the measured users start anew
                return engine_bot(flows10, MongoStore(real))
            rate = median_rate(real_filled, lambda: updates(100, 5), 1)
            print(f"  real server, {stored:>7,} stored conversations  {1e6 / rate:>7.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
