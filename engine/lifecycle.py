"""Lifecycles: the states a document goes through (an order: new -> confirmed -> shipped ...),
declared in YAML beside the flows, checked with them, and changed by compare-and-set.

A flow file may declare ``lifecycles:``; each names the document's status field, its states,
the initial and final ones, the roles that may fire each transition, whether a note is
required, and actions to run after a change::

    lifecycles:
      order:
        field: status
        initial: new                  # or a list: [new, awaiting_payment]
        final: [delivered, cancelled]
        roles: [staff, buyer]
        after: orders.notify          # run after every change, and after a document is created
        transitions:
          - {trigger: confirm, source: new, dest: confirmed, by: staff}
          - {trigger: cancel, source: [new, confirmed], dest: cancelled, by: staff,
             note: required, after: orders.return_stock}

:meth:`Lifecycle.fire` changes one document in one conditional update (its status and
``version`` as read, so two people pressing at once cannot both succeed) and appends the
change to its ``history``; the ``after`` actions run once the change is written.
:meth:`Lifecycle.record` appends an event that is no change (a refund asked again) to the
history, the status and version left as they are.

A document created in the initial status carries ``after_pending`` from its creating write
(the shop's ``models.placing`` does); :meth:`Lifecycle.created` then runs the lifecycle's
own ``after`` actions for it, and :meth:`Lifecycle.resume` does after a crash.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from engine import spec
from engine.errors import EngineError, Problem
from engine.yamlpos import Located

NOTE_CHOICES = ("required", "optional", "none")
# called as observer(lifecycle, change, source status) after each change is written
# (replay coverage; ENGINE_COVERAGE_FILE in a bot process)
observers: list = []


def visible(value: str) -> bool:
    """Whether ``value`` shows anything: a character other than spaces, format (zero-width)
    and control characters."""
    return any(unicodedata.category(c) not in ("Cf", "Cc", "Zs", "Zl", "Zp") for c in value)


class TransitionRefused(EngineError):
    """The change is not allowed now: ``allowed`` lists (trigger, dest) that are."""

    def __init__(self, message: str, *, allowed: list[tuple[str, str]],
                 conflict: bool = False) -> None:
        super().__init__(message)
        self.allowed = allowed
        self.conflict = conflict  # True: someone else changed the document meanwhile


@dataclass
class Change:
    trigger: str
    source: list[str]
    dest: str
    roles: list[str]
    note: str = "optional"
    after: list[str] = field(default_factory=list)
    where: spec.Where | None = None


@dataclass
class Lifecycle:
    name: str
    status_field: str = "status"
    initial: str = ""
    # statuses a document may be created in besides ``initial`` (``initial: [new, unpaid]``)
    also_initial: list[str] = field(default_factory=list)
    final: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    where: spec.Where | None = None
    after: list[str] = field(default_factory=list)  # after every change, and on creation
    # the actions ``after`` names, resolved and checked by :func:`load_checked`
    actions: dict = field(default_factory=dict, repr=False)

    @property
    def initials(self) -> list[str]:
        """Every status a document may be created in (``initial`` first)."""
        return [self.initial, *self.also_initial] if self.initial else list(self.also_initial)

    def creation(self, status: str | None = None) -> Change:
        """The document's creation in ``status`` (an initial one), as a change (for its
        actions)."""
        return Change(trigger="create", source=[], dest=status or self.initial, roles=[],
                      after=list(self.after), where=self.where)

    def _all_after(self, change: Change) -> Change:
        return replace(change, after=[*change.after, *self.after]) if self.after else change

    def allowed(self, status: str, role: str | None = None) -> list[Change]:
        """The changes that may be fired from ``status`` (by ``role``, when given)."""
        return [c for c in self.changes if status in c.source
                and (role is None or role in c.roles)]

    def find(self, status: str, *, trigger: str | None = None, dest: str | None = None,
             role: str) -> Change:
        """The change ``trigger`` (or the one to ``dest``) from ``status`` that ``role`` may
        fire; :class:`TransitionRefused` naming the allowed ones otherwise."""
        for change in self.allowed(status, role):
            if (trigger is None or change.trigger == trigger) and \
                    (dest is None or change.dest == dest):
                return change
        allowed = [(c.trigger, c.dest) for c in self.allowed(status, role)]
        wanted = trigger or f"to {dest!r}"
        raise TransitionRefused(f"{self.name} in {status!r}: {wanted} is not allowed for "
                                f"{role}", allowed=allowed)

    def fire(self, collection, doc_id, *, role: str, actor: str, trigger: str | None = None,
             dest: str | None = None, note: str | None = None,
             expect_version: int | None = None, run_after=None) -> dict:
        """Apply one change to the document ``doc_id`` of ``collection`` (pymongo); return
        the document after it.

        One conditional update on the status and ``version`` read (or ``expect_version``,
        for an HTTP ``If-Match``): a concurrent change makes it fail with ``conflict``. The
        ``after`` actions are given to ``run_after(change, document)`` once it is written.
        """
        from pymongo import ReturnDocument

        doc = collection.find_one({"_id": doc_id})
        if doc is None:
            raise TransitionRefused(f"no {self.name} {doc_id}", allowed=[])
        status, version = doc.get(self.status_field), doc.get("version", 0)
        if expect_version is not None and expect_version != version:
            raise TransitionRefused(f"{self.name} {doc_id} changed since it was read",
                                    allowed=[(c.trigger, c.dest) for c in
                                             self.allowed(status, role)], conflict=True)
        change = self._all_after(self.find(status, trigger=trigger, dest=dest, role=role))
        note = (note or "").strip() or None
        if note is not None and not visible(note):
            note = None  # zero-width and format characters, spaces: no reason given
        if change.note == "required" and not note:
            raise TransitionRefused(f"{change.trigger} needs a note (a reason)",
                                    allowed=[(change.trigger, change.dest)])
        now = datetime.now(UTC).replace(tzinfo=None)
        entry = {"from": status, "to": change.dest, "trigger": change.trigger, "role": role,
                 "by": actor, "at": now, "note": note}
        done = collection.find_one_and_update(
            {"_id": doc_id, self.status_field: status,
             "$or": [{"version": version}] + ([{"version": None}] if version == 0 else [])},
            {"$set": {self.status_field: change.dest, "version": version + 1, "modified": now,
                      **({"after_pending": change.after} if change.after else {})},
             "$push": {"history": entry}}, return_document=ReturnDocument.AFTER)
        if done is None:
            fresh = collection.find_one({"_id": doc_id}) or {}
            raise TransitionRefused(
                f"{self.name} {doc_id} was changed by someone else meanwhile (now "
                f"{fresh.get(self.status_field)!r})", conflict=True,
                allowed=[(c.trigger, c.dest)
                         for c in self.allowed(fresh.get(self.status_field), role)])
        for observer in list(observers):
            observer(self, change, status)
        if change.after:
            self._run_after(collection, change, done, run_after)
        return done

    def record(self, collection, doc_id, *, role: str, actor: str, trigger: str,
               note: str | None = None) -> bool:
        """Append an event to the document's history beside its changes (a refund asked
        again of an order refunded already): its status, ``version`` and actions untouched.
        ``trigger`` names the event and may not name one of the lifecycle's changes (it
        would be taken for one); False when there is no such document."""
        if any(c.trigger == trigger for c in self.changes):
            raise ValueError(f"{self.name}: {trigger!r} is one of its changes, not an event")
        doc = collection.find_one({"_id": doc_id}, {self.status_field: 1})
        if doc is None:
            return False
        status = doc.get(self.status_field)
        if status not in self.final:
            # the history's n-th entry is the change to version n (notices read it so): an
            # event may follow only the last change there will ever be
            raise ValueError(f"{self.name}: an event is recorded only in a final state, "
                             f"not in {status!r}")
        now = datetime.now(UTC).replace(tzinfo=None)
        entry = {"from": status, "to": status, "trigger": trigger, "role": role, "by": actor,
                 "at": now, "note": note}
        return collection.update_one({"_id": doc_id}, {"$push": {"history": entry},
                                                       "$set": {"modified": now}}
                                     ).matched_count == 1

    def _run_after(self, collection, change: Change, doc: dict, run_after) -> None:
        """Run a change's ``after`` actions, then clear the mark the change left for them.

        The mark is written with the change itself, so a crash in between leaves it, and
        :meth:`resume` runs the actions again: they must be idempotent (once per document).
        """
        if run_after is not None:
            run_after(change, doc)
        collection.update_one({"_id": doc["_id"], "version": doc.get("version")},
                              {"$unset": {"after_pending": ""}})

    def created(self, collection, doc_id, run_after) -> bool:
        """Run the lifecycle's ``after`` actions for a document just created (marked with
        ``after_pending`` by its creating write); False when nothing was left to run."""
        doc = collection.find_one({"_id": doc_id, "after_pending": {"$exists": True}})
        if doc is None or doc.get("history"):
            return False
        self._run_after(collection, self.creation(doc.get(self.status_field)), doc, run_after)
        return True

    def resume(self, collection, run_after) -> int:
        """Run the ``after`` actions of changes (and creations) a crash interrupted;
        returns how many."""
        count = 0
        for doc in collection.find({"after_pending": {"$exists": True}}):
            if not doc.get("history"):
                status = doc.get(self.status_field)
                change = self.creation(status) if status in self.initials else None
            else:  # the last change (events :meth:`record` added after it are none)
                triggers = {c.trigger for c in self.changes}
                last = next((h for h in reversed(doc["history"])
                             if h.get("trigger") in triggers), {})
                change = next((self._all_after(c) for c in self.changes
                               if c.trigger == last.get("trigger")
                               and c.dest == doc.get(self.status_field)), None)
            if change is not None:
                self._run_after(collection, change, doc, run_after)
                count += 1
        return count


def build(doc: Located) -> list[Lifecycle]:
    """The lifecycles a flow file declares (defensively: what can be built is)."""
    raw_all = doc.data.get("lifecycles") if isinstance(doc.data, dict) else None
    out = []
    for name, raw in (raw_all.items() if isinstance(raw_all, dict) else []):
        if not isinstance(raw, dict):
            continue
        path = ("lifecycles", name)
        changes = []
        for i, t in enumerate(raw.get("transitions") or []):
            if not isinstance(t, dict):
                continue
            line, column = doc.values.get((*path, "transitions", i), (1, 1))
            source = t.get("source")
            changes.append(Change(
                trigger=str(t.get("trigger", "")),
                source=[source] if isinstance(source, str) else [str(s) for s in source or []],
                dest=str(t.get("dest", "")),
                roles=[t["by"]] if isinstance(t.get("by"), str) else list(t.get("by") or []),
                note=str(t.get("note", "optional")),
                after=[t["after"]] if isinstance(t.get("after"), str) else
                list(t.get("after") or []),
                where=spec.Where(doc.file, line, column,
                                 f"lifecycles.{name}.transitions[{i}]")))
        line, column = doc.values.get(path, (1, 1))
        states = set()
        for c in changes:
            states.update(c.source)
            states.add(c.dest)
        initial = raw.get("initial", "")
        initials = [str(s) for s in initial] if isinstance(initial, list) else [str(initial)]
        initial, also_initial = (initials[0] if initials else ""), initials[1:]
        final = [str(s) for s in raw.get("final") or []]
        common = raw.get("after")
        out.append(Lifecycle(name=name, status_field=str(raw.get("field", "status")),
                             after=[common] if isinstance(common, str) else
                             [str(a) for a in common or []],
                             initial=initial, also_initial=also_initial, final=final,
                             states=sorted({initial, *also_initial, *final, *states} - {""}),
                             roles=[str(r) for r in raw.get("roles") or []], changes=changes,
                             where=spec.Where(doc.file, line, column, f"lifecycles.{name}")))
    return out


def check(lifecycles: dict[str, Lifecycle], registry=None) -> list[Problem]:
    """Unknown roles and actions, unreachable states, dead ends, ambiguous changes."""
    problems = []

    def at(where, message):
        w = where or spec.Where("<flows>", 1, 1, "")
        problems.append(Problem(w.file, w.line, w.column, w.path, message))

    for cycle in lifecycles.values():
        if not cycle.initial:
            at(cycle.where, "'initial' is missing: the status a new document starts in (or "
                            "a list of them)")
        seen: dict[tuple[str, str], Change] = {}
        for change in cycle.changes:
            for role in change.roles:
                if role not in cycle.roles:
                    at(change.where, f"role {role!r} is not declared in 'roles' "
                                     f"{cycle.roles} of lifecycle {cycle.name!r}")
            if not change.roles:
                at(change.where, "'by' is missing: which roles may fire this change")
            if change.note not in NOTE_CHOICES:
                at(change.where, f"note {change.note!r}: expected one of {list(NOTE_CHOICES)}")
            for state in change.source:
                if state in cycle.final:
                    at(change.where, f"{state!r} is final: no change may leave it")
                key = (state, change.trigger)
                if key in seen:
                    at(change.where, f"trigger {change.trigger!r} from {state!r} is declared "
                                     f"twice; first at line {seen[key].where.line}")
                seen[key] = change
            for name in change.after:
                if registry is not None and registry.get("action", name) is None:
                    at(change.where, f"unknown action {name!r} in 'after'")
        for name in cycle.after:
            if registry is not None and registry.get("action", name) is None:
                at(cycle.where, f"unknown action {name!r} in 'after' of lifecycle "
                                f"{cycle.name!r}")
        reachable, frontier = set(cycle.initials), list(cycle.initials)
        while frontier:
            state = frontier.pop()
            for change in cycle.allowed(state):
                if change.dest not in reachable:
                    reachable.add(change.dest)
                    frontier.append(change.dest)
        for state in cycle.states:
            if state not in reachable:
                at(cycle.where, f"status {state!r} of lifecycle {cycle.name!r} cannot be "
                                f"reached from {' or '.join(map(repr, cycle.initials))}")
            elif state not in cycle.final and not cycle.allowed(state):
                at(cycle.where, f"status {state!r} of lifecycle {cycle.name!r} is a dead end: "
                                "no change leaves it and it is not in 'final'")
    return problems


def load(path) -> dict[str, Lifecycle]:
    """The lifecycles of one flow file, without the rest of the flows (for a process that
    only changes documents, such as the API); ``python -m engine check`` checks them."""
    from pathlib import Path

    from engine.yamlpos import load as load_yaml

    doc, problems = load_yaml(Path(path).read_text(encoding="utf-8"), str(path))
    if problems:
        raise EngineError(f"{path}: {problems[0]}")
    return {cycle.name: cycle for cycle in build(doc)}


def load_checked(path) -> dict[str, Lifecycle]:
    """The lifecycles of one flow file, checked with the actions they name resolved, for
    any process that changes documents (a bot, the API and its admin, a worker, a command).

    The modules beside the flow file are imported first, as :func:`engine.load_flows` does
    (their decorators register the actions), so a process that never loads the flows still
    has every action its lifecycle runs. Any problem, such as an action no module declares,
    raises :class:`engine.errors.FlowError` naming it with its file and line: at start-up,
    not at the first change, after the status has already moved.
    """
    from pathlib import Path

    from engine.errors import FlowError
    from engine.loader import _import_modules
    from engine.registry import registry as default_registry

    path = Path(path)
    problems = _import_modules(path.parent)
    cycles = load(path)
    registry = default_registry.scoped(path.parent)
    problems.extend(check(cycles, registry))
    if problems:
        raise FlowError(problems)
    for cycle in cycles.values():
        names = {*cycle.after, *(name for c in cycle.changes for name in c.after)}
        cycle.actions = {name: registry.get("action", name).func for name in names}
    return cycles


def mermaid(cycle: Lifecycle) -> str:
    """The lifecycle as a Mermaid state diagram: each change labelled with its trigger and
    the roles that may fire it (a note marked with *)."""
    lines = ["stateDiagram-v2", *(f"    [*] --> {state}" for state in cycle.initials)]
    for change in cycle.changes:
        noted = "*" if change.note == "required" else ""
        label = f"{change.trigger} ({', '.join(change.roles)}){noted}"
        lines.extend(f"    {source} --> {change.dest}: {label}" for source in change.source)
    lines.extend(f"    {state} --> [*]" for state in cycle.final)
    return "\n".join(lines) + "\n"
