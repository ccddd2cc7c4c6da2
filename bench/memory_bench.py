"""Memory of the production processes: the bot's webhook and the API under gunicorn, behind nginx.

    .ci/ferretdb.sh run python bench/memory_bench.py [--users 100] [--steps 10] [--worker]

Starts the stack of ``tests/deploy/stack.py`` (``deploy/gunicorn.conf.py`` as the systemd
units run it: 2 workers x 4 threads per app; nginx with the shipped routes; the fake
Telegram server delivering webhooks through nginx) on the database of ``MONGO_URI`` (a
real server: the workers share it), with the demo catalog. Then it measures each process's
resident memory (RSS) and proportional share (PSS: shared pages split among the processes
sharing them, so PSS adds up) three times: at start-up (each worker has loaded its app and
answered /healthz), after a first round of load, and after a second, equal round, which
shows whether memory still grows. A round is ``--users`` shoppers taking ``--steps`` random
steps each through the menus (buttons and the reply keyboard; every update through nginx
to the bot), while ``--api-threads`` clients read the API (lists, details, the OpenAPI
document) from its gunicorn directly (through nginx, its rate limit would answer most of
them). With ``--worker``, a ``run_bot.py worker`` (broadcasts) is measured too. Prints a
Markdown table; MongoDB itself is not measured (FerretDB is not it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.deploy.stack import (  # noqa: E402  (the checkout first on the path)
    API_TOKEN,
    Process,
    children,
    nginx_binary,
    request,
    running_stack,
)

BUDGET_MIB = 1.7 * 1024  # the seed's g1-small


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB, from /proc/PID/smaps_rollup (Linux 4.14+)."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1]) / 1024
    return values.get("Rss:", 0.0), values.get("Pss:", 0.0)


def snapshot(stack, worker: Process | None) -> dict[str, list[tuple[str, float, float]]]:
    """Per group (bot, API, nginx, worker): (process, RSS, PSS) of the master and its children."""
    groups: dict[str, list[tuple[str, float, float]]] = {}
    for process in stack.processes + ([worker] if worker else []):
        name = {"run_bot:app": "bot (gunicorn run_bot:app)", "run_api:app":
                "API (gunicorn run_api:app)"}.get(process.name, process.name)
        rows = [("master" if process.name != "worker" else "process", *memory(process.pid))]
        rows += [(f"worker {i + 1}", *memory(pid)) for i, pid in
                 enumerate(sorted(children(process.pid)))]
        groups[name] = rows
    return groups


def shopper_round(stack, users: range, steps: int, rng: random.Random) -> int:
    """Each user starts the bot and takes random steps; returns the updates sent."""
    from faketelegram import ControlError

    sent = 0
    for user_id in users:
        user = stack.fake.user(user_id, first_name=f"User{user_id}",
                               language_code=rng.choice(["ru", "en"]))
        user.send("/start")
        sent += 1
        stack.fake.wait_idle(timeout=30, quiet=0.0)
        for _ in range(steps - 1):
            inline = [m for m in user.messages()
                      if (m.get("reply_markup") or {}).get("inline_keyboard")]
            buttons = sum(len(row) for row in inline[-1]["reply_markup"]["inline_keyboard"]) \
                if inline else 0
            keyboard = [b.get("text") if isinstance(b, dict) else b
                        for row in (user.keyboard() or {}).get("keyboard", []) for b in row]
            try:
                if buttons and (rng.random() < 0.75 or not keyboard):
                    user.click(position=rng.randrange(buttons))
                elif keyboard:
                    user.press(rng.choice(keyboard))
                else:
                    user.send("/start")
            except ControlError:
                user.send("/start")
            sent += 1
            stack.fake.wait_idle(timeout=30, quiet=0.0)
    return sent


def api_load(port: int, stop: threading.Event, counter: list[int], rng: random.Random,
             interval: float) -> None:
    """Read the API until stopped, a request every ``interval`` seconds (0: back to back);
    ``counter[0]`` counts them. Straight to its gunicorn: through nginx, its rate limit
    (10/s per client address) would answer most of them itself."""
    paths = ["/api/v1/categories?page_size=50", "/api/v1/products?page_size=20",
             "/api/v1/products?page=2&page_size=20", "/api/v1/news", "/api/v1/categories/tree",
             "/api/v1/openapi.json"]
    products = json.loads(request(port, "GET", "/api/v1/products?page_size=100")[2])["items"]
    paths += [f"/api/v1/products/{p['id']}" for p in products[:20]]
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    while not stop.is_set():
        path = rng.choice(paths + ["/api/v1/users", "/api/v1/orders"])
        status = request(port, "GET", path,
                         headers=auth if "users" in path or "orders" in path else None)[0]
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        counter[0] += 1
        if interval:
            stop.wait(interval)


def load_round(stack, first_user: int, args, seed: int) -> tuple[int, int, float]:
    rng = random.Random(seed)
    stop, counter = threading.Event(), [0]
    interval = args.api_threads / args.api_rate if args.api_rate else 0.0
    threads = [threading.Thread(target=api_load, args=(stack.api_port, stop, counter,
                                                       random.Random(seed + i), interval),
                                daemon=True)
               for i in range(args.api_threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    updates = shopper_round(stack, range(first_user, first_user + args.users), args.steps, rng)
    while time.monotonic() - started < args.api_seconds:
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    return updates, counter[0], time.monotonic() - started


def table(snapshots: list[tuple[str, dict]]) -> str:
    heads = " | ".join(f"{label} RSS | {label} PSS" for label, _ in snapshots)
    lines = [f"| process | {heads} |", "|---|" + "---:|" * (2 * len(snapshots))]
    totals = [[0.0, 0.0] for _ in snapshots]
    for group, rows in snapshots[0][1].items():
        for index, (name, *_ignored) in enumerate(rows):
            cells = []
            for column, (_, snap) in enumerate(snapshots):
                rss, pss = snap[group][index][1:] if index < len(snap[group]) else (0.0, 0.0)
                totals[column][0] += rss
                totals[column][1] += pss
                cells.append(f"{rss:.0f} | {pss:.0f}")
            lines.append(f"| {group}: {name} | " + " | ".join(cells) + " |")
    lines.append("| **total (MiB)** | " + " | ".join(f"**{r:.0f}** | **{p:.0f}**"
                                                   for r, p in totals) + " |")
    return "\n".join(lines), totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/memory_bench.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="shoppers per round (100)")
    parser.add_argument("--steps", type=int, default=10, help="updates per shopper (10)")
    parser.add_argument("--api-threads", type=int, default=4, help="API clients (4)")
    parser.add_argument("--api-rate", type=float, default=50,
                        help="API requests per second, all clients together (50; 0: as fast "
                        "as they can)")
    parser.add_argument("--api-seconds", type=float, default=0,
                        help="keep the API busy at least this long per round (default: as "
                        "long as the shoppers take)")
    parser.add_argument("--worker", action="store_true",
                        help="also run and measure `run_bot.py worker` (broadcasts)")
    args = parser.parse_args(argv)
    # stopped by a signal: still stop the stack (the finally blocks run on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    uri = os.environ.get("MONGO_URI", "")
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        print("needs MONGO_URI=mongodb://... (the workers share the data): "
              "run it as `.ci/ferretdb.sh run python bench/memory_bench.py`", file=sys.stderr)
        return 2
    if nginx_binary() is None:
        print("needs nginx (apt-get install nginx)", file=sys.stderr)
        return 2
    import mongoengine

    import models
    from models import demo

    models.connect(uri)
    database = mongoengine.get_db()
    for name in database.list_collection_names():
        database[name].delete_many({})
    demo.load()
    worker = None
    with running_stack(uri) as stack:
        try:
            if args.worker:
                worker = Process("worker", [sys.executable, str(ROOT / "run_bot.py"), "worker"],
                                 stack.workdir / "worker.log", {**os.environ, **stack.bot_env})
                time.sleep(5)
                if not worker.alive():
                    print(f"run_bot.py worker exited:\n{worker.output()}", file=sys.stderr)
                    worker = None
            start = snapshot(stack, worker)
            first = load_round(stack, 100000, args, 1)
            after_first = snapshot(stack, worker)
            second = load_round(stack, 200000, args, 2)
            after_second = snapshot(stack, worker)
        finally:
            if worker is not None:
                worker.stop()
    text, totals = table([("start", start), ("after round 1", after_first),
                          ("after round 2", after_second)])
    print(f"## Memory of bot + API under gunicorn ({platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs)\n")
    print(f"Round 1: {first[0]} bot updates, {first[1]} API requests in {first[2]:.0f} s; "
          f"round 2: {second[0]} updates, {second[1]} requests in {second[2]:.0f} s.\n")
    print(text)
    steady_pss = totals[-1][1]
    print(f"\nSteady state (PSS, after round 2): {steady_pss:.0f} MiB of the "
          f"{BUDGET_MIB:.0f} MiB budget ({100 * steady_pss / BUDGET_MIB:.0f}%); "
          f"growth from round 1 to 2: {totals[-1][1] - totals[-2][1]:+.1f} MiB.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
