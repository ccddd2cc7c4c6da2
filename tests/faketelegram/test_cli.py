"""The command line: ``python -m faketelegram`` serves in the foreground and stops cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from faketelegram import DEFAULT_TOKEN, main
from faketelegram.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_parser_defaults_and_options():
    args = build_parser().parse_args(
        ["--port", "0", "--token", "1:a", "--token", "2:b", "--rate-limit"]
    )
    assert (args.host, args.port, args.tokens, args.rate_limit) == (
        "127.0.0.1",
        0,
        ["1:a", "2:b"],
        True,
    )
    assert build_parser().parse_args([]).fault_rate == 0.0


def test_bad_fault_kind_is_an_error(capsys):
    assert main(["--fault-rate", "0.1", "--fault-kinds", "teapot"]) == 2
    assert "unknown fault kinds" in capsys.readouterr().err


def test_module_serves_until_terminated():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faketelegram",
            "--port",
            "0",
            "--log-level",
            "WARNING",
            "--token",
            "9:NINE",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        answer = requests.get(f"{match.group(1)}/bot9:NINE/getMe", timeout=5).json()
        assert answer["ok"] and answer["result"]["id"] == 9
        assert (
            requests.get(f"{match.group(1)}/bot{DEFAULT_TOKEN}/getMe", timeout=5).status_code == 401
        )
    finally:
        process.terminate()
        try:
            out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if stopping hangs
            process.kill()
            process.communicate()
            pytest.fail("the fake Telegram did not stop on SIGTERM")
    assert process.returncode == 0, err
