"""``ejournal worker``: keeps the views up to date continuously.

On PostgreSQL it sleeps on LISTEN for the event store's NOTIFY (sent by every insert) and
polls as a fallback; on SQLite it polls. A regional deployment's worker (``RegionWorkers``)
serves its active schools with a few threads, its lanes (``Schedule``, ADR 0035): one
LISTEN connection per cluster makes the school its notification names due (ADR 0030); a
lane takes the school due first — its views, which a person who just saved waits for,
before any school's ledger — and looks the registry up every few seconds for schools
added, enabled or disabled while it runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from ejournal.bootstrap import System
from ejournal.driver_errors import UNAVAILABLE
from ejournal.pools import CHANNEL, split_payload
from ejournal.region import School

log = logging.getLogger(__name__)

#: How long the worker may let a school's access-log entries wait (a quiet notification,
#: ``ejournal.pools.QUIET``) to take them up with whatever else comes meanwhile; any other
#: event is taken up at once, with every entry before it (ADR 0034).
QUIET_SECONDS = 0.5
#: With nothing notified, how often a regional worker's school looks at its log anyway (the
#: cluster's LISTEN wakes it for every event, and every school after the LISTEN connection
#: was lost; this is only the safety net). Looking every second cost an idle worker of 50
#: schools 11 % of a CPU and its PostgreSQL backends 6 % more (ADR 0034).
IDLE_SECONDS = 30.0
#: A regional worker's lanes: threads serving its schools (``worker --lanes``, ADR 0035).
LANES = 2
#: How long a school's sealing may wait while the lanes are busy with views that people
#: wait for; a lane with nothing else to do seals at once (ADR 0035).
LEDGER_SECONDS = 0.5
#: How long a lane's job waits for a lock (a rebuild's swap, an administrator's transaction)
#: before it gives the lane back and its school is retried ``--poll`` seconds on (ADR 0035).
LOCK_SECONDS = 5.0
#: The longest a school waits to be retried after unexpected failures in a row (a bug in a
#: view: logged with its traceback at each try, so the tries thin out).
FAILED_SECONDS = 60.0


def run_worker(
    system: System,
    stop: threading.Event,
    poll: float = 1.0,
    tick: Callable[[], None] | None = None,
) -> None:
    """One school's worker: catch up, then wait for a notification (or ``poll`` seconds);
    until ``stop``. ``tick`` runs after each wait (the e-mail notifications,
    ``ejournal.notify``)."""
    db = system.settings.database
    conn: psycopg.Connection[object] | None = None
    try:
        while not stop.is_set():
            try:
                if conn is None and db.backend == "postgres":
                    conn = psycopg.connect(db.conninfo(), autocommit=True)
                    conn.execute(f"LISTEN {CHANNEL}")
                processed = system.views.catch_up()
                if processed:
                    log.info("views caught up: %d events", processed)
                system.ledger.maybe_checkpoint()
                if tick is not None:
                    tick()
                _wait(conn, stop, poll)
            except UNAVAILABLE as error:  # the event store's errors too: they
                # come after its own retries, e.g. while PostgreSQL restarts (crash test)
                log.warning("database unavailable (%s); retrying", type(error).__name__)
                if conn is not None:
                    conn.close()
                conn = None
                stop.wait(poll)
    finally:
        if conn is not None:
            conn.close()


def _wait(conn: psycopg.Connection[object] | None, stop: threading.Event, poll: float) -> None:
    """Until a notification, ``stop`` or ``poll`` seconds; a quiet notification lets the
    wait go on for ``QUIET_SECONDS`` at most."""
    if conn is None:
        stop.wait(poll)
        return
    end = time.monotonic() + poll
    while (left := end - time.monotonic()) > 0:
        notes = list(conn.notifies(timeout=left, stop_after=1))
        if not notes or not split_payload(notes[0].payload)[1]:
            return
        end = min(end, time.monotonic() + QUIET_SECONDS)


@dataclass(eq=False)
class _Due:
    """One school of a ``Schedule``: what it runs, and when each of its jobs is due."""

    code: str
    system: System
    tick: Callable[[], None] | None
    idle_due: float
    tick_due: float
    busy: bool = False
    dropped: bool = False  # being removed: no new job
    failures: int = 0  # unexpected failures in a row (the retry waits longer each time)


class Schedule:
    """A regional worker's schools served by ``lanes`` threads (ADR 0035).

    A school is due when its events are notified (``wake``: at once, or ``QUIET_SECONDS``
    on for access-log entries only), when a job of it failed (``poll`` seconds on; later
    after a bug that repeats) and,
    with nothing notified, every ``idle`` seconds. A lane takes the school due first and
    brings its views up to date; its sealing into the ledger waits while other schools'
    views are due (nobody waits for the ledger; a person who saved waits for the views),
    ``LEDGER_SECONDS`` at most, and a lane with nothing else due seals at once. A school
    runs in one lane at a time. A thread per school made every school's batches share the
    interpreter at once: under load each took several times as long, and the ledgers ran
    between the views (issue 19)."""

    def __init__(
        self,
        *,
        lanes: int = LANES,
        poll: float = 1.0,
        idle: float = IDLE_SECONDS,
        ledger_delay: float = LEDGER_SECONDS,
        lock_wait: float = LOCK_SECONDS,
    ) -> None:
        self.poll, self.idle, self.ledger_delay = poll, idle, ledger_delay
        self.lock_wait = lock_wait
        self._cond = threading.Condition()
        self._schools: dict[str, _Due] = {}
        self._views: dict[str, float] = {}  # code → when its views are due (woken ones)
        self._ledger: dict[str, float] = {}  # code → when its sealing may wait no longer
        self._scan = 0.0  # the next look at every school's idle and tick times
        self._stop = threading.Event()
        self._lanes = [
            threading.Thread(target=self._lane, name=f"lane-{n + 1}", daemon=True)
            for n in range(lanes)
        ]
        for lane in self._lanes:
            lane.start()

    def add(self, code: str, system: System, tick: Callable[[], None] | None = None) -> None:
        """Serve ``code``: its views and ledger are caught up at once, then as it is due."""
        now = time.monotonic()
        with self._cond:
            self._schools[code] = _Due(code, system, tick, now + self.idle, now)
            self._views[code] = now
            self._cond.notify_all()

    def remove(self, code: str) -> None:
        """Serve ``code`` no longer; returns once no lane runs a job of it."""
        with self._cond:
            school = self._schools.get(code)
            if school is None:
                return
            school.dropped = True
            self._views.pop(code, None)
            self._ledger.pop(code, None)
            while school.busy:
                self._cond.wait(1.0)
            del self._schools[code]

    def wake(self, code: str, delay: float = 0.0) -> None:
        """``code``'s events were notified: due in ``delay`` seconds (sooner if already)."""
        due = time.monotonic() + delay
        with self._cond:
            school = self._schools.get(code)
            if school and not school.dropped and due < self._views.get(code, float("inf")):
                self._views[code] = due
                self._cond.notify()

    def stop(self) -> None:
        """Stop the lanes (a job running ends first)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for lane in self._lanes:
            lane.join(60)

    def _lane(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            school, kind = job
            try:
                self._run(school, kind)
            finally:
                with self._cond:
                    school.busy = False
                    self._cond.notify_all()

    def _next(self) -> tuple[_Due, str] | None:
        """The next job, once one is due: (school, "views" | "ledger" | "tick")."""
        with self._cond:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= self._scan:
                    self._look_at_all(now)
                job = self._pick(now)
                if job is not None:
                    job[0].busy = True
                    return job
                dues = [d for d in (*self._views.values(), *self._ledger.values()) if d > now]
                self._cond.wait(max(0.001, min([self._scan, *dues]) - now))
            return None

    def _look_at_all(self, now: float) -> None:
        """Every school not notified for ``idle`` seconds is due (looked at once a second
        at most, not at every job)."""
        self._scan = now + min(1.0, self.poll)
        for code, school in self._schools.items():
            if school.idle_due <= now and not school.dropped:
                self._views[code] = min(now, self._views.get(code, now))

    def _pick(self, now: float) -> tuple[_Due, str] | None:
        free = [(due, code) for code, due in self._views.items() if not self._schools[code].busy]
        late = [(due, code) for code, due in self._ledger.items() if not self._schools[code].busy]
        views = min((j for j in free if j[0] <= now), default=None)
        ledger = min((j for j in late if j[0] <= now), default=None)
        if views is not None and (ledger is None or views <= ledger):
            del self._views[views[1]]
            return self._schools[views[1]], "views"
        if ledger is not None:
            del self._ledger[ledger[1]]
            return self._schools[ledger[1]], "ledger"
        ticks = [
            s
            for s in self._schools.values()
            if s.tick and s.tick_due <= now and not (s.busy or s.dropped)
        ]
        if ticks:
            school = min(ticks, key=lambda s: s.tick_due)
            school.tick_due = now + self.poll
            return school, "tick"
        if late:  # nothing else is due: seal now rather than idle
            code = min(late)[1]
            del self._ledger[code]
            return self._schools[code], "ledger"
        return None

    def _run(self, school: _Due, kind: str) -> None:
        """One job; a failure makes the school due again ``poll`` seconds on — an
        unexpected one (a bug) twice as long after each that follows it, ``FAILED_SECONDS``
        at most, until a job of the school goes through."""
        system = school.system
        retry = self.poll
        try:
            with system.views.db.waiting_for_locks(self.lock_wait):
                self._job(school, kind)
            school.failures = 0
        except Exception as error:  # one school's failure stops no other
            if isinstance(error, psycopg.errors.LockNotAvailable):
                log.warning(
                    "school %s: %s waited %s s for a lock (a rebuild's swap?); retried in %s s",
                    school.code,
                    kind,
                    self.lock_wait,
                    self.poll,
                )
            elif isinstance(error, UNAVAILABLE):
                log.warning(
                    "school %s: database unavailable (%s); retrying",
                    school.code,
                    type(error).__name__,
                )
            else:
                retry = min(FAILED_SECONDS, self.poll * 2**school.failures)
                school.failures += 1
                log.exception("school %s: %s failed; retried in %s s", school.code, kind, retry)
            with self._cond:
                if not school.dropped:
                    self._views[school.code] = time.monotonic() + retry

    def _job(self, school: _Due, kind: str) -> None:
        system = school.system
        if kind == "views":
            school.idle_due = time.monotonic() + self.idle
            processed = system.views.catch_up(seal=False)
            if processed:
                log.info("school %s: views caught up: %d events", school.code, processed)
            due = time.monotonic() + self.ledger_delay
            with self._cond:
                if not school.dropped:
                    self._ledger[school.code] = min(due, self._ledger.get(school.code, due))
        elif kind == "ledger":
            system.views.seal()
            system.ledger.maybe_checkpoint()
        elif school.tick is not None:
            school.tick()


class Listener:
    """One LISTEN connection to a cluster for every school of it this process keeps:
    a notification makes the school its payload names due (every school when it names
    none, and every school after the connection was (re)made)."""

    def __init__(self, conninfo: str, poll: float, schedule: Schedule) -> None:
        self.conninfo, self.poll, self.schedule = conninfo, poll, schedule
        self._codes: dict[str, str] = {}  # schema → school code
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
        self._thread.start()

    def listen(self, schema: str, code: str) -> None:
        """Make ``code`` due when its schema's events are notified."""
        with self._lock:
            self._codes[schema] = code

    def forget(self, schema: str) -> None:
        with self._lock:
            self._codes.pop(schema, None)

    def _wake(self, payload: str) -> None:
        schema, quiet = split_payload(payload)
        with self._lock:
            code = self._codes.get(schema)
            every = list(self._codes.values()) if code is None else []
        if code is not None:
            self.schedule.wake(code, QUIET_SECONDS if quiet else 0.0)
        for each in every:
            self.schedule.wake(each)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._wake("")  # caught up after (re)connecting: none was missed
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=min(self.poll, 1.0)):
                            self._wake(note.payload)
            except psycopg.Error as error:
                log.warning("LISTEN connection lost (%s); retrying", type(error).__name__)
                self._stop.wait(self.poll)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(self.poll + 10)


@dataclass
class _Kept:
    system: System
    listener: Listener


class RegionWorkers:
    """A regional deployment's worker: its active schools served by the lanes of one
    ``Schedule``, one LISTEN connection per cluster; the registry is read every
    ``registry_seconds``: a school added or enabled is served, a school disabled is let go
    (its system closed)."""

    def __init__(
        self,
        schools: Callable[[], list[School]],
        open_system: Callable[[School], System],
        *,
        poll: float = 1.0,
        registry_seconds: float = 5.0,
        lanes: int = LANES,
        tick_of: Callable[[System], Callable[[], None] | None] = lambda _s: None,
        said: Callable[[str], None] = log.info,
    ) -> None:
        self.schools, self.open_system = schools, open_system
        self.poll, self.registry_seconds, self.lanes = poll, registry_seconds, lanes
        self.tick_of, self.said = tick_of, said
        self.kept: dict[str, _Kept] = {}
        self.listeners: dict[str, Listener] = {}
        self.schedule: Schedule | None = None

    def run(self, stop: threading.Event) -> None:
        """Keep every active school until ``stop``; then stop and close them all."""
        self.schedule = Schedule(
            lanes=self.lanes, poll=self.poll, idle=max(self.poll, IDLE_SECONDS)
        )
        try:
            first = True
            while not stop.is_set():
                try:
                    self.refresh()
                except UNAVAILABLE as error:
                    log.warning("registry unavailable (%s); retrying", type(error).__name__)
                if first:
                    self.said(
                        f"worker: keeping the views of {len(self.kept)} schools up to date "
                        f"({self.lanes} lanes)"
                    )
                    first = False
                stop.wait(self.registry_seconds)
        finally:
            self.schedule.stop()
            for code in list(self.kept):
                self._drop(code)
            for listener in self.listeners.values():
                listener.close()
            self.listeners.clear()

    def refresh(self) -> None:
        """Serve the schools active in the registry and not kept; let go of those no longer."""
        active = {s.code: s for s in self.schools() if s.active}
        for code in [c for c in self.kept if c not in active]:
            self._drop(code)
            self.said(f"worker: school {code} is no longer active: its views are not kept")
        for code, school in active.items():
            if code in self.kept:
                continue
            try:
                system = self.open_system(school)
            except Exception as error:  # one school that cannot open stops no other
                log.warning("school %s not opened (%s); retried later", code, error)
                continue
            self._start(code, system)
            log.info("worker: keeping the views of school %s", code)

    def _start(self, code: str, system: System) -> None:
        assert self.schedule is not None, "run() makes the schedule"
        db = system.settings.database
        conninfo = db.conninfo()
        listener = self.listeners.get(conninfo)
        if listener is None:
            listener = self.listeners[conninfo] = Listener(conninfo, self.poll, self.schedule)
        listener.listen(db.schema or "public", code)
        self.kept[code] = _Kept(system, listener)
        self.schedule.add(code, system, self.tick_of(system))

    def _drop(self, code: str) -> None:
        kept = self.kept.pop(code)
        kept.listener.forget(kept.system.settings.database.schema or "public")
        if self.schedule is not None:
            self.schedule.remove(code)
        kept.system.close()
