"""``python -m engine``: check, graph, replay, playground and fake-telegram."""

from __future__ import annotations

import argparse
import sys

from engine.errors import EngineError, FlowError


def _check(args) -> int:
    from engine.loader import load_flows

    try:
        flowset = load_flows(args.directory)
    except FlowError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s) found", file=sys.stderr)
        return 1
    counts = [_count(len(flowset.states), "state"),
              _count(len(flowset.transitions), "transition"),
              _count(len(flowset.bot.languages), "language")]
    print(f"{args.directory}: OK ({', '.join(counts)})")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _graph(args) -> int:
    from engine.graph import write
    from engine.loader import load_flows
    from engine.machine import CompiledFlows

    try:
        compiled = CompiledFlows(load_flows(args.directory))
    except FlowError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 1
    failed = 0
    for target in args.output:  # one picture that cannot be drawn does not stop the others
        try:
            print(f"wrote {write(compiled, target)}")
        except (EngineError, OSError) as err:
            print(f"not written: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _fake_telegram(argv: list[str]) -> int:
    from faketelegram import main

    return main(argv)


def _replay(argv: list[str]) -> int:
    from engine.replay.cli import main

    return main(argv)


def _playground(argv: list[str]) -> int:
    from engine.playground import main

    return main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "playground":
        return _playground(argv[1:])
    if argv and argv[0] == "fake-telegram":
        return _fake_telegram(argv[1:])
    if argv and argv[0] == "replay":
        return _replay(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m engine",
                                     description="Tools for YAML conversation flows: check, "
                                     "graph, replay, playground, fake Telegram.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check the flows; print every problem as file:line:col")
    check.add_argument("directory", nargs="?", default="flows")
    check.set_defaults(run=_check)
    graph = sub.add_parser("graph", help="draw the flows (.mmd always; .svg/.png need Graphviz)")
    graph.add_argument("directory", nargs="?", default="flows")
    graph.add_argument("-o", "--output", action="append", required=True,
                       help="a .mmd, .dot, .svg or .png file (repeatable)")
    graph.set_defaults(run=_graph)
    sub.add_parser("replay", help="replay scripted conversations (see --help after it)")
    sub.add_parser("playground", help="chat with the flows in the browser (see --help after it)")
    sub.add_parser("fake-telegram", help="run the fake Telegram Bot API server")
    args = parser.parse_args(argv)
    return args.run(args)
