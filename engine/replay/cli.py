"""``python -m engine replay PATH...``: run scripts, print a summary and the coverage."""

from __future__ import annotations

import argparse
import sys

from engine.replay.runner import Runner, target_for
from engine.replay.script import ScriptError, find_scripts, load_script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine replay",
                                     description="Replay scripted conversations.")
    parser.add_argument("paths", nargs="+", help="script files or folders of *.yaml scripts")
    parser.add_argument("--target", help="module:attribute of the replay target "
                        "(default: from _replay.yaml beside the scripts)")
    parser.add_argument("--e2e", action="store_true", help="drive the real bot process through "
                        "the fake Telegram server instead of in-process")
    parser.add_argument("--min-coverage", type=float, default=None,
                        help="fail when fewer than this percentage of transitions were taken")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--log-level", default="CRITICAL",
                        help="the bot's log level while replaying (default: quiet)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    scripts = find_scripts(args.paths)
    if not scripts:
        print("no scripts found", file=sys.stderr)
        return 2
    try:
        target = args.target or target_for(scripts[0])
        loaded = [load_script(path) for path in scripts]
    except ScriptError as err:
        print(err, file=sys.stderr)
        return 2
    if args.e2e:
        from engine.replay.e2e import BotProcessError, EndToEnd

        try:
            session = EndToEnd(target)
        except BotProcessError as err:  # what is missing, said in a line: not a traceback
            print(f"replay --e2e: {err}", file=sys.stderr)
            return 2
        runner = session.runner()
    else:
        session, runner = None, Runner(target)
    failed = 0
    try:
        for script in loaded:
            result = runner.run(script)
            if result.ok:
                if not args.quiet:
                    print(f"PASS {script.file} ({result.steps} steps, "
                          f"{result.seconds * 1000:.0f} ms)")
            else:
                failed += 1
                print(f"FAIL {script.file}")
                for failure in result.failures:
                    print(failure)
    finally:
        if session is not None:
            session.close()
    coverage = session.coverage() if session is not None else runner.coverage
    print(f"{len(loaded) - failed} passed, {failed} failed")
    if coverage is not None:
        print(coverage.report())
        if args.min_coverage is not None and coverage.percent < args.min_coverage:
            print(f"coverage {coverage.percent:.1f}% is below --min-coverage {args.min_coverage}")
            return 1
    return 1 if failed else 0
