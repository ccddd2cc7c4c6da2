"""``python run_api.py create-admin``: what it says, and that it says nothing else."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_password_says_so_rather_than_that_it_is_short(db, monkeypatch, capsys):
    """Empty standard input said "the password must have at least 8 characters"."""
    from api.admin import StaffAccount
    from api.admin.cli import create_admin

    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    for given in ("", "\n"):  # at its end, or an empty line
        monkeypatch.setattr("sys.stdin", io.StringIO(given))
        assert create_admin(["first@example.com"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("create-admin: no password given: set ADMIN_PASSWORD or type it")
        assert "at least" not in err and "nothing was created" in err
    assert StaffAccount.find("first@example.com") is None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert create_admin(["first@example.com"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_create_admin_builds_no_app_and_prints_none_of_its_warnings():
    """It printed "ADMIN_SECRET_KEY is not set..." and "API_TOKENS is empty..." first:
    run_api.py built the API's app on import."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ADMIN_", "API_"))}
    env.update(MONGO_URI="mongomock://localhost/createadmin", ADMIN_PASSWORD="long enough pw")
    result = subprocess.run([sys.executable, "run_api.py", "create-admin", "a@example.com"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2  # the embedded store: refused, as it says
    assert result.stderr.startswith("create-admin: MONGO_URI names the embedded"), result.stderr
    assert "API_TOKENS" not in result.stderr and "ADMIN_SECRET_KEY" not in result.stderr
    imported = subprocess.run([sys.executable, "-c", "import run_api; print('app' in "
                               "vars(run_api))"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60, check=False)
    assert imported.stdout.strip() == "False", imported.stderr
