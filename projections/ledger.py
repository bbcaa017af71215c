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
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
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


class LedgerError(Exception):
    """Raised when a checkpoint file or the signing key cannot be used."""


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
            return cls(
                int(data["size"]),
                str(data["root"]),
                str(data["time"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LedgerError(f"not a valid checkpoint file: {error}") from None


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
    ) -> None:
        self.processor = processor  # the views' (for the event log's recorder)
        self.keeper = keeper  # the ledger's own processor: authenticates, seals, halts
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
        return signed

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
        """Every checkpoint's signature, extent and root against the log as read."""
        events = walk.events
        for c in sorted(checkpoints, key=lambda c: c.size):
            if not check_signature(c, self.public):
                return Verdict(
                    False,
                    events,
                    len(checkpoints),
                    walk.last_ids.get(c.size),
                    f"checkpoint of size {c.size} has a bad signature or is signed by another key",
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
                # Without the old leaves only the checkpoint's extent is known: its last event.
                return Verdict(
                    False,
                    events,
                    len(checkpoints),
                    walk.last_ids.get(c.size),
                    f"the log no longer matches the checkpoint of size {c.size}",
                )
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
    def prove(self, position: int, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
        """An inclusion proof of event ``position`` against a checkpoint (the latest)."""
        checkpoint = checkpoint or self.latest()
        if checkpoint is None:
            raise LedgerError("no checkpoint yet: run `ejournal ledger checkpoint`")
        sealed = self._sealed()[: checkpoint.size]
        index = next((i for i, (p, _) in enumerate(sealed) if p == position), None)
        if index is None:
            raise LedgerError(
                f"event {position} is not covered by the checkpoint of size "
                f"{checkpoint.size}: run `ejournal ledger checkpoint` first"
            )
        leaves = [leaf for _, leaf in sealed]
        return {
            "position": position,
            "leaf_index": index,
            "leaf": leaves[index].hex(),
            "tree_size": checkpoint.size,
            "root": checkpoint.root,
            "path": [h.hex() for h in merkle.inclusion_path(index, leaves)],
            "checkpoint": asdict(checkpoint),
        }

    def consistency(self, old: Checkpoint) -> dict[str, Any]:
        """A consistency proof from an exported checkpoint to the latest one."""
        new = self.latest()
        if new is None or new.size < old.size:
            raise LedgerError("the latest checkpoint is older than the given one")
        leaves = [leaf for _, leaf in self._sealed()[: new.size]]
        return {
            "old": asdict(old),
            "new": asdict(new),
            "proof": [h.hex() for h in merkle.consistency_proof(old.size, leaves)],
        }
