"""The real bot process under load, with Telegram's latency: updates/s and update-to-screen.

    .ci/ferretdb.sh run python bench/load_bench.py [--mode polling,webhook] [--users 1000]
        [--workers 1,4,16] [--delay 0.05] [--clients 64]

For each mode and worker count: the fake Telegram server in this process with ``--delay``
seconds per Bot API call, and the shop bot as its own process(es), demo catalog,
conversations on MONGO_URI's server in a fresh database:

- ``polling``: the polling code of ``run_bot.py`` with that many ordered worker threads,
  set as an operator does, ``BOT_WORKERS`` (owned conversations: polling is exclusive);
- ``webhook``: ``gunicorn -c deploy/gunicorn.conf.py run_bot:app`` as deployed (gthread),
  one process with that many threads and ``BOT_EXCLUSIVE=1`` (one process serves the bot:
  owned conversations, docs/scaling.md), the webhook set with ``run_bot.py set-webhook
  --max-connections`` equal to the threads, so the fake delivers that many updates at once
  (each chat's in order, as Telegram does). ``--processes N`` runs N gunicorn processes
  instead, sharing conversations through the lease (no BOT_EXCLUSIVE), with ``--workers``
  threads in total.

``--clients`` threads play the users, each user walking /start, /catalog, a category, the
next level, /cart, /catalog, a category, /start and waiting for each screen before the next
step (as a person does). Reported: sustained updates/s over the run, and per step the time
from the update being queued at the fake to the bot's screen (its send or edit) arriving
there: p50 and p99.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faketelegram import FakeTelegram  # noqa: E402

# the worker count comes from BOT_WORKERS, read by settings.load() as for run_bot.py
BOT = """\
import logging
import settings
from engine.run.poll import run_polling
from flows.shop import shop
logging.basicConfig(level=logging.WARNING)
run_polling(shop, settings.load(dotenv=False), demo=True, broadcasts=False)
"""
DEMO = """\
import settings
from engine import StubSender
from flows.shop import shop
shop.start(settings.load(dotenv=False), StubSender(), demo=True)
"""
SCREEN = {"sendMessage", "editMessageText", "sendPhoto", "editMessageMedia",
          "editMessageCaption", "editMessageReplyMarkup"}


def _screen(tg: FakeTelegram, user, timeout: float) -> None:
    """Wait for the bot's screen (not just the callback's answer) after the user's step."""
    for count in (1, 2, 3):
        actions = user.wait(count, timeout=timeout)
        if any(a.get("method") in SCREEN for a in actions):
            return


def walk(tg: FakeTelegram, uid: int, timeout: float) -> list[float]:
    """One user's eight steps; the seconds each took from sending to the screen."""
    user = tg.user(uid, first_name=f"U{uid}", language_code="en")
    steps = [lambda: user.send("/start"), lambda: user.send("/catalog"),
             lambda: user.click(position=0), lambda: user.click(position=0),
             lambda: user.send("/cart"), lambda: user.send("/catalog"),
             lambda: user.click(position=0), lambda: user.send("/start")]
    took = []
    for step in steps:
        started = time.perf_counter()
        step()
        _screen(tg, user, timeout)
        took.append(time.perf_counter() - started)
    return took


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_webhook(tg: FakeTelegram, workers: int, args, env: dict) -> subprocess.Popen:
    """The demo catalog loaded, gunicorn serving run_bot:app as deployed, the webhook set."""
    subprocess.run([sys.executable, "-c", DEMO], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    processes = args.processes or 1
    env.update(WEBHOOK_SECRET="load-bench-secret", GUNICORN_BIND=f"127.0.0.1:{port}",
               WEB_CONCURRENCY=str(processes),
               GUNICORN_THREADS=str(max(1, workers // processes)), LOG_LEVEL="warning")
    if processes == 1:
        env["BOT_EXCLUSIVE"] = "1"  # one process serves the bot: it owns conversations
    bot = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                            str(ROOT / "deploy" / "gunicorn.conf.py"), "run_bot:app"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 60
    while True:  # every worker loads the app: ask until one answers, then give them time
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if bot.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not come up:\n{bot.communicate()[1][-3000:]}")
        time.sleep(0.2)
    time.sleep(2 if processes > 1 else 0)
    subprocess.run([sys.executable, "run_bot.py", "set-webhook", f"http://127.0.0.1:{port}",
                    "--max-connections", str(workers)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return bot


def run(mode: str, workers: int, args, uri: str) -> dict:
    tg = FakeTelegram(delay=args.delay, webhook_timeout=90).start()
    database = f"load_{uuid.uuid4().hex[:8]}"
    base, _, query = uri.partition("?")
    env = {**os.environ, "BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
           "MONGO_URI": base.rsplit("/", 1)[0] + "/" + database + ("?" + query if query else "")}
    bot = None
    try:
        if mode == "webhook":
            bot = start_webhook(tg, workers, args, env)
        else:
            bot = subprocess.Popen([sys.executable, "-c", BOT], cwd=ROOT,
                                   env={**env, "BOT_WORKERS": str(workers)},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            tg.wait_polling(timeout=60)
        walk(tg, 1, 30)  # warm: the demo catalog loaded, the first pictures uploaded
        users = range(1000, 1000 + args.users)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            took = [t for steps in pool.map(lambda u: walk(tg, u, 60), users) for t in steps]
        elapsed = time.perf_counter() - started
    finally:
        errors = ""
        if bot is not None:
            bot.terminate()
            try:
                _, errors = bot.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
                _, errors = bot.communicate()
        tg.stop()
        import pymongo

        client = pymongo.MongoClient(env["MONGO_URI"])
        client.drop_database(database)
        client.close()
    took.sort()
    if "Traceback" in (errors or ""):
        print(errors[-2000:], file=sys.stderr)
    return {"updates/s": len(took) / elapsed, "p50": took[len(took) // 2] * 1000,
            "p99": took[int(len(took) * 0.99)] * 1000, "mean": statistics.mean(took) * 1000,
            "updates": len(took)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--clients", type=int, default=64, help="users at the same time")
    parser.add_argument("--mode", default="polling", help="polling, webhook, or both: "
                        "polling,webhook")
    parser.add_argument("--processes", type=int, default=0,
                        help="webhook: gunicorn processes sharing the conversations (default: "
                        "one, BOT_EXCLUSIVE=1)")
    args = parser.parse_args(argv)
    uri = os.environ["MONGO_URI"]
    for mode in args.mode.split(","):
        shape = ("polling bot process" if mode == "polling" else
                 f"gunicorn run_bot:app, {args.processes or 1} process(es) of gthread workers"
                 + ("" if args.processes > 1 else ", BOT_EXCLUSIVE=1"))
        print(f"{args.users} users x 8 steps, {args.clients} at a time, "
              f"{args.delay * 1000:.0f} ms per Bot API call; {shape}, real database", flush=True)
        for workers in (int(w) for w in args.workers.split(",")):
            r = run(mode, workers, args, uri)
            print(f"  {workers:>2} {'workers' if mode == 'polling' else 'threads'}: "
                  f"{r['updates/s']:7.1f} updates/s  p50 {r['p50']:6.1f} ms"
                  f"  p99 {r['p99']:7.1f} ms  ({r['updates']} updates)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
