"""The app factory, the health check, the embedded store's lock and the entry point."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import mongoengine

import models
from api import create_app

ROOT = Path(__file__).parents[2]


def test_the_factory_keeps_an_existing_connection(db):
    name = db.name
    create_app({"MONGO_URI": "mongomock://localhost/elsewhere", "API_TOKENS": ""})
    assert mongoengine.get_db().name == name


def test_the_factory_connects_when_nothing_is_connected(db):
    models.disconnect()
    try:
        app = create_app({"MONGO_URI": "mongomock://localhost/factory", "API_TOKENS": ""})
        assert mongoengine.get_db().name == "factory"
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        models.disconnect()
        models.connect(f"mongomock://localhost/{db.name}")


def test_each_app_is_independent(db):
    first = create_app({"API_TOKENS": "a"}).test_client()
    second = create_app({"API_TOKENS": "b"}).test_client()
    assert first.get("/api/v1/users", headers={"Authorization": "Bearer a"}).status_code == 200
    assert second.get("/api/v1/users", headers={"Authorization": "Bearer a"}).status_code == 401


def test_healthz(client, monkeypatch):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}

    def unreachable():
        raise mongoengine.ConnectionFailure("no server")

    monkeypatch.setattr(mongoengine, "get_db", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_requests_hold_the_embedded_stores_lock(client, monkeypatch, db):
    held = []

    @contextlib.contextmanager
    def serialised():
        held.append("enter")
        yield
        held.append("exit")

    monkeypatch.setattr(models, "serialised", serialised)
    assert client.get("/api/v1/news").status_code == 200
    assert held == ["enter", "exit"]
    monkeypatch.setattr(models, "is_embedded", lambda: False)
    assert client.get("/api/v1/news").status_code == 200
    assert held == ["enter", "exit"]  # a real server needs no lock


def test_trailing_slashes_and_options(client):
    assert client.options("/api/v1/products").status_code == 200
    assert "POST" in client.options("/api/v1/products").headers["Allow"]
    assert client.get("/api/v1/products/").status_code == 404


def test_run_api_builds_the_app_for_gunicorn(tmp_path):
    env = {**os.environ, "MONGO_URI": "mongomock://localhost/runapi", "API_DEMO": "1",
           "API_TOKENS": "t1,t2"}
    script = ("import run_api, models; c = run_api.app.test_client(); "
              "print(c.get('/api/v1/products').get_json()['total'], "
              "models.Product.objects.count(), "
              "c.get('/api/v1/users', headers={'Authorization': 'Bearer t2'}).status_code)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    total, stored, status = result.stdout.split()
    assert total == stored and int(total) >= 40 and status == "200"


def test_head_answers_like_get_without_a_body(client, demo):
    get = client.get("/api/v1/news")
    head = client.head("/api/v1/news")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
