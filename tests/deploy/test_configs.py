"""The shipped configs in ``deploy/`` as the tools that will read them judge them: ``nginx -t``
on the sites installed in the distribution's nginx.conf, ``systemd-analyze verify`` on the
units, gunicorn on its config file, logrotate on its rules. Each test is skipped, with the
reason, where its tool is not installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.stack import (
    DEPLOY,
    ROOT,
    SNIPPETS,
    installed_sites_conf,
    installed_units,
    loopback_nginx_conf,
    nginx_test,
    self_signed_certificate,
)

LOCATION = re.compile(r"^\s*location\b", re.M)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None,
                                   reason="openssl is not installed (for a test certificate)")


def warnings(stderr: str) -> list[str]:
    """nginx's warnings, but the deprecation of ``listen ... http2`` (nginx 1.25.1+): that form
    is the one the distributions' nginx (1.22 in Debian 12, 1.24 in Ubuntu 24.04) knows."""
    return [line for line in stderr.splitlines()
            if "[warn]" in line and "http2" not in line]


@needs_openssl
def test_nginx_accepts_the_production_sites(nginx, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    conf = installed_sites_conf(tmp_path, cert, key)
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert not warnings(result.stderr), result.stderr


def test_nginx_accepts_the_loopback_variant(nginx, tmp_path):
    conf = loopback_nginx_conf(tmp_path, 18080, 18001, 18002)
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr
    assert not warnings(result.stderr), result.stderr


def test_one_source_of_routes():
    """Both servers include the same locations; no site defines a location of its own."""
    sites = DEPLOY / "nginx" / "sites"
    tls = (sites / "tgshop.conf").read_text()
    assert "include /etc/nginx/snippets/tgshop-locations.conf;" in tls
    assert not LOCATION.search(tls)
    stack = (Path(__file__).parent / "stack.py").read_text()
    assert 'include {SNIPPETS / "tgshop-locations.conf"}' in stack
    assert not LOCATION.search(stack.split("def loopback_nginx_conf")[1]
                               .split("def self_signed_certificate")[0])
    routes = (SNIPPETS / "tgshop-locations.conf").read_text()
    for location in ("location /telegram/", "location /api/", "location /admin/",
                     "location /admin/static/", "location = /healthz/bot",
                     "location = /healthz/api"):
        assert location in routes


def test_units_pass_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    units = installed_units(tmp_path)
    assert {u.name for u in units} >= {"tgshop-bot.service", "tgshop-api.service",
                                       "tgshop-worker.service", "tgshop.target"}
    result = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                            capture_output=True, text=True, timeout=120)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "tgshop" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_units_run_the_shipped_configs():
    bot = (DEPLOY / "systemd" / "tgshop-bot.service").read_text()
    api = (DEPLOY / "systemd" / "tgshop-api.service").read_text()
    worker = (DEPLOY / "systemd" / "tgshop-worker.service").read_text()
    for unit in (bot, api, worker):
        assert "EnvironmentFile=/etc/tgshop/tgshop.env" in unit
        assert "User=tgshop" in unit and "Restart=always" in unit
        assert "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit
    assert "gunicorn -c /opt/tgshop/app/deploy/gunicorn.conf.py run_bot:app" in bot
    assert "gunicorn -c /opt/tgshop/app/deploy/gunicorn.conf.py run_api:app" in api
    assert "run_bot.py worker" in worker
    # the ports nginx proxies to
    site = (DEPLOY / "nginx" / "sites" / "tgshop.conf").read_text()
    assert "GUNICORN_BIND=127.0.0.1:8001" in bot and "server 127.0.0.1:8001" in site
    assert "GUNICORN_BIND=127.0.0.1:8002" in api and "server 127.0.0.1:8002" in site


def _gunicorn_config(env: dict) -> dict:
    """The settings gunicorn reads from deploy/gunicorn.conf.py under ``env``."""
    code = ("import json, sys\n"
            "from gunicorn.app.wsgiapp import WSGIApplication\n"
            "sys.argv = ['gunicorn', '-c', sys.argv[1], 'run_api:app']\n"
            "app = WSGIApplication()\n"
            "c = app.cfg\n"
            "print(json.dumps({k: getattr(c, k) for k in ('bind', 'workers', 'threads', "
            "'worker_class_str', 'timeout', 'graceful_timeout', 'max_requests', "
            "'preload_app', 'forwarded_allow_ips')}))\n")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT",
                          "GUNICORN_CMD_ARGS")}
    done = subprocess.run([sys.executable, "-c", code, str(DEPLOY / "gunicorn.conf.py")],
                          env={**clean, **env}, capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=True)
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gunicorn_config_defaults_and_overrides():
    defaults = _gunicorn_config({})
    assert defaults["bind"] == ["127.0.0.1:8000"]
    assert defaults["workers"] == 2 and defaults["threads"] == 4
    assert defaults["worker_class_str"] == "gthread"
    assert defaults["preload_app"] is False
    assert defaults["timeout"] == 60 and defaults["graceful_timeout"] == 30
    assert defaults["max_requests"] > 0
    overridden = _gunicorn_config({"GUNICORN_BIND": "127.0.0.1:9001", "WEB_CONCURRENCY": "3",
                                   "GUNICORN_THREADS": "2"})
    assert overridden["bind"] == ["127.0.0.1:9001"]
    assert (overridden["workers"], overridden["threads"]) == (3, 2)


def test_gunicorn_refuses_the_embedded_store_with_several_bot_workers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "WEB_CONCURRENCY")}
    env.update(MONGO_URI="mongomock://localhost/shop", BOT_TOKEN="1:x", WEBHOOK_SECRET="s",
               GUNICORN_BIND="127.0.0.1:0")
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c",
                           str(DEPLOY / "gunicorn.conf.py"), "run_bot:app"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "embedded in-memory store" in done.stderr


def test_logrotate_rotates_the_service_logs(tmp_path):
    logrotate = shutil.which("logrotate") or (
        "/usr/sbin/logrotate" if os.access("/usr/sbin/logrotate", os.X_OK) else None)
    if logrotate is None:
        pytest.skip("logrotate is not installed")
    logs = tmp_path / "tgshop"
    logs.mkdir()
    (logs / "bot.log").write_text("line\n" * 100)
    rules = (DEPLOY / "logrotate" / "tgshop").read_text()
    rules = rules.replace("/var/log/tgshop/", f"{logs}/").replace(
        "/var/log/mongodb/", f"{tmp_path}/mongodb/")
    conf = tmp_path / "tgshop.logrotate"
    conf.write_text(rules)
    conf.chmod(0o644)
    done = subprocess.run([logrotate, "-f", "-s", str(tmp_path / "state"), str(conf)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rotated = [p for p in logs.iterdir() if p.name.startswith("bot.log-")]
    assert rotated, sorted(p.name for p in logs.iterdir())
    assert (logs / "bot.log").stat().st_size == 0  # copytruncate: the open file goes on


def test_backup_script_is_valid_bash():
    done = subprocess.run(["bash", "-n", str(DEPLOY / "backup.sh")], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert os.access(DEPLOY / "backup.sh", os.X_OK)
