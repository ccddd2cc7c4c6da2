"""Broadcasts: the sending rate under Telegram's limits, and the worker's memory as the
number of recipients grows.

    python bench/broadcast_bench.py                  # both parts (about 8 minutes)
    python bench/broadcast_bench.py --rate-only      # or --memory-only [--sizes 10000,200000]
    python bench/broadcast_bench.py --quick          # both, small

**Rate.** The fake Telegram server enforces Telegram's flood limits (30 messages a second
over all chats with a burst of 30, one a second per chat with a burst of 3: a 429 with
``retry_after`` beyond them). A worker (the one ``run_bot.py`` builds: 8 threads, the real
Bot API client over HTTP) sends one broadcast at ``BROADCAST_RATE`` (25, the default, then
30, the limit itself) and then, as a control, at 60, twice the limit, where the fake must
answer 429s and the worker must wait them out. Reported: the rate from the first send to
the last, the most sends in any one-second window, the 429s, and that every user got it
once. Then two broadcasts back to back to the same users: the least time between two
messages to one chat (Telegram: about a second). The embedded store holds the data.

**Memory.** For each size: that many users (one in 50 blocked) in a database in another
process, one broadcast, and a fresh worker process that splits the recipients, claims
batches, records every state and recounts at the end, with a transport that answers "sent"
at once (so the worker's own cost is measured, not the network's). Reported: resident memory
after start-up and at its peak (sampled every 50 ms, and the kernel's high-water mark for
the process, ``VmHWM``), and recipients per second. The database is the real server of
``MONGO_URI`` (MongoDB, or FerretDB v2: ``.ci/ferretdb.sh run python bench/...``); the
embedded store would live in the measured process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from engine.broadcast import SENT, BotApi, Message, Result, Worker  # noqa: E402
from faketelegram import FakeTelegram, RateLimits  # noqa: E402
from flows.broadcast import ShopQueue  # noqa: E402
from models import Broadcast, User  # noqa: E402

TELEGRAM = RateLimits(per_chat=1.0, per_chat_burst=3, overall=30.0, overall_burst=30)


# -- rate ------------------------------------------------------------------------------------
def make_users(tg, count: int, first: int = 1) -> list[int]:
    ids = list(range(first, first + count))
    User.objects.insert([User(telegram_id=i) for i in ids], load_bulk=False)
    for i in ids:
        tg.user(i).send("/start")  # a chat exists
    return ids


def worker(tg, rate: float, **options) -> Worker:
    queue = ShopQueue(tick=0.2)
    return Worker(queue, BotApi(tg.url, tg.token), rate=rate, threads=8, tick=0.2, poll=0.1,
                  **options)


def busiest_second(times: list[float]) -> int:
    """The most events in any window of one second."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate_run(rate: float, count: int) -> dict:
    """One broadcast to ``count`` users at ``rate`` against Telegram's limits."""
    models.connect(f"mongomock://localhost/rate{int(rate)}")
    with FakeTelegram(rate_limits=TELEGRAM) as tg:
        ids = make_users(tg, count)
        broadcast = Broadcast.compose("Скидки <b>всем</b>!")
        started = time.monotonic()
        worker(tg, rate).run_until_idle(timeout=count / min(rate, 30) * 4 + 60)
        elapsed = time.monotonic() - started
        calls = tg.calls(method="sendMessage")
        ok = sorted(c["time"] for c in calls if c.get("ok"))
        floods = sum(1 for c in calls if c.get("error_code") == 429)
        once = all(sum(1 for e in tg.transcript(i, actor="bot") if e["action"] == "send") == 1
                   for i in ids)
    broadcast.reload()
    return {"rate": rate, "count": count, "achieved": (len(ok) - 1) / (ok[-1] - ok[0]),
            "busiest": busiest_second(ok), "floods": floods, "once": once,
            "sent": broadcast.sent, "elapsed": elapsed}


def per_chat_run(count: int) -> dict:
    """Two broadcasts at once to the same users: the least gap between two sends to a chat."""
    models.connect("mongomock://localhost/perchat")
    with FakeTelegram(rate_limits=TELEGRAM) as tg:
        ids = make_users(tg, count)
        Broadcast.compose("first")
        Broadcast.compose("second")
        worker(tg, 25).run_until_idle(timeout=count / 10 + 60)
        gaps = []
        for i in ids:
            sends = [e["time"] for e in tg.transcript(i, actor="bot") if e["action"] == "send"]
            gaps.extend(b - a for a, b in zip(sends, sends[1:], strict=False))
        floods = sum(1 for c in tg.calls(method="sendMessage") if c.get("error_code") == 429)
    return {"count": count, "min_gap": min(gaps), "pairs": len(gaps), "floods": floods}


def rate_part(quick: bool) -> None:
    print("### Rate under Telegram's limits (fake server: 30/s overall, burst 30; "
          "1/s per chat, burst 3)\n")
    print("| BROADCAST_RATE | recipients | achieved msg/s | busiest second | 429s | "
          "each got it once | took |")
    print("|---:|---:|---:|---:|---:|---|---:|")
    for rate, count in ((25, 250), (30, 300), (60, 300)) if quick else \
            ((25, 1500), (30, 1800), (60, 900)):
        row = rate_run(rate, count)
        print(f"| {rate} | {count:,} | {row['achieved']:.1f} | {row['busiest']} | "
              f"{row['floods']} | {'yes' if row['once'] and row['sent'] == count else 'NO'} | "
              f"{row['elapsed']:.0f} s |", flush=True)
    row = per_chat_run(50 if quick else 200)
    print(f"\nTwo broadcasts at once to {row['count']} users at 25/s: the least time between two "
          f"messages to one chat {row['min_gap']:.2f} s ({row['pairs']} pairs), "
          f"{row['floods']} 429s.\n")


# -- memory ----------------------------------------------------------------------------------
class Instant:
    """A transport that answers every send with success at once (no network)."""

    def send(self, chat_id: int, message: Message) -> Result:
        return Result(SENT, message_id=1)

    def close(self) -> None:
        pass


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmHWM``: its peak; unlike ``ru_maxrss``, not
    inherited from the parent that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_child(uri: str) -> None:
    """In a fresh process: send the queued broadcast; print the measurements as JSON."""
    models.connect(uri)
    sender = Worker(ShopQueue(tick=0.5), Instant(), rate=1e6, threads=8, tick=0.5, poll=0.1)
    baseline = rss_mib()
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    sender.run_until_idle(timeout=6 * 3600)
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    broadcast = Broadcast.objects.get()
    print(json.dumps({"baseline": baseline, "peak": peak[0], "elapsed": elapsed,
                      "hwm": rss_mib("VmHWM"),
                      "sent": broadcast.sent, "total": broadcast.total}))


def fill(count: int) -> None:
    """``count`` users and one broadcast in a freshly emptied database (streamed in)."""
    import mongoengine

    database = mongoengine.get_db()
    for name in database.list_collection_names():
        database[name].delete_many({})
    users = User._get_collection()
    for start in range(1, count + 1, 5000):
        users.insert_many([{"_id": i, "language": "ru" if i % 3 else "en", "blocked": i % 50 == 0}
                           for i in range(start, min(count + 1, start + 5000))])
    Broadcast.compose("Скидки всем!")


def memory_database() -> tuple[str, str]:
    """(URI, description) of the real server of ``MONGO_URI``; exits with one line without."""
    import pymongo

    uri = os.environ.get("MONGO_URI", "")
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise SystemExit("the memory part needs a real server: MONGO_URI=mongodb://... or "
                         ".ci/ferretdb.sh run python bench/broadcast_bench.py --memory-only")
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        info = client.admin.command("buildInfo")
    finally:
        client.close()
    ferretdb = info.get("ferretdbVersion") or (info.get("ferretdb") or {}).get("version")
    if ferretdb:
        return uri, f"FerretDB {ferretdb} (PostgreSQL) at MONGO_URI"
    return uri, f"MongoDB {info.get('version')} at MONGO_URI"


def memory_part(sizes: list[int]) -> None:
    uri, description = memory_database()
    models.connect(uri)
    print(f"### Worker memory as recipients grow (instant transport; database: {description})\n")
    print("| recipients | RSS after start | peak RSS (sampled) | high-water mark | growth | "
          "recipients/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    try:
        for size in sizes:
            fill(size)
            out = subprocess.run([sys.executable, __file__, "--memory-child", uri],
                                 capture_output=True, text=True)
            if out.returncode:
                raise RuntimeError(f"the worker failed with {size:,} users:\n{out.stderr}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            assert row["sent"] == row["total"] == size - size // 50, row
            print(f"| {row['total']:,} | {row['baseline']:.1f} MiB | {row['peak']:.1f} MiB | "
                  f"{row['hwm']:.1f} MiB | {row['peak'] - row['baseline']:+.1f} MiB | "
                  f"{row['total'] / row['elapsed']:,.0f} |", flush=True)
    finally:
        models.disconnect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-only", action="store_true")
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke test")
    parser.add_argument("--sizes", help="recipients per memory run, comma-separated "
                        "(default 10000,50000,200000; --quick 2000,10000)")
    parser.add_argument("--memory-child", metavar="URI", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.machine()}\n")
    if not args.memory_only:
        rate_part(args.quick)
    if not args.rate_only:
        sizes = [int(s) for s in (args.sizes or ("2000,10000" if args.quick else
                                                   "10000,50000,200000")).split(",")]
        memory_part(sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
