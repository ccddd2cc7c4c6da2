"""``python -m engine replay PATH...``: run scripts, print a summary and the coverage."""

from __future__ import annotations

import argparse
import sys

from engine.errors import FlowError
from engine.replay.runner import Runner, target_for
from engine.replay.script import ScriptError, find_scripts, load_script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine replay",
                                     description="Replay scripted conversations.")
    parser.add_argument("paths", nargs="+", help="script files or folders of *.yaml scripts")
    parser.add_argument("--target", help="module:attribute of the replay target "
                        "(default: from _replay.yaml beside the scripts, else the Application "
                        "of the flows directory the script names, or of --flows)")
    parser.add_argument("--flows", metavar="DIR", help="without a target: replay on this flows "
                        "directory's Application (default: the script's 'flows:')")
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
        loaded = [load_script(path) for path in scripts]
        target = args.target or _configured(scripts[0]) or _fallback(loaded[0], args.flows)
    except ScriptError as err:
        print(err, file=sys.stderr)
        return 2
    except FlowError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
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


def _configured(script_path) -> str | None:
    """The target ``_replay.yaml`` names in the script's folder or above, else None."""
    try:
        return target_for(script_path)
    except ScriptError:
        return None


def _fallback(script, flows: str | None):
    """No target configured: the Application of ``--flows`` or of the script's ``flows:``."""
    from pathlib import Path

    from engine.replay.fallback import application_target, flows_dir_of

    directory = Path(flows) if flows else flows_dir_of(script)
    if directory is None:
        raise ScriptError(f"{script.file}: no _replay.yaml with a 'target: module:attribute' "
                          "in its folder or above, no --target, and the script names no "
                          "'flows:' directory (give --flows DIR)")
    print(f"no target configured: replaying on the Application of {directory}",
          file=sys.stderr)
    return application_target(directory)
