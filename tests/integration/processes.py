"""Real OS processes hitting the same server at the same moment.

:func:`run_together` starts one ``spawn`` process per call (a fresh interpreter: no
forked client sockets, as on a server running several workers), lets each connect, then
releases them all at once through a barrier. The work functions below are what each
process runs; they live in an importable module because ``spawn`` pickles them by name.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import models
from models import Cart, Counter, Order, OutOfStock, Product

START_TIMEOUT = 60  # seconds for every process to start, import and connect


def run_together(work, *calls: tuple, timeout: float = 90, threads: int = 1) -> list:
    """Run ``work(barrier, *args)`` for each ``args`` in ``calls``, each in its own process.

    The barrier waits for one party per process, or ``threads`` per process when each
    process has that many threads wait on it. Returns the results in the order of
    ``calls``; a process that raised fails the test with its traceback.
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(calls) * threads)
    results = ctx.Queue()
    processes = [ctx.Process(target=_child, args=(index, work, barrier, results, args),
                             name=f"{work.__name__}-{index}", daemon=True)
                 for index, args in enumerate(calls)]
    for process in processes:
        process.start()
    out: dict[int, object] = {}
    try:
        for _ in processes:
            try:
                index, ok, value = results.get(timeout=START_TIMEOUT + timeout)
            except queue.Empty:
                raise AssertionError(f"{work.__name__}: no answer within "
                                     f"{START_TIMEOUT + timeout}s") from None
            if not ok:
                raise AssertionError(f"{work.__name__} in process {index} failed:\n{value}")
            out[index] = value
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
    return [out[index] for index in range(len(calls))]


def _child(index, work, barrier, results, args) -> None:
    try:
        value = work(barrier, *args)
    except BaseException:  # reported to the parent, which fails the test with it
        results.put((index, False, traceback.format_exc()))
        barrier.abort()  # nobody waits for a process that is gone
    else:
        results.put((index, True, value))


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def click_add(barrier, uri: str, user_id: int, product_id: str, clicks: int,
              threads: int = 4) -> dict:
    """``clicks`` "+1" presses on one product for one user, from ``threads`` threads."""
    models.connect(uri)
    product = Product.objects.get(id=product_id)
    barrier.wait(timeout=START_TIMEOUT)

    def press(count: int) -> tuple[int, int, int]:
        added = refused = highest = 0
        for _ in range(count):
            try:
                quantity = Cart.for_user(user_id).add(product)
            except OutOfStock:
                refused += 1
            else:
                added += 1
                highest = max(highest, quantity)
        return added, refused, highest

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(press, _split(clicks, threads)))
    return {"added": sum(o[0] for o in outcomes), "refused": sum(o[1] for o in outcomes),
            "highest": max(o[2] for o in outcomes)}


def checkout(barrier, uri: str, user_ids: list[int]) -> list[tuple[str, object]]:
    """One checkout per round (user ``user_ids[round]``), every process's at the same moment."""
    models.connect(uri)
    outcomes: list[tuple[str, object]] = []
    for user_id in user_ids:
        cart = Cart.for_user(user_id)  # the cart on the shopper's screen, loaded before
        barrier.wait(timeout=START_TIMEOUT)
        try:
            order = Order.from_cart(cart)
        except OutOfStock as err:
            outcomes.append(("out_of_stock", err.items))
        else:
            outcomes.append(("ordered", order.number))
    return outcomes


def first_clicks(barrier, uri: str, user_id: int, product_ids: list[str],
                 threads: int) -> list[str]:
    """Per product: ``threads`` threads each press "+1" once, all processes' at once."""
    models.connect(uri)
    products = [Product.objects.get(id=product_id) for product_id in product_ids]

    def press_each() -> list[str]:
        outcomes = []
        for product in products:
            barrier.wait(timeout=START_TIMEOUT)
            try:
                Cart.for_user(user_id).add(product)
            except OutOfStock:
                outcomes.append("out_of_stock")
            else:
                outcomes.append("added")
        return outcomes

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(press_each) for _ in range(threads)]
        return [outcome for future in futures for outcome in future.result()]


def first_numbers(barrier, uri: str, names: list[str], threads: int) -> list[int]:
    """Per counter name: ``threads`` threads each take one number, all processes' at once."""
    models.connect(uri)

    def take_each() -> list[int]:
        numbers = []
        for name in names:
            barrier.wait(timeout=START_TIMEOUT)
            numbers.append(Counter.next(name))
        return numbers

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(take_each) for _ in range(threads)]
        return [number for future in futures for number in future.result()]


def place_quote(barrier, uri: str, user_id: int, quote: dict, threads: int) -> list[int]:
    """``threads`` threads place the same quote at once (a double press, a redelivery, two
    processes); returns the order numbers they got."""
    models.connect(uri)
    from models import Quote, placing

    def one(_: int) -> int:
        barrier.wait(timeout=START_TIMEOUT)
        return placing.place(user_id, Quote.from_dict(quote)).number

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(threads)))


def move_categories(barrier, uri: str, moves: list[tuple[str, str]]) -> list[str]:
    """Per round, move a category under another (as ``PATCH {"parent": ...}`` does), all
    processes at once; returns "moved" or "refused" per round."""
    models.connect(uri)
    from models import Category, TreeConflict

    outcomes = []
    for child, parent in moves:
        doc, new_parent = Category.objects.get(id=child), Category.objects.get(id=parent)
        doc.parent = new_parent
        barrier.wait(timeout=START_TIMEOUT)
        try:
            doc.save()
            outcomes.append("moved")
        except TreeConflict:
            outcomes.append("refused")
    return outcomes


def tree_race(barrier, uri: str, role: str, rounds: list[tuple[str, str]]) -> list[str]:
    """Per round (a category C, a category A): ``delete`` deletes C; ``move`` puts A under C;
    ``product`` creates a product in C; all processes at once. Returns each outcome."""
    models.connect(uri)
    from mongoengine import ValidationError

    from models import Category, CategoryNotEmpty, Product, TreeConflict

    outcomes = []
    for target, other in rounds:
        doc = Category.objects.get(id=target)
        moving = Category.objects.get(id=other)
        barrier.wait(timeout=START_TIMEOUT)
        try:
            if role == "delete":
                doc.delete()
            elif role == "move":
                moving.parent = doc
                moving.save()
            else:
                Product(name="P", category=doc, price=100).save()
            outcomes.append("done")
        except (CategoryNotEmpty, TreeConflict, ValidationError) as err:
            outcomes.append(type(err).__name__)
    return outcomes


def change_orders(barrier, uri: str, order_ids: list[str], trigger: str, actor: str,
                  threads: int) -> list[str]:
    """Per order, ``threads`` threads fire ``trigger`` at once (staff pressing the same button
    in the staff chat); returns "changed" or "refused" per attempt."""
    models.connect(uri)
    from bson import ObjectId

    from flows.order_lifecycle import TransitionRefused, change

    def one(order_id: str) -> str:
        barrier.wait(timeout=START_TIMEOUT)
        try:
            change(ObjectId(order_id), role="staff", actor=actor, trigger=trigger)
            return "changed"
        except TransitionRefused:
            return "refused"

    out = []
    with ThreadPoolExecutor(threads) as pool:
        for order_id in order_ids:
            out.extend(pool.map(one, [order_id] * threads))
    return out


def take_numbers(barrier, uri: str, name: str, count: int) -> list[int]:
    """``count`` numbers from counter ``name``, as fast as they come."""
    models.connect(uri)
    barrier.wait(timeout=START_TIMEOUT)
    return [Counter.next(name) for _ in range(count)]


def increment(barrier, uri: str, collection: str, count: int) -> int:
    """``count`` plain ``$inc`` of document 1 with pymongo; returns how many were acknowledged."""
    import pymongo

    client = pymongo.MongoClient(uri)
    try:
        documents = client.get_default_database()[collection]
        barrier.wait(timeout=START_TIMEOUT)
        return sum(documents.update_one({"_id": 1}, {"$inc": {"n": 1}}).modified_count
                   for _ in range(count))
    finally:
        client.close()


def engine_updates(barrier, uri: str, user_ids: list[int], per_user: int,
                   threads: int = 4, id_base: int = 0, store_class: str = "MongoStore") -> int:
    """Each thread sends ``/start`` ``per_user`` times for each user through a real engine
    (the engine's example bot, whose /start counts itself in the conversation's data) with
    its conversations in the server's ``conversations`` collection. ``id_base`` keeps the
    processes' update ids apart, as Telegram's are (an id seen twice is skipped)."""
    import itertools
    from pathlib import Path

    import engine.store
    import engine.testing

    engine.testing._updates = itertools.count(id_base + 1)
    from engine import ChatClient, Engine, StubSender, load_flows

    models.connect(uri)
    import mongoengine

    collection = mongoengine.get_db()["conversations"]
    store = getattr(engine.store, store_class)(collection)
    flows = load_flows(Path(__file__).resolve().parents[1] / "engine" / "examples" / "mini")
    bot = Engine(flows, store, StubSender())
    import threading

    lock = threading.Lock()  # the stub sender's dict is per process; guard it, not the store
    send = bot.sender.send

    def locked(*args, **kwargs):
        with lock:
            return send(*args, **kwargs)
    bot.sender.send = locked
    barrier.wait(timeout=START_TIMEOUT)

    def work(_: int) -> int:
        clients = [ChatClient(bot, uid) for uid in user_ids]
        for _ in range(per_user):
            for client in clients:
                client.send("/start")
        return per_user * len(clients)

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(work, range(threads)))


def send_broadcasts(barrier, uri: str, api_url: str, token: str, *, threads: int = 4,
                    batch_size: int = 10, rate: float = 300.0) -> str:
    """A broadcast worker sending through ``api_url`` until no broadcast has work left;
    returns the worker's name (the owner recorded on the batches it sent)."""
    models.connect(uri)
    from engine.broadcast import BotApi, Worker
    from flows.broadcast import ShopQueue

    queue = ShopQueue(batch_size=batch_size, lease=10.0, tick=0.2)
    worker = Worker(queue, BotApi(api_url, token, timeout=(1.0, 1.0)), rate=rate,
                    threads=threads, lease=10.0, tick=0.2, poll=0.1, backoff=(0.05, 0.3))
    barrier.wait(timeout=START_TIMEOUT)
    worker.run_until_idle(timeout=120)
    return queue.worker


# -- conversations owned by one process (engine/ownership.py) -------------------------------
EFFECT_FLOW = """\
bot:
  start: home
  languages: [en]
  commands: [{command: start, trigger: tick}]
states:
  home:
    screen: {text: t.home}
transitions:
  - {trigger: tick, source: "*", dest: "=", after: effect.count}
"""
EFFECT_TEXTS = {"engine.error": "Sorry", "engine.outdated": "Old", "engine.next": ">",
                "engine.previous": "<", "engine.more": "More", "engine.invalid": "Bad",
                "engine.reset": "Reset", "engine.keyboard": "Menu", "engine.unexpected": "?",
                "engine.foreign_contact": "No", "t.home": "Ticks: {data.n}"}


def effect_engine(uri: str, **store_options):
    """An engine whose one command has an effect outside the conversation (``$inc`` of the
    user's document in ``effects``, as a cart +1 is) and one inside it (``data.n``)."""
    import tempfile
    from pathlib import Path

    import pymongo

    from engine import Engine, MongoStore, Registry, StubSender, load_flows

    database = pymongo.MongoClient(uri).get_default_database()
    registry = Registry()

    @registry.action("effect.count")
    def count(ctx) -> None:
        database["effects"].update_one({"_id": ctx.user_id}, {"$inc": {"n": 1}})
        ctx.data["n"] = ctx.data.get("n", 0) + 1

    directory = Path(tempfile.mkdtemp())
    (directory / "bot.yaml").write_text(EFFECT_FLOW)
    flows = load_flows(directory, registry=registry, texts={"en": EFFECT_TEXTS})
    store = MongoStore(database["conversations"], **store_options)
    sender = StubSender()
    lock = threading.Lock()  # the stub's dicts are per process: guard them, not the store
    for name in ("send", "edit", "answer"):
        method = getattr(sender, name)
        setattr(sender, name, lambda *a, _m=method, **k: _locked(lock, _m, *a, **k))
    return Engine(flows, store, sender), database


def _locked(lock, method, *args, **kwargs):
    with lock:
        return method(*args, **kwargs)


def tick(engine, user_id: int, update_id: int) -> bool:
    """Deliver ``/start`` (update ``update_id``) of ``user_id`` to ``engine``."""
    from engine import Event

    return engine.handle(Event("command", user_id=user_id, chat_id=user_id,
                               update_id=update_id, text="/start", command="start",
                               user={"id": user_id, "first_name": "U"}))


def round_ids(round_: int, user_id: int, first: int, count: int) -> list[int]:
    return [round_ * 10**7 + user_id * 10**3 + i for i in range(first, first + count)]


def alternating_owners(barrier, uri: str, index: int, user_ids: list[int], rounds: int,
                       per_round: int, threads: int) -> dict:
    """Per round, process ``round % 2`` owns the users (an exclusive store, closed at the
    round's end) and delivers updates 0 .. per_round - 1 of each user; the other process, a
    shared store, delivers updates per_round / 2 .. 3 * per_round / 2 - 1 at the same time:
    half of them redeliveries of the owner's, half new. Each user's updates run in order on
    one thread of a process (as OrderedWorkers does)."""
    import itertools

    ok = itertools.count()
    barrier.wait(timeout=START_TIMEOUT)
    for round_ in range(rounds):
        owner = round_ % 2 == index
        engine, _ = effect_engine(uri, exclusive=owner, renew_seconds=0.5,
                                  grace_seconds=2.0, lease_seconds=10.0, wait_seconds=60.0)
        first = 0 if owner else per_round // 2

        def serve(users: list[int], engine=engine, first=first, round_=round_) -> None:
            for i in range(per_round):
                for user_id in users:
                    if tick(engine, user_id, round_ids(round_, user_id, first + i, 1)[0]):
                        next(ok)

        barrier.wait(timeout=START_TIMEOUT)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(serve, [user_ids[t::threads] for t in range(threads)]))
        engine.store.close()
        barrier.wait(timeout=START_TIMEOUT)
    return {"processed": next(ok)}


def owner_then_crash(barrier, uri: str, user_ids: list[int], per_user: int, machine: bool,
                     ttl_grace: float) -> None:
    """An exclusive store serves ``per_user`` updates per user, then the process dies with
    SIGKILL (no clean stop: its registration and owner marks stay behind). ``machine``
    False hides which machine it ran on, so only the registration's expiry tells it died."""
    import os
    import signal

    import engine.ownership

    if not machine:
        engine.ownership._machine = lambda: None
    bot, _ = effect_engine(uri, exclusive=True, renew_seconds=ttl_grace / 4,
                           grace_seconds=ttl_grace, lease_seconds=ttl_grace)
    barrier.wait(timeout=START_TIMEOUT)
    for i in range(per_user):
        for user_id in user_ids:
            assert tick(bot, user_id, round_ids(0, user_id, i, 1)[0])
    os.kill(os.getpid(), signal.SIGKILL)
