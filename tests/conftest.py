"""Shared fixtures: an empty embedded database per test, and the demo catalog on demand."""

from __future__ import annotations

import itertools
import os

import pytest

import models

pytest_plugins = ["engine.replay.pytest_plugin"]

_names = itertools.count()


@pytest.fixture(autouse=True)
def _environment_put_back():
    """Whatever a test changes in ``os.environ`` (itself, or through code it calls, such as a
    command's ``main``) is put back after it: a leaked ``MONGO_URI`` once sent every later
    test's worker processes to the wrong database."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def db():
    """A fresh, empty embedded (mongomock) database, dropped after the test."""
    name = f"test{next(_names)}"
    models.connect(f"mongomock://localhost/{name}")
    import mongoengine

    database = mongoengine.get_db()
    yield database
    database.client.drop_database(name)
    models.disconnect()


@pytest.fixture
def demo(db):
    """The demo catalog loaded into the test database."""
    from models import demo as demo_module

    demo_module.load()
    return db
