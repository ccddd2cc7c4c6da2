"""``python -m engine fake-telegram`` / ``python -m faketelegram``: serve in the foreground.

The first line on stdout is ``listening on http://HOST:PORT`` (flushed at once), so a script
that started the server with ``--port 0`` can read which port it got.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .fake import DEFAULT_TOKEN, FakeTelegram
from .faults import FAULT_KINDS, FaultConfig, RateLimits

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    parser = argparse.ArgumentParser(
        prog="fake-telegram",
        description="A fake Telegram Bot API server for tests: /bot<token>/<method>, /control/...",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port; 0 picks a free one and prints it"
    )
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help=f"a bot token to accept (repeatable; default: {DEFAULT_TOKEN})",
    )
    parser.add_argument("--bot-username", default="fake_test_bot", help="the first bot's username")
    parser.add_argument(
        "--callback-timeout",
        type=float,
        default=15.0,
        help="seconds a callback query stays answerable",
    )
    parser.add_argument(
        "--precheckout-timeout",
        type=float,
        default=10.0,
        help="seconds a pre-checkout query stays answerable (default: 10, as Telegram)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        help="seconds each Bot API call (but getUpdates) takes, as Telegram's latency (0)",
    )
    limits = parser.add_argument_group("flood limits (off unless --rate-limit)")
    limits.add_argument(
        "--rate-limit", action="store_true", help="answer 429 above Telegram-like limits"
    )
    limits.add_argument(
        "--per-chat-rate", type=float, default=1.0, help="messages/s per chat (default: 1)"
    )
    limits.add_argument("--per-chat-burst", type=int, default=3, help="burst per chat (default: 3)")
    limits.add_argument(
        "--overall-rate", type=float, default=30.0, help="messages/s overall (default: 30)"
    )
    limits.add_argument("--overall-burst", type=int, default=30, help="burst overall (default: 30)")
    faults = parser.add_argument_group("fault injection (off unless --fault-rate > 0)")
    faults.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of requests that fail, 0..1"
    )
    faults.add_argument(
        "--fault-kinds",
        default="429,5xx,timeout,disconnect",
        help=f"comma-separated kinds among {', '.join(FAULT_KINDS)}, 5xx (default: %(default)s)",
    )
    faults.add_argument(
        "--fault-methods", default="", help="comma-separated methods to fail (default: all)"
    )
    faults.add_argument(
        "--fault-delay",
        type=float,
        default=5.0,
        help="seconds a timeout/slow fault holds a request",
    )
    faults.add_argument(
        "--retry-after", type=int, default=1, help="retry_after of injected 429s (default: 1)"
    )
    faults.add_argument(
        "--seed", type=int, default=0, help="random seed, for repeatable faults (default: 0)"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the fake Telegram until interrupted; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        fault_config = FaultConfig(
            rate=args.fault_rate,
            kinds=tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip()),
            methods=frozenset(m.strip() for m in args.fault_methods.split(",") if m.strip())
            or None,
            delay=args.fault_delay,
            retry_after=args.retry_after,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"fake-telegram: {exc}", file=sys.stderr)
        return 2
    limits = (
        RateLimits(args.per_chat_rate, args.per_chat_burst, args.overall_rate, args.overall_burst)
        if args.rate_limit
        else None
    )
    tokens = args.tokens or [DEFAULT_TOKEN]
    fake = FakeTelegram(
        tokens[0],
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        rate_limits=limits,
        faults=fault_config,
        callback_timeout=args.callback_timeout,
        delay=args.delay,
        precheckout_timeout=args.precheckout_timeout,
    )
    for token in tokens[1:]:
        fake.add_bot(token)
    try:
        fake.start()
    except OSError as exc:
        print(f"fake-telegram: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # terminate() stops it as cleanly as Ctrl-C
    print(f"listening on {fake.url}", flush=True)
    print(f"bot tokens: {', '.join(tokens)}", flush=True)
    fake.serve_forever()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
