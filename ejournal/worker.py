"""``ejournal worker``: keeps the views up to date continuously.

On PostgreSQL it sleeps on LISTEN for the event store's NOTIFY (sent by every insert) and
polls as a fallback; on SQLite it polls. A regional deployment's worker (``RegionWorkers``)
runs a thread per active school, all of a cluster woken by one LISTEN connection (the
notification's payload names the school's schema, ADR 0030), and looks the registry up
every few seconds for schools added, enabled or disabled while it runs.
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


class Wake:
    """A school's wake-up: ``set`` now, or ``set_later`` (a quiet notification: at most
    ``delay`` seconds from the first one, sooner when anything else is notified)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: float | None = None

    def set(self) -> None:
        with self._cond:
            self._due = time.monotonic()
            self._cond.notify_all()

    def set_later(self, delay: float = QUIET_SECONDS) -> None:
        with self._cond:
            due = time.monotonic() + delay
            if self._due is None or due < self._due:
                self._due = due
                self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._due = None

    def wait(self, timeout: float) -> bool:
        """Until due or ``timeout`` seconds; whether it is due."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                if self._due is not None and self._due <= now:
                    return True
                until = end if self._due is None else min(end, self._due)
                if until <= now:
                    return False
                self._cond.wait(until - now)


def run_worker(
    system: System,
    stop: threading.Event,
    poll: float = 1.0,
    tick: Callable[[], None] | None = None,
    wake: Wake | None = None,
    idle: float | None = None,
) -> None:
    """Catch up, then wait for a notification (or ``poll`` seconds); until ``stop``.
    ``tick`` runs after each wait (the e-mail notifications, ``ejournal.notify``). With
    ``wake`` (a cluster's ``Listener`` sets it) the worker keeps no LISTEN connection of its
    own, and catches up when woken or, with nothing notified, every ``idle`` seconds
    (``poll`` when not given)."""
    db = system.settings.database
    conn: psycopg.Connection[object] | None = None
    woken, last = True, -float("inf")
    try:
        while not stop.is_set():
            try:
                if conn is None and wake is None and db.backend == "postgres":
                    conn = psycopg.connect(db.conninfo(), autocommit=True)
                    conn.execute(f"LISTEN {CHANNEL}")
                if woken or wake is None or time.monotonic() - last >= (idle or poll):
                    if wake is not None:
                        wake.clear()  # before the catch-up: a notification during it counts
                    last = time.monotonic()
                    processed = system.views.catch_up()
                    if processed:
                        log.info("views caught up: %d events", processed)
                    system.ledger.maybe_checkpoint()
                if tick is not None:
                    tick()
                woken = _wait(conn, wake, stop, poll)
            except UNAVAILABLE as error:  # the event store's errors too: they
                # come after its own retries, e.g. while PostgreSQL restarts (crash test)
                log.warning("database unavailable (%s); retrying", type(error).__name__)
                if conn is not None:
                    conn.close()
                conn = None
                stop.wait(poll)
                woken = True
    finally:
        if conn is not None:
            conn.close()


def _wait(
    conn: psycopg.Connection[object] | None,
    wake: Wake | None,
    stop: threading.Event,
    poll: float,
) -> bool:
    """Until a notification (own LISTEN, or the cluster's ``wake``), ``stop`` or ``poll``;
    a quiet notification lets the wait go on for ``QUIET_SECONDS`` at most. Whether the
    cluster's ``wake`` woke it (always True without one)."""
    if conn is not None:
        end = time.monotonic() + poll
        while (left := end - time.monotonic()) > 0:
            notes = list(conn.notifies(timeout=left, stop_after=1))
            if not notes or not split_payload(notes[0].payload)[1]:
                return True
            end = min(end, time.monotonic() + QUIET_SECONDS)
        return True
    if wake is not None:
        return wake.wait(poll)
    stop.wait(poll)
    return True


class Listener:
    """One LISTEN connection to a cluster for every school of it this process keeps:
    a notification wakes the school its payload names (every school when it names none)."""

    def __init__(self, conninfo: str, poll: float) -> None:
        self.conninfo, self.poll = conninfo, poll
        self._wakes: dict[str, Wake] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
        self._thread.start()

    def wake_of(self, schema: str) -> Wake:
        """What wakes ``schema``'s worker when its events are notified."""
        with self._lock:
            return self._wakes.setdefault(schema, Wake())

    def forget(self, schema: str) -> None:
        with self._lock:
            self._wakes.pop(schema, None)

    def _wake(self, payload: str) -> None:
        schema, quiet = split_payload(payload)
        with self._lock:
            found = [self._wakes[schema]] if schema in self._wakes else list(self._wakes.values())
        for wake in found:
            if quiet:
                wake.set_later()
            else:
                wake.set()

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
    stop: threading.Event
    thread: threading.Thread
    listener: Listener


class RegionWorkers:
    """A worker thread per active school of a regional deployment, one LISTEN connection
    per cluster; the registry is read every ``registry_seconds``: a school added or enabled
    gets its thread, a school disabled loses it (its system closed)."""

    def __init__(
        self,
        schools: Callable[[], list[School]],
        open_system: Callable[[School], System],
        *,
        poll: float = 1.0,
        registry_seconds: float = 5.0,
        tick_of: Callable[[System], Callable[[], None] | None] = lambda _s: None,
        said: Callable[[str], None] = log.info,
    ) -> None:
        self.schools, self.open_system = schools, open_system
        self.poll, self.registry_seconds = poll, registry_seconds
        self.tick_of, self.said = tick_of, said
        self.kept: dict[str, _Kept] = {}
        self.listeners: dict[str, Listener] = {}

    def run(self, stop: threading.Event) -> None:
        """Keep every active school until ``stop``; then stop and close them all."""
        try:
            first = True
            while not stop.is_set():
                try:
                    self.refresh()
                except UNAVAILABLE as error:
                    log.warning("registry unavailable (%s); retrying", type(error).__name__)
                if first:
                    self.said(f"worker: keeping the views of {len(self.kept)} schools up to date")
                    first = False
                stop.wait(self.registry_seconds)
        finally:
            for code in list(self.kept):
                self._drop(code)
            for listener in self.listeners.values():
                listener.close()
            self.listeners.clear()

    def refresh(self) -> None:
        """Start the schools active in the registry and not kept; stop those no longer."""
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
        db = system.settings.database
        conninfo = db.conninfo()
        listener = self.listeners.get(conninfo)
        if listener is None:
            listener = self.listeners[conninfo] = Listener(conninfo, self.poll)
        schema = db.schema or "public"
        stop = threading.Event()
        thread = threading.Thread(
            target=run_worker,
            args=(system, stop, self.poll, self.tick_of(system), listener.wake_of(schema)),
            kwargs={"idle": max(self.poll, IDLE_SECONDS)},
            name=f"worker-{code}",
            daemon=True,
        )
        self.kept[code] = _Kept(system, stop, thread, listener)
        thread.start()

    def _drop(self, code: str) -> None:
        kept = self.kept.pop(code)
        kept.stop.set()
        kept.listener.wake_of(kept.system.settings.database.schema or "public").set()
        kept.thread.join(60)
        kept.listener.forget(kept.system.settings.database.schema or "public")
        kept.system.close()
