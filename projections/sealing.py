"""Sealing: the ledger kept by its own processor from the stored rows, each row
authenticated before it becomes a leaf.

The ledger's tables (``projections.views.ledger_leaves``) are kept here, not by the views'
``Processor``: sealing reads the stored notifications (ids, topic, ciphertext), asks the
``Authenticator`` port (the composition root wires the encrypting mapper's AES-GCM check)
whether each row is authentic, and appends the authentic ones as leaves of the Merkle tree.
A row that fails is never sealed: sealing halts at it, records the halt (position and
problem, ``v_ledger_halt``) and logs one line; it resumes by itself once the row is moved
aside (docs/operations.md, «Карантин подложного события»).

A row whose series key was destroyed cannot be authenticated any more; it is accepted only
as sealed before the destruction: covered by a signed checkpoint taken at or before the
moment the key was destroyed (the retention engine signs one before it destroys keys).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification

from projections import merkle
from projections.sqlstore import Cursor, Database
from projections.views import ledger_leaves as ledger_view

log = logging.getLogger(__name__)

#: The tracking row of the ledger (the same row as when the ledger was a view).
NAME = "ledger"
TRACKING = "ejournal_view_tracking"
CHECKPOINTS = "ejournal_checkpoints"
#: What an operator reads when a row fails authentication (``{}``: its notification id).
PROBLEM = "событие {} не прошло проверку подлинности: вставлено или изменено в обход приложения"
COPY_FROM = 100  # leaves per batch from which they are written with COPY (PostgreSQL)
QUARANTINE = "карантин: docs/operations.md, «Карантин подложного события»"


class Authenticity(enum.Enum):
    """What the port says of one stored row."""

    AUTHENTIC = "authentic"
    DESTROYED = "destroyed"  # its series key is destroyed: it can no longer be checked
    FORGED = "forged"  # fails AES-GCM with its associated data, or not in our format


@dataclass(frozen=True)
class Authentication:
    """The port's answer: authentic, forged, or destroyed (with when the key was)."""

    kind: Authenticity
    destroyed_at: datetime | None = None


class Authenticator(Protocol):
    """Authenticates one stored row (originator id, version, stored state): the row's
    ciphertext under its series key with its associated data."""

    def authenticate(
        self, originator_id: UUID | str, version: int, state: bytes
    ) -> Authentication: ...


def problem(position: int) -> str:
    """The message naming a row that failed authentication."""
    return PROBLEM.format(position)


@dataclass(frozen=True)
class Halt:
    """Where sealing stopped, and why."""

    position: int
    problem: str


@dataclass(frozen=True)
class SealingStatus:
    """How far sealing has come: sealed leaves, the last sealed notification id, the log's
    head, and the halt when a row failed authentication."""

    size: int
    last_position: int
    head: int
    halt: Halt | None

    @property
    def unsealed(self) -> int:
        """Notification ids after the last sealed one (an upper bound of the events)."""
        return max(0, self.head - self.last_position)


#: Topics of events after which a checkpoint is due (a term or the school year closed).
TRIGGER_TOPICS = {
    "domain.school_year:SchoolYear.TermClosed": "term closed",
    "domain.school_year:SchoolYear.Closed": "school year closed",
}


class Acceptor:
    """Decides whether one stored row may be sealed: authentic, or of a destroyed series
    and covered by a checkpoint signed at or before the destruction."""

    def __init__(
        self,
        authenticator: Authenticator,
        checkpoints: Callable[[], Sequence[tuple[int, str]]],
    ) -> None:
        self.authenticator = authenticator
        self._load = checkpoints  # read only when a destroyed series' row is met
        self._checkpoints: list[tuple[int, datetime]] | None = None

    @property
    def checkpoints(self) -> list[tuple[int, datetime]]:
        """(last notification id covered, signing time) of every stored checkpoint."""
        if self._checkpoints is None:
            self._checkpoints = sorted(
                (int(last), datetime.fromisoformat(time)) for last, time in self._load()
            )
        return self._checkpoints

    def accepts(self, position: int, originator_id: UUID | str, version: int, state: bytes) -> bool:
        """True when the row may be sealed (or counted as sealed by ``verify``)."""
        found = self.authenticator.authenticate(originator_id, version, state)
        if found.kind is Authenticity.AUTHENTIC:
            return True
        if found.kind is Authenticity.DESTROYED and found.destroyed_at is not None:
            return any(
                last >= position and time <= found.destroyed_at for last, time in self.checkpoints
            )
        return False


class Keeper:
    """Keeps the ledger's tables from the stored rows: authenticates, seals, halts."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        db: Database,
        authenticator: Authenticator,
        batch_size: int = 2000,
    ) -> None:
        self.recorder = recorder
        self.db = db
        self.authenticator = authenticator
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._reported: int | None = None  # the halt already logged by this process
        #: Where the next batch starts, as this process's last clean batch left the ledger
        #: (no halt): saves reading the position and the halt before each batch. The
        #: batch's transaction checks it; a batch that finds nothing new drops it.
        self._start: int | None = None

    # --- set-up and status -------------------------------------------------------------
    def setup(self) -> None:
        """Create the ledger's tables and its tracking row (idempotent; the views'
        ``Processor.setup`` creates the tracking table)."""
        with self.db.transaction() as cur:
            for table in ledger_view.TABLES:
                for statement in table.ddl(self.db.dialect):
                    cur.execute(statement)
            cur.execute(
                f"INSERT INTO {TRACKING} (view, position) VALUES ({self.db.param}, 0) "
                "ON CONFLICT (view) DO NOTHING",
                (NAME,),
            )

    def position(self, cur: Cursor | None = None, *, lock: bool = False) -> int:
        """The last notification id sealing has passed."""
        if cur is None:
            with self.db.read() as read:
                return self.position(read)
        suffix = " FOR UPDATE" if lock and self.db.dialect == "postgres" else ""
        cur.execute(
            f"SELECT position FROM {TRACKING} WHERE view = {self.db.param}{suffix}", (NAME,)
        )
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def halt(self, cur: Cursor | None = None) -> Halt | None:
        """Where sealing is halted, if it is."""
        if cur is None:
            with self.db.read() as read:
                return self.halt(read)
        cur.execute(f"SELECT position, problem FROM {ledger_view.HALT.name} WHERE id = 1")
        row = cur.fetchone()
        return None if row is None else Halt(int(row[0]), str(row[1]))

    def status(self) -> SealingStatus:
        """Sealed size, last sealed id, the log's head and the halt."""
        head = self.recorder.max_notification_id() or 0
        with self.db.read() as cur:
            state = self._state(cur)
            halt = self.halt(cur)
        return SealingStatus(state[0], state[1], head, halt)

    def acceptor(self) -> Acceptor:
        """The acceptance rule, with the stored checkpoints as they stand when first
        needed (a destroyed series' row)."""

        def checkpoints() -> list[tuple[int, str]]:
            with self.db.read() as cur:
                cur.execute(f"SELECT last_position, time FROM {CHECKPOINTS}")
                return [(int(r[0]), str(r[1])) for r in cur.fetchall()]

        return Acceptor(self.authenticator, checkpoints)

    # --- sealing -------------------------------------------------------------------------
    def catch_up(self) -> int:
        """Seal every authentic row not yet sealed, up to a row that fails; return how
        many rows were sealed."""
        total = 0
        with self._lock:
            while True:
                done, again = self._batch()
                total += max(done, 0)
                if not again:
                    return total

    def nudge(self) -> None:
        """Seal after a command without making concurrent commands queue for it (the
        same hand-over as ``Processor.nudge``)."""
        self._dirty.set()
        while self._dirty.is_set() and self._lock.acquire(blocking=False):
            try:
                while self._dirty.is_set():
                    self._dirty.clear()
                    while self._batch()[1]:
                        pass
            finally:
                self._lock.release()

    def _state(self, cur: Cursor) -> tuple[int, int, list[bytes]]:
        cur.execute(
            f"SELECT size, last_position, frontier FROM {ledger_view.STATE.name} WHERE id = 1"
        )
        row = cur.fetchone()
        if row is None:
            return 0, 0, []
        return int(row[0]), int(row[1]), ledger_view.frontier(str(row[2]))

    def _batch(self) -> tuple[int, bool]:
        """Seal one batch: (rows sealed, or -1 when another process moved meanwhile;
        whether to go on). A clean batch shorter than the limit ends the catch-up: a row
        committed after it was read notifies the worker (or marks ``nudge``) again."""
        kept, self._start = self._start, None
        if kept is not None:
            start, halted = kept, None
        else:
            with self.db.read() as cur:
                start = self.position(cur) + 1
                halted = self.halt(cur)
        done = self._seal_from(start, halted)
        if done == 0:
            return 0, kept is not None  # from a kept start: read the position itself once
        clean = self._start is not None
        return done, done < 0 or not clean or done >= self.batch_size

    def _seal_from(self, start: int, halted: Halt | None) -> int:
        """Seal from ``start`` (the ledger's position + 1, halted or not as read);
        keeps ``_start`` after a clean batch."""
        acceptor = self.acceptor()
        # Halted at the next row: look at that row alone until it is moved aside.
        limit = 1 if halted is not None and halted.position == start else self.batch_size
        notes: Sequence[Notification] = self.recorder.select_notifications(start=start, limit=limit)
        if halted is not None and (not notes or notes[0].id != halted.position):
            notes = self.recorder.select_notifications(start=start, limit=self.batch_size)
        if not notes:
            return 0 if halted is None else self._clear_halt(start)
        sealed: list[tuple[Notification, bytes]] = []
        failed: int | None = None
        for note in notes:
            state = bytes(note.state)
            if not acceptor.accepts(note.id, note.originator_id, note.originator_version, state):
                failed = note.id
                break
            leaf = merkle.leaf_hash(
                note.id, note.originator_id, note.originator_version, note.topic, state
            )
            sealed.append((note, leaf))
        if failed is not None and not sealed and halted is not None and halted.position == failed:
            self._report(failed)  # still halted at the same row: nothing to write
            return 0
        with self.db.transaction() as cur:
            if self.position(cur, lock=True) != start - 1:
                return -1
            if sealed:
                self._seal(cur, sealed)
            if failed is not None or halted is not None:
                self._set_halt(cur, failed)
        if failed is not None:
            self._report(failed)
            return len(sealed) if sealed else 0
        self._reported = None
        self._start = notes[-1].id + 1
        return len(sealed)

    def _seal(self, cur: Cursor, sealed: list[tuple[Notification, bytes]]) -> None:
        size, _, frontier = self._state(cur)
        for _, leaf in sealed:
            frontier = merkle.append(frontier, size, leaf)
            size += 1
        p = self.db.param
        leaves = [(note.id, leaf.hex()) for note, leaf in sealed]
        if len(leaves) >= COPY_FROM:
            self.db.bulk_load(cur, ledger_view.LEAVES, leaves)
        else:  # a command's few events: one pipelined INSERT beats setting up a COPY
            cur.executemany(
                f"INSERT INTO {ledger_view.LEAVES.name} (position, leaf) VALUES ({p}, {p})", leaves
            )
        triggers = [
            (note.id, TRIGGER_TOPICS[note.topic])
            for note, _ in sealed
            if note.topic in TRIGGER_TOPICS
        ]
        if triggers:
            self.db.bulk_load(cur, ledger_view.TRIGGERS, triggers)
        last = sealed[-1][0].id
        cur.execute(
            f"INSERT INTO {ledger_view.STATE.name} (id, size, last_position, frontier) "
            f"VALUES (1, {p}, {p}, {p}) ON CONFLICT (id) DO UPDATE SET size = excluded.size, "
            "last_position = excluded.last_position, frontier = excluded.frontier",
            (size, last, ",".join(h.hex() for h in frontier)),
        )
        cur.execute(f"UPDATE {TRACKING} SET position = {p} WHERE view = {p}", (last, NAME))

    def _set_halt(self, cur: Cursor, failed: int | None) -> None:
        cur.execute(f"DELETE FROM {ledger_view.HALT.name}")
        if failed is not None:
            p = self.db.param
            cur.execute(
                f"INSERT INTO {ledger_view.HALT.name} (id, position, problem) VALUES (1, {p}, {p})",
                (failed, problem(failed)),
            )

    def _clear_halt(self, start: int) -> int:
        with self.db.transaction() as cur:
            if self.position(cur, lock=True) == start - 1:
                self._set_halt(cur, None)
        self._reported = None
        return 0

    def _report(self, failed: int) -> None:
        if self._reported != failed:
            self._reported = failed
            log.warning("ledger: sealing halted: %s; %s", problem(failed), QUARANTINE)

    # --- rebuild -------------------------------------------------------------------------
    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop the ledger's tables and seal again from the first stored row (a destroyed
        series' rows pass when a checkpoint signed before the destruction covers them);
        return the last notification id sealed."""
        head = self.recorder.max_notification_id() or 0
        with self._lock:
            self._start = None
            with self.db.transaction() as cur:
                self.position(cur, lock=True)
                for table in ledger_view.TABLES:
                    cur.execute(f"DELETE FROM {table.name}")
                cur.execute(
                    f"UPDATE {TRACKING} SET position = 0 WHERE view = {self.db.param}", (NAME,)
                )
            batch, self.batch_size = self.batch_size, self.batch_size * 5
            try:
                while self._batch()[1]:
                    if progress is not None:
                        progress(self.position(), head)
            finally:
                self.batch_size = batch
        return self.position()


def originator(raw: bytes) -> UUID | str:
    """An originator id as ``verify`` reads it (16 bytes: a UUID) for the port."""
    return UUID(bytes=raw) if len(raw) == 16 else raw.decode()


def accepts_row(acceptor: Acceptor) -> Callable[[Any], bool]:
    """``acceptor`` over a ``verify`` row: (id, originator bytes, version, topic, state)."""
    return lambda row: acceptor.accepts(row[0], originator(row[1]), row[2], bytes(row[4]))
