"""The order's lifecycle (order_lifecycle.yaml) applied to orders, by staff, buyers and
payments alike: the bot, the staff chat and the API all change an order through here."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine import action
from engine.lifecycle import Lifecycle, TransitionRefused, load_checked
from models import Order, placing

__all__ = ["TransitionRefused", "change", "created", "lifecycle", "record", "resume"]


@cache
def lifecycle() -> Lifecycle:
    """The order's lifecycle, its actions resolved: the modules of flows/ that declare them
    are imported here, so every process that changes an order (the bot, the API and its
    admin, a worker, a command) runs them all; a name no module declares fails here, naming
    the action and its line (``create_app`` and the bot call this at start)."""
    return load_checked(Path(__file__).with_name("order_lifecycle.yaml"))["order"]


@action("orders.return_stock")
def return_stock(order: dict) -> None:
    """A cancelled or refunded order's units go back to stock, once."""
    placing.return_stock(order["_id"])


def _run_after(change, order: dict) -> None:
    actions = lifecycle().actions
    for name in change.after:
        actions[name](order)


def change(order_id, *, role: str, actor: str, trigger: str | None = None,
           dest: str | None = None, note: str | None = None,
           expect_version: int | None = None) -> Order:
    """Change an order's status (``trigger``, or the change to ``dest``) as ``role``;
    :class:`TransitionRefused` says why not and what is allowed now."""
    lifecycle().fire(Order._get_collection(), order_id, role=role, actor=actor,
                     trigger=trigger, dest=dest, note=note, expect_version=expect_version,
                     run_after=_run_after)
    return Order.objects.get(id=order_id)


def record(order_id, *, role: str, actor: str, trigger: str, note: str | None = None) -> bool:
    """Note in the order's history what is no change of its status (a refund Telegram refused,
    asked again): only after its last change, so an entry's place stays its version's (the
    buyer's notice of a change reads it there; flows/notify.py)."""
    return lifecycle().record(Order._get_collection(), order_id, role=role, actor=actor,
                              trigger=trigger, note=note)


def created(order_id) -> bool:
    """Run the lifecycle's actions for an order just placed (its staff card): once."""
    return lifecycle().created(Order._get_collection(), order_id, _run_after)


def resume() -> int:
    """Finish what changes interrupted by a crash left to do (housekeeping)."""
    return lifecycle().resume(Order._get_collection(), _run_after)
