"""Benchmark of the REST API under gunicorn on loopback: list and detail requests.

    python bench/api_bench.py [--workers 2] [--concurrency 4] [--duration 5]

Starts ``gunicorn run_api:app`` on 127.0.0.1 with the demo catalog: in the embedded store
by default (``API_DEMO=1`` with ``--preload``, so every worker forks the same copy), or
with ``--mongo-uri`` in a real MongoDB (loaded once by ``python -m models.demo`` first; no
``--preload``: a MongoDB client must not cross a fork). Then, per scenario, it keeps
``--concurrency`` client threads sending requests for ``--duration`` seconds (one
connection per request, as gunicorn's sync workers close it) and prints requests/s,
p50/p99 latency and the workers' resident memory as a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"


@dataclass
class Result:
    name: str
    path: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, path: str, token: bool = False) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if request(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command may contain spaces: the fields after the last ')' are fixed
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(name: str, port: int, path: str, concurrency: int, duration: float,
        token: bool = False) -> Result:
    for _ in range(20):  # warm up
        request(port, path, token)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client() -> None:
        mine, bad = [], 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            status, _ = request(port, path, token)
            mine.append(time.perf_counter() - start)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, path, len(latencies), errors[0], time.monotonic() - started, latencies)


def scenarios(port: int) -> list[tuple[str, str, bool]]:
    status, body = request(port, "/api/v1/products?page_size=1&sort=price")
    product = json.loads(body)["items"][0]["id"]
    tree = json.loads(request(port, "/api/v1/categories/tree")[1])["items"]
    electronics = next(c["id"] for c in tree if c["slug"] == "electronics")
    return [
        ("products list (20 per page)", "/api/v1/products?page_size=20", False),
        ("products list, filtered", f"/api/v1/products?category={electronics}&in_stock=true"
                                    "&sort=-price", False),
        ("product detail", f"/api/v1/products/{product}", False),
        ("categories tree (19)", "/api/v1/categories/tree", False),
        ("news list", "/api/v1/news", False),
        ("users list (token)", "/api/v1/users", True),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--mongo-uri", default="mongomock://localhost/bench")
    args = parser.parse_args(argv)

    port = free_port()
    embedded = args.mongo_uri.startswith("mongomock://")
    env = {**os.environ, "MONGO_URI": args.mongo_uri, "API_TOKENS": TOKEN,
           "API_DEMO": "1" if embedded else ""}
    if not embedded:
        subprocess.run([sys.executable, "-m", "models.demo"], cwd=ROOT, env=env, check=True)
    command = [sys.executable, "-m", "gunicorn", *(["--preload"] if embedded else []),
               "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "run_api:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_ready(port, process)
        results = [run(name, port, path, args.concurrency, args.duration, token)
                   for name, path, token in scenarios(port)]
        workers = children(process.pid)
        worker_rss = [rss_mib(pid) for pid in workers]
        master_rss = rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)

    print(f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs, gunicorn "
          f"{args.workers} sync workers{' (--preload)' if embedded else ''}, "
          f"{args.concurrency} client threads, "
          f"{args.duration:g} s per scenario, store {args.mongo_uri.split(':')[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.rate:,.0f} | {result.percentile(50):.1f} | "
              f"{result.percentile(99):.1f} | {result.errors} |")
    print(f"\nworker RSS: {', '.join(f'{r:.0f}' for r in worker_rss)} MiB "
          f"(master {master_rss:.0f} MiB); mean latency "
          f"{statistics.mean(results[0].latencies) * 1000:.1f} ms for the first scenario")
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
