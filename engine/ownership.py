"""Process ownership of conversations: what lets a bot process skip the read of each update.

A process that owns a user's conversation may process that user's next update from its
in-process copy, with no read and no lease: only the compare-and-set write. What makes that
safe is that no other process touches a conversation while its owner is alive:

* an owning process registers itself in ``<conversations>_owners`` (``_id`` = a fresh token,
  ``until`` = now + ``ttl``) and renews that every ``renew`` seconds from a thread;
* it saves its conversations with ``owner`` = its token;
* every other process's lease (``MongoStore.acquire``) requires ``owner`` to be empty (or its
  own): on an owned conversation it looks the owner up here, and clears ``owner`` only when
  that registration expired (or its process is gone from this very machine); otherwise it
  waits, as for a lease;
* the owner serves from its copy only while its last successful renewal *began* less than
  ``grace`` seconds ago: then its registration runs for at least ``ttl - grace`` seconds more,
  which is the time an update has to finish, exactly as with a lease (``ttl - grace`` is set
  to the store's ``lease_seconds``). A renewal never revives an expired registration: the
  process then registers anew under another token, and its copies are dropped.

A registration is deleted when its process stops cleanly (``close``), so a restarted bot
serves at once; after a crash, the users it owned wait until ``ttl`` runs out, unless the
new process runs on the same machine and sees the old one is gone.

Taking over is final: before clearing a dead owner's marks, the taker marks its registration
``dead`` with a write conditional on the expiry it saw (``until`` past), and a renewal
matches only a registration not ``dead`` whose ``until`` is exactly the one its owner last
wrote; the owner also counts a renewal whose reply came after its previous ``until`` (on its
own clock) as failed. So a late renewal can never revive a registration someone took over.

Clocks: ``until`` is written on the owner's wall clock and compared with the taker's, so the
hosts' wall clocks must agree to well within ``ttl - grace`` (NTP keeps them within
milliseconds). The owner times its own ``grace`` on a clock that counts system suspend
(``CLOCK_BOOTTIME`` where there is one) *and* on its wall clock: a suspended or frozen owner
never resumes serving from copies that outlived their registration.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _exact(moment: datetime) -> datetime:
    """``moment`` as the database keeps it (milliseconds): a renewal matches it exactly."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _clock() -> float:
    """Seconds on a clock that keeps counting while the system is suspended
    (``CLOCK_BOOTTIME``; ``time.monotonic`` stops), where there is one."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return time.clock_gettime(boottime)
        except OSError:
            pass
    return time.monotonic()


def _machine() -> str | None:
    """This machine and PID namespace (a process id means the same process only within one),
    or ``None`` where that cannot be told (then only expiry tells a dead owner)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as boot:
            boot_id = boot.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{socket.gethostname()}/{boot_id}/{namespace}"


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), to tell a reused pid apart;
    ``None`` when its ``/proc`` entry cannot be read (gone, or hidden: ``hidepid``)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _gone(pid, started) -> bool:
    """Whether process ``pid`` of this machine, which started at ``started``, is certainly
    gone: ``kill(pid, 0)`` says there is no such process (ESRCH), or its ``/proc`` entry is
    readable and shows another start (the pid was reused). An entry that cannot be read is
    no proof: ``ProtectProc=invisible`` (``hidepid``) hides other users' live processes, and
    ``EPERM`` means a process is there. Unknown counts as alive (then expiry decides)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False  # kill(0, 0) would signal our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: someone's process is there; anything else: unknown
        pass
    now_started = _started(pid)
    return started is not None and now_started is not None and now_started != started


class Registration:
    """This process's registration as an owner of conversations, renewed from a thread."""

    def __init__(self, collection, *, ttl: float, grace: float, renew: float,
                 heartbeat: bool = True) -> None:
        if not 0 < renew < grace < ttl:
            raise ValueError(f"ownership timings must satisfy 0 < renew ({renew}) < grace "
                             f"({grace}) < ttl ({ttl})")
        self.collection = collection
        self.ttl, self.grace, self.renew_every = ttl, grace, renew
        self.machine = _machine()
        self.pid = os.getpid()
        self.token = ""
        self.previous: list[str] = []  # this process's own expired tokens
        self.generation = 0  # bumped with each new token: copies of older ones are void
        # the start of the last successful renewal, on _clock() and on the wall clock, and
        # the expiry it wrote (what the next renewal must find)
        self._live_since = float("-inf")
        self._live_wall = datetime.min
        self._until = datetime.min
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._register()
        self._thread = None
        if heartbeat:
            self._thread = threading.Thread(target=self._beat, daemon=True,
                                            name="conversation-owner")
            self._thread.start()

    # -- our own registration ------------------------------------------------------------
    def _register(self) -> None:
        began, now = _clock(), _now()
        token = uuid.uuid4().hex
        until = _exact(now + timedelta(seconds=self.ttl))
        self.collection.insert_one({"_id": token, "until": until, "machine": self.machine,
                                    "pid": self.pid, "started": _started(self.pid)})
        with self._lock:
            if self.token:
                self.previous = [*self.previous, self.token][-16:]
            self.token, self.generation = token, self.generation + 1
            self._live_since, self._live_wall, self._until = began, now, until
            mine = [self.token, *self.previous]
        try:
            self._warn_of_others(mine)
        except Exception as err:  # only a warning: never fail for it
            logger.warning("looking for other owners of these conversations failed: %r", err)

    def _warn_of_others(self, mine: list[str]) -> None:
        """Log an error for every other live owner of the same conversations (another
        process or host that is exclusive too: a misconfiguration)."""
        for doc in self.collection.find({"_id": {"$nin": mine}, "until": {"$gt": _now()},
                                         "dead": {"$exists": False}}):
            if (self.machine is not None and doc.get("machine") == self.machine
                    and _gone(doc.get("pid"), doc.get("started"))):
                continue  # a crashed predecessor on this machine: taken over at once
            logger.error(
                "another process owns conversations of this bot too (registration %s, machine "
                "%s, pid %s, until %s): two exclusive processes (BOT_EXCLUSIVE=1 or polling on "
                "two hosts or workers). Unless that one is stopping (a restart or reload), each "
                "waits for the users the other owns and their updates fail after the wait "
                "(docs/scaling.md); make one process exclusive, or none",
                doc["_id"], doc.get("machine"), doc.get("pid"), doc.get("until"))

    def renew(self) -> None:
        """Push our registration's expiry on; register anew if it had expired, was taken
        over (``dead``), or the renewal's answer came too late to count."""
        began, now = _clock(), _now()
        with self._lock:
            token, until, since = self.token, self._until, self._live_since
        renewed = _exact(now + timedelta(seconds=self.ttl))
        result = self.collection.update_one(
            {"_id": token, "until": until, "dead": {"$exists": False}},
            {"$set": {"until": renewed}})
        # the answer counts only if it came while the registration it renewed still ran, on
        # our clocks: later, someone may have seen it expired meanwhile
        late = _now() >= until or _clock() - since >= self.ttl
        if result.matched_count == 1 and not late:
            with self._lock:
                if self.token == token:
                    self._live_since, self._live_wall, self._until = began, now, renewed
            return
        logger.warning("conversation ownership %s %s: registering anew; conversations owned so "
                       "far are read again", token,
                       "renewed too late" if result.matched_count == 1
                       else "expired or taken over (renewals stalled)")
        self._register()

    def state(self) -> tuple[str, int, bool]:
        """The current token, its generation and whether it is live, read together."""
        with self._lock:
            return self.token, self.generation, self._live()

    def live(self) -> bool:
        """Whether copies made under the current token may be used now (see module doc)."""
        with self._lock:
            return self._live()

    def _live(self) -> bool:
        # both clocks: _clock() counts a suspend where time.monotonic() stops, the wall
        # clock is the one our registration's expiry is written on
        return (_clock() - self._live_since < self.grace
                and _now() - self._live_wall < timedelta(seconds=self.grace))

    def _beat(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self.renew()
            except Exception as err:  # the database away: the next beat tries again
                logger.warning("renewing conversation ownership failed: %r", err)

    def close(self, conversations=None) -> None:
        """Stop renewing and withdraw the registration (and, given the conversations'
        collection, the ``owner`` marks), so that other processes serve these users at once."""
        if self._stop.is_set():
            return
        self._stop.set()
        with self._lock:
            self._live_since = float("-inf")  # no copy is served from here on
        if self._thread is not None:
            self._thread.join(timeout=5)
        tokens = [self.token, *self.previous]
        try:
            if conversations is not None:
                conversations.update_many({"owner": {"$in": tokens}, "lease": None},
                                          {"$set": {"owner": None}})
            self.collection.delete_many({"_id": {"$in": tokens}})
        except Exception as err:  # the marks then expire with the registration
            logger.warning("withdrawing conversation ownership failed: %r", err)

    def mine(self) -> list[str]:
        """Tokens whose conversations this process may lease without asking anyone."""
        with self._lock:
            return [self.token, *self.previous]


class Owners:
    """Tells whether another process's ownership is over (its registration expired, or its
    process is gone from this very machine), and makes that final: the registration is
    marked ``dead`` (conditionally on its expiry) before anyone clears its marks, so no late
    renewal revives it. Dead owners are remembered, since they never come back."""

    def __init__(self, collection) -> None:
        self.collection = collection
        self.machine = _machine()
        self._dead: OrderedDict[str, None] = OrderedDict()
        self._guard = threading.Lock()

    def is_dead(self, token: str) -> bool:
        """One read when ``token`` is not known to be dead yet (and one write when it just
        died: the ``dead`` mark)."""
        if token in self._dead:
            return True
        doc = self.collection.find_one({"_id": token})
        now = _now()
        if doc is None or doc.get("dead"):
            dead = True  # withdrawn at a clean stop (never re-created), or taken over
        elif doc.get("until") is None or doc["until"] < now:
            # expired: final only if no renewal landed meanwhile
            dead = self.collection.update_one(
                {"_id": token, "$or": [{"until": {"$lt": now}}, {"until": None}]},
                {"$set": {"dead": True}}).matched_count == 1
        elif (self.machine is not None and doc.get("machine") == self.machine
              and _gone(doc.get("pid"), doc.get("started"))):
            self.collection.update_one({"_id": token}, {"$set": {"dead": True}})
            dead = True
        else:
            dead = False
        if dead:
            with self._guard:
                self._dead[token] = None
                while len(self._dead) > 256:
                    self._dead.popitem(last=False)
        return dead


class UserLocks:
    """One lock per user while anyone holds or waits for it (then forgotten)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, list] = {}  # user -> [lock, holders and waiters]

    def acquire(self, user_id: int, timeout: float) -> bool:
        with self._guard:
            entry = self._locks.setdefault(user_id, [threading.Lock(), 0])
            entry[1] += 1
        if entry[0].acquire(timeout=timeout):
            return True
        self._forget(user_id, entry)
        return False

    def release(self, user_id: int) -> None:
        entry = self._locks[user_id]
        self._forget(user_id, entry)
        entry[0].release()

    def _forget(self, user_id: int, entry: list) -> None:
        with self._guard:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[user_id]


class Copies:
    """The last saved conversation of up to ``size`` users, least recently used dropped."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[int, object]] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, user_id: int, generation: int):
        with self._guard:
            item = self._items.pop(user_id, None)
        return item[1] if item is not None and item[0] == generation else None

    def put(self, user_id: int, generation: int, conversation) -> None:
        with self._guard:
            self._items[user_id] = (generation, conversation)
            self._items.move_to_end(user_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, user_id: int) -> None:
        with self._guard:
            self._items.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._items)
