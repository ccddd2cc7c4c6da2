"""The flows compiled once into one ``transitions`` state machine for the whole bot.

No model is ever added to the machine: each update fires an event on a throw-away
object that holds the user's state, so there is one machine per bot (never one per
user, never ``add_model`` per user, which is O(n)) and firing is safe from any thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from transitions import Machine, MachineError

from engine import spec
from engine.errors import Invalid, UserError

# transitions logs every callback at INFO, which would drown the engine's one line per
# update; its warnings and errors still come through
logging.getLogger("transitions").setLevel(logging.WARNING)


class _Model:
    """A user's state for the duration of one event."""

    __slots__ = ("state", "fired")

    def __init__(self, state: str) -> None:
        self.state = state
        self.fired: spec.Transition | None = None


class _Event:
    """What the machine's callbacks read of its ``EventData``: the model and the ``ctx``."""

    __slots__ = ("model", "kwargs")

    def __init__(self, model: _Model, ctx) -> None:
        self.model, self.kwargs = model, {"ctx": ctx}


class Fired(NamedTuple):
    """What an event did: the transition taken (``None`` when every guard said no)."""

    transition: spec.Transition | None
    state: str


class CompiledFlows:
    """The machine of a bot and the table of which triggers each state accepts."""

    def __init__(self, flowset) -> None:
        self.flowset = flowset
        states = list(flowset.states)
        self.machine = Machine(model=None, states=states, initial=flowset.bot.start or None,
                               auto_transitions=False, send_event=True,
                               ignore_invalid_triggers=False)
        for state in flowset.states.values():
            for name in state.on_enter:
                self.machine.get_state(state.name).add_callback(
                    "enter", self._call("action", name, state.where, f"on_enter of {state.name}"))
        # transitions are tried in the order added: a state's own before the global ones
        ordered = [t for t in flowset.transitions if not t.is_global] + \
                  [t for t in flowset.transitions if t.is_global]
        self.accepts: dict[str, set[str]] = {name: set() for name in states}
        for t in ordered:
            source = "*" if t.is_global else t.source
            dest = None if t.dest in (spec.STAY, spec.BACK) else t.dest
            self.machine.add_transition(
                t.trigger, source, dest,
                conditions=[self._call("condition", n, t.where, t.label) for n in t.conditions],
                unless=[self._call("condition", n, t.where, t.label) for n in t.unless],
                before=[self._mark(t), *(self._call("action", n, t.where, t.label)
                                         for n in t.before)],
                after=[self._call("action", n, t.where, t.label) for n in t.after])
            for name in (states if t.is_global else t.source):
                self.accepts[name].add(t.trigger)
        self.direct = self._direct()

    def _direct(self) -> dict[tuple[str, str], tuple]:
        """(state, trigger) pairs the machine can only answer one way: one transition,
        unguarded, into a state without enter callbacks. Those are fired by calling the
        transition's callbacks in the machine's order (before, move, after) without its
        event dispatch, a third of the engine's time per update when profiled."""
        direct = {}
        for trigger, event in self.machine.events.items():
            for source, candidates in event.transitions.items():
                if len(candidates) != 1 or candidates[0].conditions:
                    continue
                tr = candidates[0]
                dest = tr.dest or source
                states = (self.machine.get_state(source), self.machine.get_state(dest))
                if tr.prepare or states[0].on_exit or states[1].on_enter:
                    continue
                direct[(source, trigger)] = (list(tr.before), dest, list(tr.after))
        return direct

    @staticmethod
    def _mark(transition: spec.Transition) -> Callable:
        def mark(event) -> None:
            event.model.fired = transition
        return mark

    def _call(self, kind: str, name: str, where: spec.Where | None, label: str) -> Callable:
        func = self.flowset.registry.get(kind, name).func

        def call(event):
            ctx = event.kwargs["ctx"]
            try:
                return func(ctx)
            except (UserError, Invalid):
                raise
            except Exception as err:
                state = self.flowset.states.get(ctx.state)
                err.add_note(f"in {kind} {name!r} of {label!r} at {where}; "
                             f"flow {state.flow if state else '?'!r}, state {ctx.state!r}, "
                             f"trigger {ctx.trigger!r}, user {ctx.user_id}")
                raise
        call.__name__ = f"{kind}:{name}"
        return call

    def accepts_trigger(self, state: str, trigger: str) -> bool:
        return trigger in self.accepts.get(state, ())

    def fire(self, state: str, trigger: str, ctx) -> Fired:
        """Fire ``trigger`` from ``state``: guards decide, actions run, the state moves."""
        model = _Model(state)
        direct = self.direct.get((state, trigger))
        if direct is not None:
            before, dest, after = direct
            event = _Event(model, ctx)
            for callback in before:
                callback(event)
            model.state = dest
            for callback in after:
                callback(event)
            return Fired(model.fired, dest)
        try:
            self.machine.events[trigger].trigger(model, ctx=ctx)
        except (KeyError, MachineError):
            return Fired(None, state)
        return Fired(model.fired, model.state)

    def edges(self) -> list[tuple[str, str, spec.Transition]]:
        """Every (source, dest, transition) of the compiled machine, as it runs.

        Read back from ``machine.events`` (not from the YAML) so the graph is the runtime
        graph; ``=`` stays and ``^`` goes back to every state that can lead here.
        """
        out = []
        for event in self.machine.events.values():
            for source, transitions in event.transitions.items():
                for tr in transitions:
                    spec_t = next((b.__closure__[0].cell_contents for b in tr.before
                                   if getattr(b, "__name__", "") == "mark"), None)
                    if spec_t is None:
                        continue
                    if spec_t.dest == spec.BACK:
                        for back in self._predecessors(source):
                            out.append((source, back, spec_t))
                    else:
                        out.append((source, tr.dest or source, spec_t))
        return out

    def _predecessors(self, state: str) -> list[str]:
        found = set()
        for t in self.flowset.transitions:  # a global way in is drawn from "any state" already
            if t.dest == state and not t.is_global:
                found.update(t.source)
        found.discard(state)
        return sorted(found)
