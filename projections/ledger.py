"""Signed checkpoints of the ledger, and the auditor's tools: verify, prove, consistency.

(The signing key itself is loaded by the composition root: ``ejournal.signing``.)

A checkpoint (signed tree head) is ``size, root, time, key id`` signed with the school's
Ed25519 key. Checkpoints live in ``ejournal_checkpoints``, apart from the views (a rebuild
never drops them); exported ones are kept by auditors and printed in the signed archive.
``verify`` recomputes every leaf from the event table itself and trusts nothing stored.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.persistence import ApplicationRecorder, PersistenceError

from projections import merkle, sealing
from projections.processor import Processor
from projections.sqlstore import SQLReader, quoted
from projections.storage_errors import unreadable
from projections.views import ledger_leaves as ledger_view

FORMAT = "ejournal-checkpoint/v1"
EXPORT_MODE = 0o644  # checkpoints are public statements: auditors and mirrors read them

log = logging.getLogger(__name__)


class LedgerError(Exception):
    """Raised when a checkpoint file or the signing key cannot be used."""


class NotYetSealed(LedgerError):
    """Raised when no signed checkpoint covers an event yet (``size``: what the latest one
    covers, 0 with none)."""

    def __init__(self, message: str, size: int = 0) -> None:
        super().__init__(message)
        self.size = size


class NoSuchEvent(LedgerError):
    """Raised when a proof is asked for an event that does not exist."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head."""

    size: int
    root: str
    time: str
    key_id: str
    signature: str
    format: str = FORMAT

    def message(self) -> bytes:
        """The exact bytes that are signed."""
        return f"{FORMAT}\n{self.size}\n{self.root}\n{self.time}\n{self.key_id}\n".encode()

    def to_json(self) -> str:
        """The exportable form."""
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse an exported checkpoint; ``LedgerError`` if it is not one."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError("not an ejournal checkpoint")
            size = data["size"]
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"size must be a whole number of events, not {size!r}")
            return cls(
                size,
                str(data["root"]),
                str(data["time"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LedgerError(f"not a valid checkpoint file: {error}") from None


def export_name(size: int) -> str:
    """The file a checkpoint of ``size`` events is exported to (sorts by size)."""
    return f"checkpoint-{size:012d}.json"


def write_atomically(path: Path, text: str, mode: int = EXPORT_MODE) -> None:
    """Write ``text`` to ``path`` so that a reader sees the whole file or none: a temporary
    file in the same folder, flushed to disk, then renamed over ``path``."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # the rename itself made durable (not possible on every platform)
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name of a public key (SHA-256 of its raw bytes, 16 hex digits)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM, for auditors."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def check_signature(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    """True when ``checkpoint`` is signed by ``public``."""
    if checkpoint.key_id != key_id(public):
        return False
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Verdict:
    """The result of ``verify``: ok, or the first bad notification id and what is wrong."""

    ok: bool
    events: int
    checkpoints: int
    first_bad: int | None = None
    problem: str = ""


#: One stored event as verify reads it: notification id, originator id (bytes: a UUID's 16),
#: version, topic, stored state (the ciphertext, as stored).
LogRow = tuple[int, bytes, int, str, bytes]
FETCH = 10_000  # rows per fetch while verifying
PROBLEMS = {
    "missing": "event {} is in the ledger but missing from the log",
    "altered": "event {} was altered (its hash differs from the ledger)",
    "inserted": "event {} was inserted (it is not in the ledger)",
}


@dataclass
class _Walk:
    """One pass over the log: its extent, the first difference from the ledger's leaves,
    and the tree heads (with the notification id of their last event) at the sizes asked."""

    events: int = 0
    last: int = 0  # the notification id of the log's last event
    first_bad: int | None = None
    problem: str = ""
    roots: dict[int, bytes] = field(default_factory=dict)
    last_ids: dict[int, int] = field(default_factory=dict)
    unauthentic: int | None = None  # the first unsealed row that failed authentication
    #: Where the notification ids skip: (index of the leaf after the gap, the first id missing).
    gaps: list[tuple[int, int]] = field(default_factory=list)

    def first_gap(self, start: int, end: int) -> int | None:
        """The first notification id missing before a leaf with index in [start, end)."""
        return next((missing for index, missing in self.gaps if start <= index < end), None)


class _Merge:
    """The ledger's leaves consumed in step with the log's (both in notification order).
    The first difference is the lowest notification id that is wrong in any way: a leaf
    that differs (altered), a sealed event absent from the log (missing), an event inside
    the sealed extent that the ledger never sealed (inserted)."""

    def __init__(self, sealed: Iterator[tuple[int, bytes]]) -> None:
        self.sealed = sealed
        self.expected = next(sealed, None)
        self.bad: tuple[int, str] | None = None

    def step(self, position: int, leaf: bytes) -> bool:
        """Compare the log's next leaf; False once a difference is found or the ledger's
        leaves have run out (the rest of the log is not sealed yet)."""
        expected = self.expected
        if expected is None:
            return False
        if expected[0] == position:
            if expected[1] != leaf:
                self.bad = (position, "altered")
                return False
            self.expected = next(self.sealed, None)
            return self.expected is not None
        if expected[0] < position:
            self.bad = (expected[0], "missing")
        else:  # the ledger goes on after this event, without it
            self.bad = (position, "inserted")
        return False

    def end(self) -> tuple[int, str] | None:
        """The first difference, once the log has been read to its end."""
        if self.bad is None and self.expected is not None:  # sealed events after the end
            return (self.expected[0], "missing")
        return self.bad


def _note_gaps(walk: _Walk, rows: Sequence[LogRow], size: int) -> None:
    """Note where the notification ids of ``rows`` (leaves from index ``size``) skip."""
    previous = walk.last
    for n, row in enumerate(rows):
        if row[0] != previous + 1:
            walk.gaps.append((size + n, previous + 1))
        previous = row[0]


def _walk(
    log: Iterable[Sequence[LogRow]],
    sealed: Iterable[Sequence[tuple[int, bytes]]],
    sizes: set[int],
    accepts: Callable[[LogRow], bool] | None = None,
) -> _Walk:
    """Recompute every leaf from the log's rows, compare them with the ledger's leaves
    (``_Merge``) and grow the tree in place, keeping its head at ``sizes``; every row after
    the sealed ones is authenticated with ``accepts`` (the first that fails is noted)."""
    sha, head, leaf_head = hashlib.sha256, merkle.LEAF_HEAD.pack, merkle.leaf_head
    topics: dict[str, bytes] = {}
    frontier: list[bytes] = []  # roots of the perfect subtrees, largest first
    walk = _Walk(roots={0: merkle.EMPTY_ROOT})
    merge = _Merge(itertools.chain.from_iterable(sealed))
    comparing = merge.expected is not None
    size = 0
    for rows in log:
        if rows and rows[-1][0] - walk.last != len(rows):  # ids skip somewhere in this batch
            _note_gaps(walk, rows, size)
        for position, oid, version, topic, state in rows:
            prefix = topics.get(topic)
            if prefix is None:
                prefix = topics[topic] = merkle.topic_field(topic)
            if len(oid) == 16:
                leaf = sha(head(position, oid, version) + prefix + state).digest()
            else:
                leaf = sha(leaf_head(position, oid, version) + prefix + state).digest()
            if comparing:
                comparing = merge.step(position, leaf)
            elif (
                accepts is not None
                and merge.bad is None
                and walk.unauthentic is None
                and not accepts((position, oid, version, topic, state))
            ):
                walk.unauthentic = position
            frontier.append(leaf)
            merged = size
            while merged & 1:  # each trailing 1 bit of the old size completes a subtree
                right = frontier.pop()
                frontier[-1] = sha(b"\x01" + frontier[-1] + right).digest()
                merged >>= 1
            size += 1
            if size in sizes:
                walk.roots[size] = merkle.root(frontier)
                walk.last_ids[size] = position
        if rows:
            walk.last = rows[-1][0]
    walk.events = size
    bad = merge.end()
    if bad is not None:
        walk.first_bad, walk.problem = bad[0], PROBLEMS[bad[1]].format(bad[0])
    return walk


def _prefetched(batches: Iterator[Any], depth: int = 2) -> Generator[Any, None, None]:
    """``batches`` fetched ahead by a thread (the driver releases the GIL while it waits
    for the server, so the next fetch overlaps the hashing of this batch). The thread is
    stopped and joined when the consumer stops, before the cursor may be closed."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
            put(("end", None))
        except BaseException as error:  # handed over to the consumer
            put(("error", error))

    thread = threading.Thread(target=fetch, name="ledger-verify-fetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _recorded_rows(recorder: ApplicationRecorder, batch: int = FETCH) -> Iterator[list[LogRow]]:
    """The log through the recorder (any backend), in batches."""
    start = 1
    while notes := recorder.select_notifications(start=start, limit=batch):
        yield [
            (
                n.id,
                n.originator_id.bytes
                if isinstance(n.originator_id, UUID)
                else n.originator_id.encode(),
                n.originator_version,
                n.topic,
                bytes(n.state),
            )
            for n in notes
        ]
        start = notes[-1].id + 1


CHECKPOINTS = "ejournal_checkpoints"
VERIFICATIONS = "ejournal_ledger_verifications"


@dataclass(frozen=True)
class Verification:
    """A recorded run of ``verify``: when, and its verdict."""

    time: str
    ok: bool
    events: int
    checkpoints: int
    first_bad: int | None
    problem: str


class Ledger:
    """Checkpoints, verification and proofs over the ledger view and the event table."""

    def __init__(
        self,
        processor: Processor,
        key: Ed25519PrivateKey,
        *,
        keeper: sealing.Keeper,
        every_events: int,
        every_seconds: float,
        export_dir: Path | None = None,
    ) -> None:
        self.processor = processor  # the views' (for the event log's recorder)
        self.keeper = keeper  # the ledger's own processor: authenticates, seals, halts
        self.export_dir = export_dir
        self.db = processor.db
        self.key = key
        self.public = key.public_key()
        self.every_events = every_events
        self.every_seconds = every_seconds
        with self.db.transaction() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (size BIGINT PRIMARY KEY, "
                "root TEXT NOT NULL, time TEXT NOT NULL, key_id TEXT NOT NULL, "
                "signature TEXT NOT NULL, last_position BIGINT NOT NULL)"
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {VERIFICATIONS} (time TEXT NOT NULL, "
                "ok INTEGER NOT NULL, events BIGINT NOT NULL, checkpoints BIGINT NOT NULL, "
                "first_bad BIGINT, problem TEXT NOT NULL)"
            )

    # --- checkpoints ---------------------------------------------------------------------
    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, smallest first."""
        with self.db.read() as cur:
            return self._stored(cur)

    @staticmethod
    def _stored(cur: Any) -> list[Checkpoint]:
        cur.execute(f"SELECT size, root, time, key_id, signature FROM {CHECKPOINTS} ORDER BY size")
        return [Checkpoint(int(r[0]), r[1], r[2], r[3], r[4]) for r in cur.fetchall()]

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint."""
        with self.db.read() as cur:
            found = self._latest(cur)
        return found[0] if found else None

    @staticmethod
    def _latest(cur: Any) -> tuple[Checkpoint, int] | None:
        """The newest checkpoint and the notification id of its last event (one row)."""
        cur.execute(
            f"SELECT size, root, time, key_id, signature, last_position FROM {CHECKPOINTS} "
            "ORDER BY size DESC LIMIT 1"
        )
        r = cur.fetchone()
        return None if r is None else (Checkpoint(int(r[0]), r[1], r[2], r[3], r[4]), int(r[5]))

    def head(self) -> ledger_view.Head:
        """The tree head the ledger view has reached."""
        with self.db.read() as cur:
            return ledger_view.head(SQLReader(self.db, cur))

    def checkpoint(self) -> Checkpoint:
        """Seal what is authentic, then sign the current tree head and store it (a halted
        ledger signs the head it reached: every leaf in it was authenticated)."""
        self.keeper.catch_up()
        head = self.head()
        latest = self.latest()
        if latest is not None and latest.size == head.size:
            self.export()
            return latest
        moment = datetime.now(UTC).isoformat(timespec="seconds")
        unsigned = Checkpoint(head.size, head.root.hex(), moment, key_id(self.public), "")
        signature = base64.b64encode(self.key.sign(unsigned.message())).decode()
        signed = Checkpoint(head.size, head.root.hex(), moment, unsigned.key_id, signature)
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {CHECKPOINTS} (size, root, time, key_id, signature, "
                f"last_position) VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
                "ON CONFLICT (size) DO NOTHING",
                (
                    signed.size,
                    signed.root,
                    signed.time,
                    signed.key_id,
                    signature,
                    head.last_position,
                ),
            )
        self.export()
        return signed

    def export(self) -> list[Path]:
        """Write every stored checkpoint not yet in the export folder
        (``EJOURNAL_CHECKPOINT_EXPORT_DIR``) to it, one file per checkpoint named by its
        size; return the files written. A folder that cannot be written is logged, not
        raised: the checkpoint is stored, and the next one writes whatever is missing."""
        if self.export_dir is None:
            return []
        written: list[Path] = []
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            present = set(os.listdir(self.export_dir))
            for checkpoint in self.checkpoints():
                name = export_name(checkpoint.size)
                if name not in present:
                    write_atomically(self.export_dir / name, checkpoint.to_json() + "\n")
                    written.append(self.export_dir / name)
        except OSError as error:
            log.warning(
                "checkpoint not exported to %s: %s", self.export_dir, error.strerror or error
            )
        return written

    def maybe_checkpoint(self) -> Checkpoint | None:
        """Sign a checkpoint when due: every N events, every T seconds with new events, or
        after a term or the year closed. (One read transaction of three one-row queries
        when nothing is due: it runs after every catch-up.)"""
        with self.db.read() as cur:
            head = ledger_view.head(SQLReader(self.db, cur))
            found = self._latest(cur)
            if head.size == 0 or (found is not None and found[0].size >= head.size):
                return None
            due = found is None or head.size - found[0].size >= self.every_events
            if found is not None and not due:
                latest, since = found
                age = datetime.now(UTC) - datetime.fromisoformat(latest.time)
                due = age.total_seconds() >= self.every_seconds
                if not due:
                    cur.execute(
                        f"SELECT 1 FROM {ledger_view.TRIGGERS.name} "
                        f"WHERE position > {self.db.param} LIMIT 1",
                        (since,),
                    )
                    due = cur.fetchone() is not None
        return self.checkpoint() if due else None

    def status(self) -> sealing.SealingStatus:
        """How far sealing has come, and where it is halted if it is."""
        return self.keeper.status()

    def _sealed(self) -> list[tuple[int, bytes]]:
        with self.db.read() as cur:
            return ledger_view.leaves(SQLReader(self.db, cur))

    # --- verification --------------------------------------------------------------------
    def verify(self, against: Checkpoint | None = None) -> Verdict:
        """Recompute every leaf from the event table; compare with the ledger's leaves;
        check every checkpoint's root and signature (and ``against``, an exported one);
        authenticate every row not yet sealed."""
        try:
            accepts = sealing.accepts_row(self.keeper.acceptor())
            with self.snapshot() as (stored, log, sealed):
                checkpoints = stored + ([against] if against is not None else [])
                walk = _walk(log, sealed, {c.size for c in checkpoints}, accepts)
        except PersistenceError as error:  # e.g. a state overwritten with text, not bytes
            return Verdict(False, 0, 0, None, f"the event table is unreadable: {error}")
        except Exception as error:  # e.g. a leaf overwritten with something not hex
            if not unreadable(error):
                raise
            return Verdict(False, 0, 0, None, f"the stored rows are unreadable: {error}")
        if walk.first_bad is not None:
            return Verdict(False, walk.events, 0, walk.first_bad, walk.problem)
        verdict = self._judge(walk, checkpoints)
        if verdict.ok and walk.unauthentic is not None:
            return Verdict(
                False,
                walk.events,
                verdict.checkpoints,
                walk.unauthentic,
                sealing.problem(walk.unauthentic),
            )
        return verdict

    def _judge(self, walk: _Walk, checkpoints: list[Checkpoint]) -> Verdict:
        """Every checkpoint's signature, extent and root against the log as read.

        Only roots are signed, so when a root no longer matches, the first difference lies
        after the last checkpoint that still matches: it is named when the log shows it (the
        first notification id missing there — a deleted event), otherwise the checkpoint's
        last event is."""
        events, matched = walk.events, 0
        for c in sorted(checkpoints, key=lambda c: c.size):
            if not check_signature(c, self.public):
                return Verdict(
                    False,
                    events,
                    len(checkpoints),
                    walk.last_ids.get(c.size),
                    f"checkpoint of size {c.size} has a bad signature or is signed by another key",
                )
            if c.size > events or walk.roots[c.size].hex() != c.root:
                gap = walk.first_gap(matched, min(c.size, events + 1))
                if gap is not None:
                    return Verdict(
                        False,
                        events,
                        len(checkpoints),
                        gap,
                        f"event {gap} is missing from the log: the log no longer matches the "
                        f"checkpoint of size {c.size}, and the notification ids skip {gap} "
                        "within it",
                    )
            if c.size > events:
                last = walk.last
                return Verdict(
                    False,
                    events,
                    len(checkpoints),
                    last + 1,
                    f"checkpoint of size {c.size} is beyond the log's "
                    f"{events} events: events after {last} were removed",
                )
            if walk.roots[c.size].hex() != c.root:
                after = f" after event {walk.last_ids[matched]}" if matched else ""
                return Verdict(
                    False,
                    events,
                    len(checkpoints),
                    walk.last_ids.get(c.size),
                    f"the log no longer matches the checkpoint of size {c.size} (an event"
                    f"{after} up to this one was altered, inserted or removed)",
                )
            matched = c.size
        return Verdict(True, events, len(checkpoints))

    @contextmanager
    def snapshot(
        self,
    ) -> Iterator[
        tuple[list[Checkpoint], Iterable[Sequence[LogRow]], Iterable[Sequence[tuple[int, bytes]]]]
    ]:
        """The stored checkpoints, the log's rows and the ledger's leaves, read in one
        snapshot (a worker may be sealing and signing meanwhile). On PostgreSQL straight
        from the tables through server-side binary cursors; otherwise through the recorder.
        The rows and leaves come in batches, in notification order."""
        recorder: Any = self.processor.recorder
        table = getattr(recorder, "events_table_name", None)
        with self.db.read(own=True) as cur:  # its own transaction: it sets the isolation
            if self.db.dialect != "postgres" or table is None:
                sealed = ledger_view.leaves(SQLReader(self.db, cur))
                yield self._stored(cur), _recorded_rows(recorder), [sealed]
                return
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            stored = self._stored(cur)
            events = quoted(recorder.datastore.schema, table)
            with (
                self.db.stream(
                    cur,
                    "ledger_verify_log",
                    "SELECT notification_id, uuid_send(originator_id), originator_version, "
                    f"topic, state FROM {events} ORDER BY notification_id",
                    FETCH,
                ) as log,
                self.db.stream(
                    cur,
                    "ledger_verify_leaves",
                    "SELECT position, decode(leaf, 'hex') "
                    f"FROM {quoted(ledger_view.LEAVES.name)} ORDER BY position",
                    FETCH,
                ) as leaves,
                # The log's batches fetched ahead by a thread; it is joined (``closing``)
                # before the cursors close, even when the walk stops on an error.
                closing(_prefetched(log)) as rows,
            ):
                yield stored, rows, leaves

    def verify_and_record(self, against: Checkpoint | None = None) -> Verification:
        """Run ``verify`` and keep its verdict, for the auditor's status page."""
        verdict = self.verify(against)
        moment = datetime.now(UTC).isoformat(timespec="seconds")
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {VERIFICATIONS} (time, ok, events, checkpoints, first_bad, "
                f"problem) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (
                    moment,
                    int(verdict.ok),
                    verdict.events,
                    verdict.checkpoints,
                    verdict.first_bad,
                    verdict.problem,
                ),
            )
        return Verification(
            moment,
            verdict.ok,
            verdict.events,
            verdict.checkpoints,
            verdict.first_bad,
            verdict.problem,
        )

    def last_verification(self) -> Verification | None:
        """The latest recorded verification."""
        with self.db.read() as cur:
            cur.execute(
                f"SELECT time, ok, events, checkpoints, first_bad, problem "
                f"FROM {VERIFICATIONS} ORDER BY time DESC LIMIT 1"
            )
            row = cur.fetchone()
        if row is None:
            return None
        return Verification(
            row[0],
            bool(row[1]),
            int(row[2]),
            int(row[3]),
            None if row[4] is None else int(row[4]),
            row[5],
        )

    # --- proofs --------------------------------------------------------------------------
    # Each proof is checked before it is returned, as an auditor would check it: the
    # checkpoint's signature, the leaf recomputed from the stored event, the root rebuilt
    # from the path (inclusion) or both roots from the proof (consistency).
    def prove(self, position: int, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
        """An inclusion proof of event ``position`` (its notification id) against a
        checkpoint (the latest), with the event's stored row (the leaf's preimage).
        ``LedgerError`` when there is no such event, the checkpoint does not cover it,
        or the proof would not verify."""
        checkpoint = checkpoint or self.latest()
        if checkpoint is None:
            raise NotYetSealed("no checkpoint yet: run `ejournal ledger checkpoint`")
        if position < 1:
            raise NoSuchEvent(
                f"event {position} does not exist: events are numbered by their notification "
                "id, from 1"
            )
        self._check_signed(checkpoint)
        sealed = self._sealed()
        note = self._stored_event(position)
        if note is None:
            if any(p == position for p, _ in sealed):
                raise LedgerError(
                    f"event {position} is in the ledger but missing from the log: "
                    "run `ejournal ledger verify`"
                )
            raise NoSuchEvent(f"event {position} does not exist: no such notification id")
        sealed = sealed[: checkpoint.size]
        index = next((i for i, (p, _) in enumerate(sealed) if p == position), None)
        if index is None:
            raise NotYetSealed(
                f"event {position} is not covered by the checkpoint of size "
                f"{checkpoint.size}: run `ejournal ledger checkpoint` first",
                checkpoint.size,
            )
        leaves = [leaf for _, leaf in sealed]
        leaf, preimage = self._preimage(note)
        if leaf != leaves[index]:
            raise LedgerError(
                f"event {position} differs from the ledger's leaf: the log was altered; "
                "run `ejournal ledger verify`"
            )
        path = merkle.inclusion_path(index, leaves)
        if len(leaves) < checkpoint.size or merkle.root_from_path(
            index, checkpoint.size, leaf, path
        ) != bytes.fromhex(checkpoint.root):
            raise LedgerError(
                f"the ledger's leaves no longer match the checkpoint of size {checkpoint.size}: "
                "no proof can be given; run `ejournal ledger verify`"
            )
        return {
            "position": position,
            "leaf_index": index,
            "leaf": leaf.hex(),
            "tree_size": checkpoint.size,
            "root": checkpoint.root,
            "path": [h.hex() for h in path],
            "checkpoint": asdict(checkpoint),
            "preimage": preimage,
        }

    def _stored_event(self, position: int) -> Any:
        """The stored notification ``position`` as the recorder reads it, or None."""
        found = self.processor.recorder.select_notifications(start=position, limit=1)
        return found[0] if found and found[0].id == position else None

    @staticmethod
    def _preimage(note: Any) -> tuple[bytes, dict[str, Any]]:
        """The leaf of a stored notification and the fields it is computed from."""
        oid = note.originator_id
        state = bytes(note.state)
        leaf = merkle.leaf_hash(note.id, oid, note.originator_version, note.topic, state)
        return leaf, {
            "notification_id": note.id,
            "originator_id": str(oid),
            "originator_version": note.originator_version,
            "topic": note.topic,
            "state_b64": base64.b64encode(state).decode(),
        }

    def _check_signed(self, checkpoint: Checkpoint) -> None:
        if not check_signature(checkpoint, self.public):
            raise LedgerError(
                f"the checkpoint of size {checkpoint.size} is not signed by this ledger's key "
                f"({key_id(self.public)}): its signature, size, root or time was altered, "
                "or another key signed it"
            )

    def consistency(self, old: Checkpoint) -> dict[str, Any]:
        """A consistency proof (RFC 9162 §2.1.4) from a checkpoint kept outside the system
        to the latest one. ``LedgerError``, printing nothing, unless both checkpoints are
        signed by this ledger's key, the ledger's tree has ``old``'s root at its size (it
        does not when the history since was rewritten, even if re-sealed and re-signed),
        and the proof verifies."""
        self._check_signed(old)
        if old.size < 1:
            raise LedgerError("a checkpoint of 0 events has nothing to prove consistency with")
        new = self.latest()
        if new is None or new.size < old.size:
            raise LedgerError("the latest checkpoint is older than the given one")
        self._check_signed(new)
        leaves = [leaf for _, leaf in self._sealed()[: new.size]]
        if len(leaves) < new.size or merkle.mth(leaves).hex() != new.root:
            raise LedgerError(
                f"the ledger's leaves no longer match the latest checkpoint (size {new.size}): "
                "run `ejournal ledger verify`"
            )
        if merkle.mth(leaves[: old.size]).hex() != old.root:
            raise LedgerError(
                f"the ledger is not consistent with the checkpoint of size {old.size}: the tree "
                "of its first events has another root now — the history was rewritten since "
                f"(run `ejournal ledger verify --against` with that checkpoint)"
            )
        proof = merkle.consistency_proof(old.size, leaves)
        if not merkle.consistent(
            old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof
        ):
            raise LedgerError(f"the consistency proof from size {old.size} does not verify")
        hashes = [h.hex() for h in proof]
        return {
            "old": asdict(old),
            "new": asdict(new),
            "proof": hashes,
            "first": old.size,
            "second": new.size,
            "consistency_path": hashes,
        }
