"""The one catch-up mechanism for every view, on both backends.

Reads the notification log from the lowest tracking position in batches, decodes each event
once, lets every view that has not yet seen it apply it, and writes the view rows together
with the new tracking positions in one transaction: exactly once, and a crash replays the
batch. ``rebuild`` builds views in memory from the whole log and swaps them in, in one
transaction; ``as_of`` builds them in memory from the events up to a moment.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.errors import RecordUnauthentic
from projections.sqlstore import Cursor, Database, SQLStore
from projections.store import MemoryStore
from projections.view import Applied, Handler, Sealer, View, stamped_after

TRACKING = "ejournal_view_tracking"
Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)
#: The line logged when the views pass over a row that fails authentication.
SKIPPED = (
    "views: event %d skipped: событие %d не прошло проверку подлинности: вставлено или "
    "изменено в обход приложения; карантин: docs/operations.md, «Карантин подложного события»"
)


class EventSource(Protocol):
    """What the views read of an event store: a copy of it on a hot standby will do."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...

    def max_notification_id(self) -> int | None: ...


@dataclass(frozen=True)
class ViewStatus:
    """Where a view stands: its position in the log and how far behind the log's end."""

    name: str
    title: str
    position: int
    lag: int


class Processor:
    """Keeps a set of views up to date with the event log."""

    def __init__(
        self,
        views: Sequence[View],
        recorder: ApplicationRecorder,
        mapper: Mapper[Any],
        db: Database,
        sealer: Sealer,
        batch_size: int = 2000,
        retired: Sequence[View] = (),
    ) -> None:
        self.views = list(views)
        #: Views no longer kept: ``setup`` drops their tables and tracking rows.
        self.retired = [v for v in retired if v.name not in {w.name for w in views}]
        self.recorder = recorder
        self.mapper = mapper
        self.db = db
        self.sealer = sealer
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._skipped: set[int] = set()  # rows that failed authentication, logged once
        #: Where the next batch starts, as this process's last batch left the views: saves
        #: reading the positions before each batch. Checked by the batch's transaction
        #: (positions read for update) and dropped when a batch finds nothing new, so a
        #: rebuild elsewhere that moved the views back is seen at the next catch-up.
        self._start: int | None = None

    def view(self, name: str) -> View:
        """The view called ``name``; ``KeyError`` naming the known views."""
        for view in self.views:
            if view.name == name:
                return view
        known = ", ".join(v.name for v in self.views)
        raise KeyError(f"unknown view {name!r} (known: {known})")

    # --- set-up and status -------------------------------------------------------------
    def setup(self) -> None:
        """Create the view tables and the tracking rows (idempotent). A view whose stored
        tables have other columns than the release declares (an upgraded view) is dropped
        — on SQLite with its freed pages overwritten, as they may hold what the new version
        seals — and built again from the log by the next catch-up. The tables of retired
        views are dropped the same way."""
        big = "INTEGER" if self.db.dialect == "sqlite" else "BIGINT"
        with self.db.transaction() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING} "
                f"(view TEXT PRIMARY KEY, position {big} NOT NULL)"
            )
            for view in self.retired:
                self._drop(cur, view)
                cur.execute(f"DELETE FROM {TRACKING} WHERE view = {self.db.param}", (view.name,))
            changed = [v.name for v in self.views if self._changed(cur, v)]
            for view in self.views:
                if view.name in changed:
                    self._drop(cur, view)
                for table in view.tables:
                    for statement in table.ddl(self.db.dialect):
                        cur.execute(statement)
                cur.execute(
                    f"INSERT INTO {TRACKING} (view, position) VALUES ({self.db.param}, 0) "
                    "ON CONFLICT (view) DO NOTHING",
                    (view.name,),
                )
            self._set_positions(cur, dict.fromkeys(changed, 0))

    def _columns(self, cur: Cursor, table: str) -> set[str]:
        """The columns ``table`` has in the database (empty when it does not exist)."""
        if self.db.dialect == "sqlite":
            cur.execute(f"PRAGMA table_info({table})")
            return {str(r[1]) for r in cur.fetchall()}
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {str(r[0]) for r in cur.fetchall()}

    def _changed(self, cur: Cursor, view: View) -> bool:
        """True when a stored table of ``view`` has other columns than it declares."""
        for table in view.tables:
            found = self._columns(cur, table.name)
            if found and found != set(table.column_names):
                return True
        return False

    def _drop(self, cur: Cursor, view: View) -> None:
        if self.db.dialect != "sqlite":
            for table in view.tables:
                cur.execute(f"DROP TABLE IF EXISTS {table.name}")
            return
        cur.execute("PRAGMA secure_delete")
        before = int(cur.fetchone()[0])
        cur.execute("PRAGMA secure_delete = ON")  # the freed pages are zeroed
        for table in view.tables:
            cur.execute(f"DROP TABLE IF EXISTS {table.name}")
        cur.execute(f"PRAGMA secure_delete = {before}")

    def positions(self, cur: Cursor | None = None, *, lock: bool = False) -> dict[str, int]:
        """Tracking position of every view (locked for update when ``lock``)."""
        if cur is None:
            with self.db.read() as read:
                return self.positions(read)
        suffix = " FOR UPDATE" if lock and self.db.dialect == "postgres" else ""
        cur.execute(f"SELECT view, position FROM {TRACKING}{suffix}")
        found = {name: int(position) for name, position in cur.fetchall()}
        return {v.name: found.get(v.name, 0) for v in self.views}

    def status(self) -> list[ViewStatus]:
        """Position and lag of every view."""
        head = self.recorder.max_notification_id() or 0
        positions = self.positions()
        return [
            ViewStatus(v.name, v.title, positions[v.name], head - positions[v.name])
            for v in self.views
        ]

    # --- incremental -------------------------------------------------------------------
    def catch_up(self) -> int:
        """Apply every event not yet seen by some view; return how many were read."""
        total = 0
        with self._lock:
            while True:
                done, again = self._one_batch()
                total += done
                if not again:
                    return total

    def nudge(self) -> None:
        """Catch up after a command, without making concurrent commands queue for it.

        The first caller catches up; a caller that finds it busy only marks new work, and
        the busy one loops until nothing is marked — so every committed event is processed,
        once, by one thread at a time. Callers that must see their own write use
        ``wait_for(position)``.
        """
        self._dirty.set()
        while self._dirty.is_set() and self._lock.acquire(blocking=False):
            try:
                while self._dirty.is_set():
                    self._dirty.clear()
                    while self._one_batch()[1]:
                        pass
            finally:
                self._lock.release()

    def _one_batch(self) -> tuple[int, bool]:
        """Apply one batch: (events read, whether to go on — a full batch, or the views
        found moved back). A batch shorter than the limit ends the catch-up: an event
        committed after it was read notifies the worker (or marks ``nudge``) again."""
        # Read and decode outside the write transaction: on SQLite, holding the write lock
        # while waiting for the event store's connection pool could deadlock with a writer.
        kept, self._start = self._start, None
        start = kept if kept is not None else min(self.positions().values(), default=0) + 1
        notes = self.recorder.select_notifications(start=start, limit=self.batch_size)
        if not notes:
            return 0, kept is not None  # from a kept start: read the positions themselves once
        decoded = [(n, self.decode(n)) for n in notes]
        moved_back = False
        with self.db.transaction() as cur:
            positions = self.positions(cur, lock=True)
            store = SQLStore(self.db, cur)
            advanced = {}
            for view in self.views:
                seen = positions[view.name]
                if seen < start - 1:
                    moved_back = True  # meanwhile (a rebuild): the next batch starts lower
                    continue
                for note, event in decoded:
                    if event is not None and note.id > seen:
                        view.apply(store, event, Applied(note.id, self.sealer, note))
                advanced[view.name] = max(seen, notes[-1].id)
            store.flush()
            self._set_positions(cur, advanced)
        self._start = None if moved_back else min(advanced.values(), default=0) + 1
        return len(notes), moved_back or len(notes) >= self.batch_size

    def decode(self, note: Notification) -> object | None:
        """The event of a stored row; None (and one line logged) when the row fails
        authentication: the views pass over it, the ledger halts at it."""
        try:
            return self.mapper.to_domain_event(note)
        except RecordUnauthentic:
            if note.id not in self._skipped:
                self._skipped.add(note.id)
                log.warning(SKIPPED, note.id, note.id)
            return None

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until every view has reached ``position`` (read-your-writes)."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            if min(self.positions().values(), default=0) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            # The worker usually needs a few ms: poll often at first, then back off (a
            # waiting request costs one small SELECT per poll) to 10 ms at most — a longer
            # step is added whole to a save's time when the views are ready just after it.
            delay = min(delay * 1.5, 0.01)

    def _set_positions(self, cur: Cursor, positions: dict[str, int]) -> None:
        p = self.db.param
        if len(set(positions.values())) == 1 and self.db.dialect == "postgres":
            # Usually every view reaches the same position: one statement, not one per view.
            cur.execute(
                f"UPDATE {TRACKING} SET position = {p} WHERE view = ANY({p})",
                (next(iter(positions.values())), list(positions)),
            )
            return
        cur.executemany(
            f"UPDATE {TRACKING} SET position = {p} WHERE view = {p}",
            [(pos, name) for name, pos in positions.items()],
        )

    # --- rebuild and as-of ---------------------------------------------------------------
    def notifications(
        self, stop: int | None = None, source: EventSource | None = None
    ) -> Iterator[list[Notification]]:
        """The whole log (up to ``stop``) in batches, from ``source`` (a hot standby's copy
        of the event store, ADR 0028) or the event store itself."""
        recorder = source or self.recorder
        start = 1
        while True:
            notes = recorder.select_notifications(start=start, limit=self.batch_size * 5, stop=stop)
            if not notes:
                return
            yield list(notes)
            start = notes[-1].id + 1

    def build_in_memory(
        self,
        views: Sequence[View],
        *,
        until: datetime | None = None,
        progress: Progress | None = None,
        source: EventSource | None = None,
    ) -> tuple[MemoryStore, int]:
        """Build ``views`` from the log (events stamped at or before ``until``), read from
        ``source`` when given (a hot standby's copy of the event store: an as-of replay)."""
        memory = MemoryStore()
        head = (source or self.recorder).max_notification_id() or 0
        last = 0
        # Millions of small row dicts are kept alive on purpose: the cyclic garbage
        # collector would scan them again and again (measured 18-29 % of a rebuild).
        collecting = gc.isenabled()
        gc.disable()
        try:
            last = self._build(memory, views, until, progress, head, source)
        finally:
            if collecting:
                gc.enable()
        return memory, last

    def _build(
        self,
        memory: MemoryStore,
        views: Sequence[View],
        until: datetime | None,
        progress: Progress | None,
        head: int,
        source: EventSource | None = None,
    ) -> int:
        last = 0
        # What every view does with each class of event, in view order, worked out once per
        # class: most views handle few classes, so most (view, event) pairs do nothing.
        plan: dict[type[Any], list[Handler[Any]]] = {}
        for notes in self.notifications(stop=head, source=source):
            for note in notes:
                event = self.decode(note)
                if event is None or (until is not None and stamped_after(event, until)):
                    continue
                steps = plan.get(type(event))
                if steps is None:
                    steps = plan[type(event)] = [s for v in views for s in v.steps(type(event))]
                applied = Applied(note.id, self.sealer, note)
                for step in steps:
                    step(memory, event, applied)
            last = notes[-1].id
            if progress is not None:
                progress(last, head)
        return last

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Drop and rebuild views (all, or ``names``); return the position reached."""
        views = [self.view(n) for n in names] if names else self.views
        memory, last = self.build_in_memory(views, progress=progress)
        with self._lock, self.db.transaction() as cur:
            self.positions(cur, lock=True)
            for view in views:
                for table in view.tables:
                    cur.execute(f"DELETE FROM {table.name}")
                    rows = memory.rows(table).values()
                    self.db.bulk_load(
                        cur, table, ([row[c] for c in table.column_names] for row in rows)
                    )
            self._set_positions(cur, {v.name: last for v in views})
            self._start = None
        with self.db.transaction() as cur:  # fresh statistics, or the planner scans tables
            for view in views:
                for table in view.tables:
                    cur.execute(f"ANALYZE {table.name}")
        return last
