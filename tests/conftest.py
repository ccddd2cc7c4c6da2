"""Shared fixtures: an empty embedded database per test, and the demo catalog on demand."""

from __future__ import annotations

import itertools

import pytest

import models

pytest_plugins = ["engine.replay.pytest_plugin"]

_names = itertools.count()


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
