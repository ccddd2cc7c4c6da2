"""Lifecycles in flow files: checked with the flows, every problem at its line."""

from __future__ import annotations

import pytest

from engine.errors import FlowError
from engine.lifecycle import load

BOT = """bot: {start: menu, languages: [en]}
states:
  menu:
    screen: {text: menu.title}
transitions:
  - {trigger: start, source: "*", dest: menu}
"""
CYCLE = """lifecycles:
  order:
    initial: new
    final: [done]
    roles: [staff]
    transitions:
      - {trigger: confirm, source: new, dest: confirmed, by: staff}
      - {trigger: finish, source: confirmed, dest: done, by: staff}
"""


def test_a_sound_lifecycle_loads_with_the_flows(flow_dir):
    flows = flow_dir({"bot.yaml": BOT, "order.yaml": CYCLE})()
    cycle = flows.lifecycles["order"]
    assert cycle.states == ["confirmed", "done", "new"]
    assert [c.trigger for c in cycle.allowed("new", "staff")] == ["confirm"]


@pytest.mark.parametrize(("broken", "expected"), [
    (CYCLE.replace("by: staff}\n      - {trigger: finish", "by: boss}\n      - {trigger: finish"),
     "order.yaml:7:9: lifecycles.order.transitions[0]: role 'boss' is not declared"),
    (CYCLE + "      - {trigger: reopen, source: lost, dest: new, by: staff}\n",
     "status 'lost' of lifecycle 'order' cannot be reached from 'new'"),
    (CYCLE.replace("dest: done", "dest: stuck"), "status 'stuck' of lifecycle 'order' is a "
                                                 "dead end"),
    (CYCLE + "      - {trigger: confirm, source: new, dest: done, by: staff}\n",
     "trigger 'confirm' from 'new' is declared twice; first at line 7"),
    (CYCLE + "      - {trigger: undo, source: done, dest: new, by: staff}\n",
     "'done' is final: no change may leave it"),
    (CYCLE.replace("dest: done, by: staff}", "dest: done, by: staff, after: shop.nothing}"),
     "order.yaml:8:9: lifecycles.order.transitions[1]: unknown action 'shop.nothing'"),
    (CYCLE.replace("dest: done, by: staff}", "dest: done, by: staff, note: maybe}"),
     "order.yaml:8"),
])
def test_mistakes_in_a_lifecycle_are_reported_at_their_line(flow_dir, broken, expected):
    with pytest.raises(FlowError) as err:
        flow_dir({"bot.yaml": BOT, "order.yaml": broken})()
    assert expected in str(err.value)


def test_the_shops_order_lifecycle_is_what_the_issue_asks():
    from pathlib import Path

    cycle = load(Path(__file__).resolve().parents[2] / "flows" / "order_lifecycle.yaml")["order"]
    path = ["new"]
    for trigger in ("confirm", "ship", "deliver"):
        path.append(cycle.find(path[-1], trigger=trigger, role="staff").dest)
    assert path == ["new", "confirmed", "shipped", "delivered"]
    assert {c.dest for c in cycle.allowed("new", "buyer")} == {"cancelled"}
    assert cycle.allowed("confirmed", "buyer") == []
    assert {"paid", "refunded"} <= set(cycle.states)


def test_an_event_is_recorded_only_after_the_last_change(db):
    """An event beside the changes (a refund asked again) would shift the history's n-th
    entry off the change to version n, which buyer notices read: only in a final state."""
    from bson import ObjectId

    from flows.order_lifecycle import lifecycle

    cycle = lifecycle()
    collection = db.get_collection("lifecycle_events")
    for status, allowed in (("paid", False), ("refunded", True)):
        doc_id = ObjectId()
        collection.insert_one({"_id": doc_id, "status": status, "version": 2,
                               "history": [{}, {}]})
        if allowed:
            assert cycle.record(collection, doc_id, role="staff", actor="M",
                                trigger="refund_again")
            assert len(collection.find_one({"_id": doc_id})["history"]) == 3
        else:
            with pytest.raises(ValueError, match="only in a final state"):
                cycle.record(collection, doc_id, role="staff", actor="M",
                             trigger="refund_again")
