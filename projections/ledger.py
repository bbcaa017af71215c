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
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.persistence import ApplicationRecorder, PersistenceError

from projections import merkle
from projections.processor import Processor
from projections.sqlstore import SQLReader
from projections.views import ledger as ledger_view

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


def log_leaves(recorder: ApplicationRecorder, batch: int = 10_000) -> list[tuple[int, bytes]]:
    """Every (position, leaf) computed from the event table itself."""
    found: list[tuple[int, bytes]] = []
    start = 1
    while True:
        notes = recorder.select_notifications(start=start, limit=batch)
        if not notes:
            return found
        found += [
            (n.id, merkle.leaf_hash(n.id, n.originator_id, n.originator_version, n.topic, n.state))
            for n in notes
        ]
        start = notes[-1].id + 1


def _compare(events: list[tuple[int, bytes]], sealed: list[tuple[int, bytes]]) -> Verdict | None:
    """The first difference between the log and the ledger's leaves (ledger's extent)."""
    in_log = dict(events)
    last_sealed = sealed[-1][0] if sealed else 0
    for position, leaf in sealed:
        if position not in in_log:
            return Verdict(
                False,
                len(events),
                0,
                position,
                f"event {position} is in the ledger but missing from the log",
            )
        if in_log[position] != leaf:
            return Verdict(
                False,
                len(events),
                0,
                position,
                f"event {position} was altered (its hash differs from the ledger)",
            )
    sealed_positions = {p for p, _ in sealed}
    for position, _ in events:
        if position <= last_sealed and position not in sealed_positions:
            return Verdict(
                False,
                len(events),
                0,
                position,
                f"event {position} was inserted (it is not in the ledger)",
            )
    return None


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
        every_events: int,
        every_seconds: float,
    ) -> None:
        self.processor = processor
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
            cur.execute(
                f"SELECT size, root, time, key_id, signature FROM {CHECKPOINTS} ORDER BY size"
            )
            return [Checkpoint(int(r[0]), r[1], r[2], r[3], r[4]) for r in cur.fetchall()]

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint."""
        found = self.checkpoints()
        return found[-1] if found else None

    def head(self) -> ledger_view.Head:
        """The tree head the ledger view has reached."""
        with self.db.read() as cur:
            return ledger_view.head(SQLReader(self.db, cur))

    def checkpoint(self) -> Checkpoint:
        """Sign the current tree head (after catching the views up) and store it."""
        self.processor.catch_up()
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
        after a term or the year closed."""
        head = self.head()
        latest = self.latest()
        if head.size == 0 or (latest is not None and latest.size >= head.size):
            return None
        due = latest is None or head.size - latest.size >= self.every_events
        if latest is not None and not due:
            age = datetime.now(UTC) - datetime.fromisoformat(latest.time)
            due = age.total_seconds() >= self.every_seconds
        if not due and latest is not None:
            with self.db.read() as cur:
                cur.execute(
                    f"SELECT last_position FROM {CHECKPOINTS} WHERE size = {self.db.param}",
                    (latest.size,),
                )
                since = int(cur.fetchone()[0])
                due = bool(ledger_view.triggers_after(SQLReader(self.db, cur), since))
        return self.checkpoint() if due else None

    def _sealed(self) -> list[tuple[int, bytes]]:
        with self.db.read() as cur:
            return ledger_view.leaves(SQLReader(self.db, cur))

    # --- verification --------------------------------------------------------------------
    def verify(self, against: Checkpoint | None = None) -> Verdict:
        """Recompute every leaf from the event table; compare with the ledger's leaves;
        check every checkpoint's root and signature (and ``against``, an exported one)."""
        try:
            events = log_leaves(self.processor.recorder)
        except PersistenceError as error:  # e.g. a state overwritten with text, not bytes
            return Verdict(False, 0, 0, None, f"the event table is unreadable: {error}")
        broken = _compare(events, self._sealed())
        if broken is not None:
            return broken
        checkpoints = self.checkpoints() + ([against] if against is not None else [])
        roots = _roots_at(events, {c.size for c in checkpoints})
        for c in sorted(checkpoints, key=lambda c: c.size):
            if not check_signature(c, self.public):
                return Verdict(
                    False,
                    len(events),
                    len(checkpoints),
                    _at(events, c.size),
                    f"checkpoint of size {c.size} has a bad signature or is signed by another key",
                )
            if c.size > len(events):
                last = events[-1][0] if events else 0
                return Verdict(
                    False,
                    len(events),
                    len(checkpoints),
                    last + 1,
                    f"checkpoint of size {c.size} is beyond the log's "
                    f"{len(events)} events: events after {last} were removed",
                )
            if roots[c.size].hex() != c.root:
                return Verdict(
                    False,
                    len(events),
                    len(checkpoints),
                    _first_divergence(events, c),
                    f"the log no longer matches the checkpoint of size {c.size}",
                )
        return Verdict(True, len(events), len(checkpoints))

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


def _roots_at(events: list[tuple[int, bytes]], sizes: set[int]) -> dict[int, bytes]:
    roots: dict[int, bytes] = {}
    frontier: list[bytes] = []
    if 0 in sizes:
        roots[0] = merkle.EMPTY_ROOT
    for size, (_, leaf) in enumerate(events):
        frontier = merkle.append(frontier, size, leaf)
        if size + 1 in sizes:
            roots[size + 1] = merkle.root(frontier)
    return roots


def _at(events: list[tuple[int, bytes]], size: int) -> int | None:
    return events[size - 1][0] if 0 < size <= len(events) else None


def _first_divergence(events: list[tuple[int, bytes]], checkpoint: Checkpoint) -> int | None:
    """Without the old leaves only the checkpoint's extent is known: name its last event."""
    return _at(events, checkpoint.size)
