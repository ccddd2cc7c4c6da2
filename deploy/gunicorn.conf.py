"""Gunicorn settings for both apps: the bot's webhook (``run_bot:app``), the API (``run_api:app``).

    gunicorn -c deploy/gunicorn.conf.py run_bot:app      # GUNICORN_BIND=127.0.0.1:8001
    gunicorn -c deploy/gunicorn.conf.py run_api:app      # GUNICORN_BIND=127.0.0.1:8002

Sized for the seed's VM (1 vCPU, 1.7 GB) with MongoDB, nginx and the broadcast worker beside
the two apps; docs/benchmarks.md has the measured memory. The environment overrides:

    GUNICORN_BIND      address to listen on (nginx proxies to it)   127.0.0.1:8000
    WEB_CONCURRENCY    worker processes                             2
    GUNICORN_THREADS   threads per worker                           4
    GUNICORN_TIMEOUT   seconds a silent worker lives (nginx waits   60
                       as long for the webhook: proxy_read_timeout)
    GUNICORN_ACCESSLOG "-" logs every request (nginx already does,  off
                       and hides the webhook's secret path)
    LOG_LEVEL          the apps' and gunicorn's log level           info

Command-line options win over this file (``-b``, ``-w``), as always with gunicorn.
"""

from __future__ import annotations

import os

# -- workers ---------------------------------------------------------------------------------
# A webhook request mostly waits: on MongoDB (one read, one write) and on Telegram (one to
# three HTTPS calls of 50-300 ms each). Threads overlap that waiting at a few MB each, where
# processes cost 40-60 MB each (measured); two processes per app keep one serving while the
# other restarts (max_requests, a crash) and let the kernel use a second core where there is
# one. 2 x 4 threads = 8 updates in flight: `set-webhook --max-connections 8`.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Every worker imports the app itself: the apps open their MongoDB client while loading, and
# a pymongo client must not cross a fork. preload_app would share part of each worker's
# ~40 MB of app memory at first (less and less, as refcounting dirties the pages) and would
# need the clients reopened in post_fork; without it, `systemctl reload` (HUP) starts workers
# on new code, since the master never imports the apps.
preload_app = False

# -- time ------------------------------------------------------------------------------------
# An update may wait for its user's lease (up to 30 s, engine/store.py) and for Telegram's
# 429 retry_after; a worker silent for longer than this is killed and restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30  # requests in flight finish on stop/reload (systemd TimeoutStopSec > this)
keepalive = 2  # nginx opens one connection per request (no upstream keepalive): little to keep

# Recycle workers now and then, so that a slow leak (a cache, a C extension) cannot grow into
# the memory MongoDB needs; the jitter keeps both workers from restarting at the same moment.
max_requests = 2000
max_requests_jitter = 200

# The heartbeat file on tmpfs: a worker blocked on a slow disk is not taken for a hung one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# -- proxying ----------------------------------------------------------------------------------
# nginx on the same host sets X-Forwarded-Proto/For; trust them from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"
limit_request_line = 4094
limit_request_fields = 50

# Gunicorn 25.1+ opens a control socket at $HOME/.gunicorn/gunicorn.ctl by default: the bot's and
# the API's gunicorn (one user, one home) would take it from each other, and the hardened units
# make $HOME read-only. systemd's signals (reload = HUP) are how these are managed. (An unknown
# name is ignored by older gunicorn.)
control_socket_disable = True

# -- logging ---------------------------------------------------------------------------------
# One stream (stderr: systemd appends it to /var/log/tgshop/<app>.log, see deploy/systemd/),
# for gunicorn's messages and the apps' own: the engine logs one line per update at INFO, and
# under gunicorn nothing else would configure the root logger, so those lines would be lost.
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# (with logconfig_dict gunicorn logs access lines whatever `accesslog` says: the level of
# "gunicorn.access" below decides)
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "line",
                   "stream": "ext://sys.stderr"},
    },
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        # gunicorn's own handlers are replaced: its lines go to the root's one handler
        "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO" if accesslog else "WARNING", "handlers": [],
                            "propagate": True},
    },
}


def _setting(name: str) -> str | None:
    """``name`` as ``settings.load()`` will see it in the workers: the environment, else
    ./.env (the app's directory, where the units start gunicorn), else the ``.env`` that
    ``load_dotenv()`` finds (the first from the app's directory, above deploy/, upwards).

    Read here without importing the project: the master must not hold the apps' modules, or
    workers forked after a reload (HUP) would inherit the old code.
    """
    value = os.environ.get(name)
    if value is not None:
        return value
    from pathlib import Path

    app = Path(__file__).resolve().parent.parent
    found = next((folder / ".env" for folder in (app, *app.parents)
                  if (folder / ".env").is_file()), None)  # what load_dotenv() finds
    for candidate in (Path(".env"), found):
        if candidate is not None and candidate.is_file():
            from dotenv import dotenv_values

            value = dotenv_values(candidate).get(name)
            if value is not None:
                return value
    return None


def _embedded_store() -> bool:
    """Whether MONGO_URI (environment, else .env as settings.py reads it) is mongomock's."""
    uri = _setting("MONGO_URI")
    return not uri or uri.startswith("mongomock://")


def _exclusive() -> bool:
    """Whether BOT_EXCLUSIVE (environment, else .env, as settings.py reads it) is on: the
    words of engine.run.env.TRUE (a value that is no yes/no word stops the workers)."""
    return (_setting("BOT_EXCLUSIVE") or "").strip().lower() in ("1", "true", "yes", "on")


def on_starting(server) -> None:
    """Refuse the embedded store with several bot workers: each would keep its own state;
    and BOT_EXCLUSIVE=1 with several: each would wait for the users the other owns."""
    if server.cfg.workers < 2:
        return
    is_bot = "run_bot" in (server.cfg.wsgi_app or getattr(server.app, "app_uri", "") or "")
    if is_bot and _exclusive():
        raise SystemExit("gunicorn.conf.py: BOT_EXCLUSIVE=1 (environment or .env) means one "
                         "process serves the bot: run one worker (-w 1, with threads), or "
                         "leave BOT_EXCLUSIVE unset")
    if not _embedded_store():
        return
    message = ("MONGO_URI is the embedded in-memory store (mongomock), which every worker would "
               "hold on its own: set MONGO_URI=mongodb://... or run one worker (-w 1)")
    if is_bot:
        raise SystemExit(f"gunicorn.conf.py: {message}")
    server.log.warning(message)
