"""The REST API over the shop's data: ``from api import create_app``.

``create_app(config=None)`` builds a Flask app serving ``/api/v1`` (news, categories,
products, users, orders), its OpenAPI document at ``/api/v1/openapi.json`` and an
offline docs page at ``/api/v1/docs``.
"""

from __future__ import annotations

from api.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
