#!/usr/bin/env python3
"""ejournal_audit — an auditor's standalone verifier of the ejournal ledger.

One file; it needs Python 3.11+ and the ``cryptography`` package, nothing else, and imports
nothing of ejournal: it is written from the published format (docs/ledger-format.md) and
RFC 9162, so that an auditor can check the school's ledger without trusting its software.

    python3 ejournal_audit.py key-id      --key ledger-public.pem
    python3 ejournal_audit.py checkpoint  CHECKPOINT.json... --key ledger-public.pem
    python3 ejournal_audit.py inclusion   PROVE.json --key K.pem [--checkpoint MINE.json]
    python3 ejournal_audit.py consistency PROOF.json --key K.pem [--old OLD.json] [--new NEW.json]
    python3 ejournal_audit.py tree        SOURCE --key K.pem [--checkpoint CHECKPOINT.json]...

SOURCE of ``tree``: a backup folder (``ejournal backup``), a copy of the SQLite database
file, or a CSV export of the PostgreSQL event table (the COPY statement is in
docs/auditors.md). A checkpoint argument may be a checkpoint file, a JSON list of
checkpoints (a backup's checkpoints.json) or a folder of checkpoint files.

Exit status: 0 everything checked agrees; 1 something does not (one line says what);
2 the command or its files are unusable (one line says why).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import hashlib
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

OK, MISMATCH, USAGE = 0, 1, 2
CHECKPOINT_FORMAT = "ejournal-checkpoint/v1"
BACKUP_FORMAT = "ejournal-backup/v1"
LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"  # RFC 9162 §2.1.1 domain separation
EMPTY_ROOT = hashlib.sha256(b"").digest()
CSV_COLUMNS = ("notification_id", "originator_id", "originator_version", "topic", "state_hex")


class Mismatch(Exception):
    """Something checked does not agree (exit 1)."""


class Unusable(Exception):
    """A file or an argument cannot be used (exit 2)."""


# --- hashes (docs/ledger-format.md, «Leaves» and «The tree») ---------------------------------
def _u64(value: int, what: str) -> bytes:
    if not 0 <= value < 1 << 63:  # the product packs signed 64-bit integers: 0 … 2^63 - 1
        raise Unusable(f"{what} {value} is outside 0 … 2^63-1")
    return value.to_bytes(8, "big")


def leaf_input(
    notification_id: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """0x00 ‖ u64be id ‖ uuid (16) ‖ u64be version ‖ u32be len(topic) ‖ topic ‖ state."""
    encoded = topic.encode("utf-8")
    return b"".join(
        (
            LEAF_PREFIX,
            _u64(notification_id, "notification id"),
            originator_id.bytes,
            _u64(version, "version"),
            len(encoded).to_bytes(4, "big"),
            encoded,
            state,
        )
    )


def leaf_hash(
    notification_id: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """The leaf of one stored event: SHA-256 of its ``leaf_input``."""
    return hashlib.sha256(
        leaf_input(notification_id, originator_id, version, topic, state)
    ).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


class Tree:
    """An append-only RFC 9162 tree kept as its frontier (the heads of its perfect subtrees,
    largest first): O(log n) memory, whatever the size of the log."""

    def __init__(self) -> None:
        self.size = 0
        self.frontier: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        self.frontier.append(leaf)
        carry = self.size
        while carry & 1:  # every trailing 1 bit of the old size closes a perfect subtree
            right = self.frontier.pop()
            self.frontier[-1] = node_hash(self.frontier[-1], right)
            carry >>= 1
        self.size += 1

    def root(self) -> bytes:
        """MTH(D[size]); SHA-256 of nothing for the empty tree."""
        if not self.frontier:
            return EMPTY_ROOT
        head = self.frontier[-1]
        for subtree in reversed(self.frontier[:-1]):
            head = node_hash(subtree, head)
        return head


def tree_head(leaves: Iterable[bytes]) -> bytes:
    """MTH of the leaf hashes given."""
    tree = Tree()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root that ``path`` leads to from ``leaf`` at ``index`` of a
    tree of ``size`` leaves; None when the path cannot belong to such a tree."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def consistent(first: int, second: int, old: bytes, new: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show that the tree of ``second`` leaves with head
    ``new`` extends the tree of ``first`` leaves with head ``old``?"""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and old == new
    if not proof:
        return False
    path = [old, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old and sr == new and sn == 0


# --- keys and checkpoints (docs/ledger-format.md, «Checkpoints») ------------------------------
def load_public_key(path: Path) -> Ed25519PublicKey:
    """The school's ledger key: PEM (SubjectPublicKeyInfo, as ``ejournal ledger public-key``
    prints it), or the raw 32 bytes written as 64 hex digits."""
    data = _read_bytes(path)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.decode().strip()))
    except (ValueError, UnicodeDecodeError) as error:
        raise Unusable(f"{path}: not an Ed25519 public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Unusable(f"{path}: not an Ed25519 public key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 of the raw 32-byte public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head as exported (``ejournal ledger checkpoint --export``)."""

    size: int
    root: str
    time: str
    key_id: str
    signature: str
    source: str = ""

    def message(self) -> bytes:
        """The signed bytes: five lines, each ended by LF, UTF-8."""
        return (
            f"{CHECKPOINT_FORMAT}\n{self.size}\n{self.root}\n{self.time}\n{self.key_id}\n"
        ).encode()

    def same_head(self, other: Checkpoint) -> bool:
        return (self.size, self.root) == (other.size, other.root)


def _hex(value: Any, length: int, what: str) -> str:
    if not isinstance(value, str) or len(value) != length:
        raise Unusable(f"{what} must be {length} hex digits")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise Unusable(f"{what} must be {length} hex digits") from None
    return value


def parse_checkpoint(data: Any, source: str, *, strict_format: bool = True) -> Checkpoint:
    """A checkpoint object; ``Unusable`` when a field is missing or malformed. A backup's
    checkpoints.json rows carry no ``format`` (``strict_format=False``)."""
    if not isinstance(data, dict):
        raise Unusable(f"{source}: not a checkpoint object")
    if (strict_format or "format" in data) and data.get("format") != CHECKPOINT_FORMAT:
        raise Unusable(f"{source}: format is not {CHECKPOINT_FORMAT}")
    try:
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise Unusable(f"{source}: size must be a non-negative integer")
        for name in ("time", "signature"):
            if not isinstance(data[name], str):
                raise Unusable(f"{source}: {name} must be a string")
        return Checkpoint(
            size,
            _hex(data["root"], 64, f"{source}: root"),
            data["time"],
            _hex(data["key_id"], 16, f"{source}: key_id"),
            data["signature"],
            source,
        )
    except KeyError as error:
        raise Unusable(f"{source}: no {error.args[0]!r} in the checkpoint") from None


def signature_problem(checkpoint: Checkpoint, public: Ed25519PublicKey) -> str | None:
    """Why ``checkpoint`` is not signed by ``public`` (None when it is)."""
    if checkpoint.key_id != key_id(public):
        return f"is signed by key {checkpoint.key_id}, not by the given key {key_id(public)}"
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        public.verify(signature, checkpoint.message())
    except (InvalidSignature, binascii.Error, ValueError):
        return "has a bad signature (the size, root, time or key id was altered)"
    return None


def check_signed(checkpoint: Checkpoint, public: Ed25519PublicKey) -> None:
    problem = signature_problem(checkpoint, public)
    if problem:
        raise Mismatch(f"checkpoint of size {checkpoint.size} ({checkpoint.source}) {problem}")


# --- files -----------------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise Unusable(f"cannot read {path}: {error.strerror}") from None


def read_json(path: Path) -> Any:
    try:
        return json.loads(_read_bytes(path).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise Unusable(f"{path}: not valid JSON ({error})") from None


def load_checkpoints(path: Path) -> list[Checkpoint]:
    """The checkpoints in a file (one object, or a list), or in every ``*.json`` file of a
    folder (an export folder an operator mirrors)."""
    if path.is_dir():
        files = sorted(f for f in path.glob("*.json") if not f.name.startswith("."))
        found = [c for f in files for c in load_checkpoints(f)]
        if not found:
            raise Unusable(f"{path}: no checkpoint files (*.json) in this folder")
        return found
    data = read_json(path)
    if isinstance(data, list):
        return [
            parse_checkpoint(d, f"{path}[{i}]", strict_format=False) for i, d in enumerate(data)
        ]
    return [parse_checkpoint(data, str(path))]


def _hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise Unusable(f"{what} must be a list of hex hashes")
    return [bytes.fromhex(_hex(v, 64, what)) for v in values]


def _int(data: dict[str, Any], name: str, source: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unusable(f"{source}: {name} must be an integer")
    return value


# --- inclusion -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preimage:
    """What a leaf is the hash of: one stored event."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes

    def leaf(self) -> bytes:
        return leaf_hash(
            self.notification_id,
            self.originator_id,
            self.originator_version,
            self.topic,
            self.state,
        )


def parse_preimage(data: Any, source: str) -> Preimage:
    if not isinstance(data, dict):
        raise Unusable(f"{source}: preimage must be an object")
    try:
        topic, state = data["topic"], data["state_b64"]
        if not isinstance(topic, str) or not isinstance(state, str):
            raise Unusable(f"{source}: preimage topic and state_b64 must be strings")
        return Preimage(
            _int(data, "notification_id", f"{source}: preimage"),
            UUID(str(data["originator_id"])),
            _int(data, "originator_version", f"{source}: preimage"),
            topic,
            base64.b64decode(state, validate=True),
        )
    except KeyError as error:
        raise Unusable(f"{source}: no {error.args[0]!r} in the preimage") from None
    except (ValueError, binascii.Error) as error:
        raise Unusable(f"{source}: bad preimage ({error})") from None


def check_inclusion(
    proof_path: Path, public: Ed25519PublicKey, mine: Checkpoint | None = None
) -> str:
    """An inclusion proof as ``ejournal ledger prove`` prints it."""
    proof = read_json(proof_path)
    source = str(proof_path)
    if not isinstance(proof, dict):
        raise Unusable(f"{source}: not an inclusion proof object")
    index = _int(proof, "leaf_index", source)
    size = _int(proof, "tree_size", source)
    path = _hashes(proof.get("path"), f"{source}: path")
    given = proof.get("leaf")
    stated = None if given is None else bytes.fromhex(_hex(given, 64, f"{source}: leaf"))
    embedded = (
        parse_checkpoint(proof["checkpoint"], f"{source}: checkpoint")
        if "checkpoint" in proof
        else None
    )
    checkpoint = mine or embedded
    if checkpoint is None:
        raise Unusable(f"{source} names no checkpoint: give one with --checkpoint")
    if mine is not None and embedded is not None and not mine.same_head(embedded):
        raise Mismatch(
            f"the proof is against the checkpoint of size {embedded.size}, "
            f"not the given one of size {mine.size}"
        )
    if "preimage" in proof:
        preimage = parse_preimage(proof["preimage"], source)
        leaf = preimage.leaf()
        if stated is not None and leaf != stated:
            raise Mismatch(
                f"event {preimage.notification_id}: its preimage does not hash to the proof's leaf"
            )
        position = proof.get("position", preimage.notification_id)
        if position != preimage.notification_id:
            raise Mismatch(
                f"the proof is for event {position} but its preimage is event "
                f"{preimage.notification_id}"
            )
        what = f"event {preimage.notification_id} (its preimage hashes to the leaf)"
    elif stated is not None:
        leaf = stated
        what = f"leaf {leaf.hex()[:16]}… of event {proof.get('position', '?')} (no preimage)"
    else:
        raise Unusable(f"{source}: neither a preimage nor a leaf")
    check_signed(checkpoint, public)
    if size != checkpoint.size or proof.get("root", checkpoint.root) != checkpoint.root:
        raise Mismatch(
            f"the proof's tree (size {size}) is not the checkpoint's (size {checkpoint.size})"
        )
    root = root_from_inclusion(index, size, leaf, path)
    if root is None or root.hex() != checkpoint.root:
        raise Mismatch(
            f"{what}: the path does not lead to the root of the checkpoint of size {size}"
        )
    return (
        f"{what} is leaf {index} of the tree of size {size} signed by key "
        f"{checkpoint.key_id} at {checkpoint.time}"
    )


# --- consistency -----------------------------------------------------------------------------
def check_consistency(
    proof_path: Path,
    public: Ed25519PublicKey,
    old_given: Checkpoint | None = None,
    new_given: Checkpoint | None = None,
) -> str:
    """A consistency proof as ``ejournal ledger consistency`` prints it; the old and new
    checkpoints may also be the auditor's own files (they must then be the proof's)."""
    proof = read_json(proof_path)
    source = str(proof_path)
    if not isinstance(proof, dict):
        raise Unusable(f"{source}: not a consistency proof object")
    ends: list[Checkpoint] = []
    for name, given in (("old", old_given), ("new", new_given)):
        inside = parse_checkpoint(proof[name], f"{source}: {name}") if name in proof else None
        if given is not None and inside is not None and not given.same_head(inside):
            raise Mismatch(
                f"the proof's {name} checkpoint (size {inside.size}) is not the given one "
                f"(size {given.size})"
            )
        chosen = given or inside
        if chosen is None:
            raise Unusable(f"{source} has no {name!r} checkpoint: give it with --{name}")
        ends.append(chosen)
    old, new = ends
    hashes = _hashes(proof.get("consistency_path", proof.get("proof")), f"{source}: proof")
    for name, expected in (("first", old.size), ("second", new.size)):
        if name in proof and _int(proof, name, source) != expected:
            raise Mismatch(f"{source}: {name} is not the size of the {name} checkpoint")
    check_signed(old, public)
    check_signed(new, public)
    if old.size == 0:
        return f"the old checkpoint is of the empty tree: every tree extends it (size {new.size})"
    if not consistent(old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), hashes):
        raise Mismatch(
            f"the tree of size {new.size} does not extend the checkpoint of size {old.size}: "
            "the history up to it was rewritten (or the proof is not for these checkpoints)"
        )
    return (
        f"the tree of size {new.size} ({new.time}) extends the one of size {old.size} "
        f"({old.time}), both signed by key {new.key_id}"
    )


# --- the whole tree --------------------------------------------------------------------------
#: One stored event: notification id, originator id, version, topic, stored state bytes.
Row = tuple[int, UUID, int, str, bytes]


@dataclass
class Source:
    """Where the events are read from, and what else it holds."""

    name: str
    rows: Callable[[], Iterator[Row]]
    checkpoints: list[Checkpoint]
    sealed: Callable[[], Iterator[tuple[int, bytes]]] | None = None  # the ledger's leaves


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_source(folder: Path) -> Source:
    """A backup folder: events.jsonl (one stored event a line, state in base64) and
    checkpoints.json, both checked against the SHA-256 sums of manifest.json."""
    manifest = read_json(folder / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise Unusable(f"{folder}: manifest.json is not an {BACKUP_FORMAT} manifest")
    files = manifest.get("files", {})
    for name in ("events.jsonl", "checkpoints.json"):
        expected = files.get(name, {}).get("sha256")
        if not (folder / name).is_file():
            raise Mismatch(f"backup {folder}: {name} is missing")
        if expected != _sha256_file(folder / name):
            raise Mismatch(f"backup {folder}: {name} does not match its SHA-256 in manifest.json")

    def rows() -> Iterator[Row]:
        with (folder / "events.jsonl").open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    e = json.loads(line)
                    yield (
                        int(e["id"]),
                        UUID(e["originator_id"]),
                        int(e["version"]),
                        str(e["topic"]),
                        base64.b64decode(e["state"], validate=True),
                    )
                except (ValueError, KeyError, TypeError, binascii.Error) as error:
                    raise Unusable(f"{folder}/events.jsonl line {number}: {error}") from None

    return Source(str(folder), rows, load_checkpoints(folder / "checkpoints.json"))


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _uuid(value: Any) -> UUID:
    """An originator id as SQLite keeps it: 32 hex digits (or the canonical form)."""
    return UUID(_text(value))


def sqlite_source(path: Path) -> Source:
    """A copy of the SQLite database (``var/ejournal.sqlite``): the rows of
    ``stored_events`` by ``rowid``, the checkpoints and the ledger's leaves."""
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.text_factory = bytes  # a state overwritten with text is still hashed as stored
        conn.execute("BEGIN")  # one read snapshot for every query below
        tables = {
            _text(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.Error as error:
        raise Unusable(f"{path}: not a readable SQLite database ({error})") from None
    if "stored_events" not in tables:
        raise Unusable(f"{path}: no stored_events table: not an ejournal database")
    checkpoints: list[Checkpoint] = []
    if "ejournal_checkpoints" in tables:
        for size, root, time, kid, signature in conn.execute(
            "SELECT size, root, time, key_id, signature FROM ejournal_checkpoints ORDER BY size"
        ):
            data = {"size": size, "root": _text(root), "time": _text(time), "key_id": _text(kid)}
            checkpoints.append(
                parse_checkpoint(
                    data | {"signature": _text(signature)},
                    f"{path}:ejournal_checkpoints",
                    strict_format=False,
                )
            )

    def rows() -> Iterator[Row]:
        cursor = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        )
        position = 0
        try:
            for position, oid, version, topic, state in cursor:
                yield int(position), _uuid(oid), int(version), _text(topic), bytes(state)
        except (ValueError, TypeError, sqlite3.Error) as error:
            raise Mismatch(
                f"the event table is unreadable after event {position}: {error}"
            ) from None

    def sealed() -> Iterator[tuple[int, bytes]]:
        for position, leaf in conn.execute(
            "SELECT position, leaf FROM v_ledger_leaves ORDER BY position"
        ):
            yield int(position), bytes.fromhex(_text(leaf))

    return Source(str(path), rows, checkpoints, sealed if "v_ledger_leaves" in tables else None)


def csv_source(path: Path) -> Source:
    """A CSV export of PostgreSQL's event table with the columns of ``CSV_COLUMNS`` (the
    COPY statement is in docs/auditors.md); the state as hex."""

    def rows() -> Iterator[Row]:
        line = 1
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
                    raise Unusable(f"{path}: the header must be {','.join(CSV_COLUMNS)}")
                for r in reader:
                    line = reader.line_num
                    yield (
                        int(r["notification_id"]),
                        UUID(r["originator_id"]),
                        int(r["originator_version"]),
                        r["topic"],
                        bytes.fromhex(r["state_hex"].removeprefix("\\x")),
                    )
        except OSError as error:
            raise Unusable(f"cannot read {path}: {error.strerror}") from None
        except (ValueError, csv.Error) as error:
            raise Unusable(f"{path} line {line}: {error}") from None

    return Source(str(path), rows, [])


def open_source(path: Path) -> Source:
    if path.is_dir():
        return backup_source(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as error:
        raise Unusable(f"cannot read {path}: {error.strerror}") from None
    if head.startswith(b"SQLite format 3\x00"):
        return sqlite_source(path)
    if head.startswith(",".join(CSV_COLUMNS).encode()):
        return csv_source(path)
    raise Unusable(f"{path}: neither a backup folder, an SQLite database nor the CSV export")


@dataclass
class Recomputed:
    events: int
    last: int  # the notification id of the last event
    roots: dict[int, bytes]
    last_ids: dict[int, int]
    first_bad: tuple[int, str] | None


def recompute(source: Source, sizes: set[int]) -> Recomputed:
    """Every leaf from the stored rows, the tree grown in notification order, its head kept
    at ``sizes``; with the ledger's own leaves (an SQLite copy), the first difference from
    them: altered, inserted (in the sealed extent but never sealed) or missing."""
    tree, last = Tree(), 0
    roots, last_ids = {0: EMPTY_ROOT}, {0: 0}
    sealed = source.sealed() if source.sealed else iter(())
    expected = next(sealed, None)
    first_bad: tuple[int, str] | None = None
    for position, oid, version, topic, state in source.rows():
        if position <= last and tree.size:
            raise Mismatch(f"event {position}: notification ids out of order or repeated")
        leaf = leaf_hash(position, oid, version, topic, state)
        if first_bad is None and expected is not None:
            if expected[0] == position:
                if expected[1] != leaf:
                    first_bad = (position, "altered (its hash differs from the ledger)")
                expected = next(sealed, None)
            elif expected[0] < position:
                first_bad = (expected[0], "in the ledger but missing from the log")
            else:
                first_bad = (position, "inserted (it is not in the ledger)")
        tree.append(leaf)
        last = position
        if tree.size in sizes:
            roots[tree.size], last_ids[tree.size] = tree.root(), position
    if first_bad is None and expected is not None:
        first_bad = (expected[0], "in the ledger but missing from the log")
    return Recomputed(tree.size, last, roots, last_ids, first_bad)


def check_tree(source: Source, public: Ed25519PublicKey, extra: Sequence[Checkpoint]) -> str:
    """Recompute the whole tree from ``source`` and hold it against every checkpoint: the
    source's own and the auditor's (``extra``)."""
    checkpoints = sorted([*source.checkpoints, *extra], key=lambda c: c.size)
    done = recompute(source, {c.size for c in checkpoints})
    if done.first_bad is not None:
        position, problem = done.first_bad
        raise Mismatch(f"event {position} is {problem}")
    for c in checkpoints:
        check_signed(c, public)
        if c.size > done.events:
            raise Mismatch(
                f"the checkpoint of size {c.size} is beyond the log's {done.events} events: "
                f"events after {done.last} were removed"
            )
        if done.roots[c.size].hex() != c.root:
            raise Mismatch(
                f"the log no longer matches the checkpoint of size {c.size} ({c.source}): "
                f"an event up to notification {done.last_ids[c.size]} was altered, "
                "inserted or removed"
            )
    if not checkpoints:
        return f"{done.events} events recomputed; no checkpoint to hold them against"
    latest = checkpoints[-1]
    return (
        f"{done.events} events recomputed; {len(checkpoints)} checkpoints match, the latest "
        f"of size {latest.size} ({latest.time}, key {latest.key_id})"
    )


# --- the command line ------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Unusable(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ejournal_audit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    key_help = "the school's ledger public key (PEM, from `ejournal ledger public-key`)"
    c = commands.add_parser("key-id", help="print the key id of a public key")
    c.add_argument("--key", type=Path, required=True, help=key_help)
    c = commands.add_parser("checkpoint", help="check checkpoints' signatures")
    c.add_argument("files", type=Path, nargs="+", metavar="CHECKPOINT")
    c.add_argument("--key", type=Path, required=True, help=key_help)
    c = commands.add_parser("inclusion", help="check an inclusion proof (`ejournal ledger prove`)")
    c.add_argument("proof", type=Path, metavar="PROVE.json")
    c.add_argument("--key", type=Path, required=True, help=key_help)
    c.add_argument("--checkpoint", type=Path, help="your own copy of the checkpoint")
    c = commands.add_parser(
        "consistency", help="check a consistency proof (`ejournal ledger consistency`)"
    )
    c.add_argument("proof", type=Path, metavar="PROOF.json")
    c.add_argument("--key", type=Path, required=True, help=key_help)
    c.add_argument("--old", type=Path, help="your own copy of the old checkpoint")
    c.add_argument("--new", type=Path, help="your own copy of the new checkpoint")
    c = commands.add_parser(
        "tree", help="recompute the whole tree from a backup, an SQLite copy or a CSV export"
    )
    c.add_argument("source", type=Path, metavar="SOURCE")
    c.add_argument("--key", type=Path, required=True, help=key_help)
    c.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint file, list or folder kept outside the school (repeatable)",
    )
    return parser


def _one(path: Path | None) -> Checkpoint | None:
    if path is None:
        return None
    found = load_checkpoints(path)
    if len(found) != 1:
        raise Unusable(f"{path}: holds {len(found)} checkpoints, not one")
    return found[0]


def run(argv: Sequence[str]) -> str:
    """Run one command; the line to print when everything agrees."""
    args = _parser().parse_args(argv)
    public = load_public_key(args.key)
    if args.command == "key-id":
        return key_id(public)
    if args.command == "checkpoint":
        checkpoints = [c for f in args.files for c in load_checkpoints(f)]
        for checkpoint in checkpoints:
            check_signed(checkpoint, public)
        sizes = ", ".join(str(c.size) for c in checkpoints)
        return f"{len(checkpoints)} checkpoint(s) of size {sizes} signed by key {key_id(public)}"
    if args.command == "inclusion":
        return check_inclusion(args.proof, public, _one(args.checkpoint))
    if args.command == "consistency":
        return check_consistency(args.proof, public, _one(args.old), _one(args.new))
    extra = [c for f in args.checkpoint for c in load_checkpoints(f)]
    return check_tree(open_source(args.source), public, extra)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        line = run(sys.argv[1:] if argv is None else argv)
    except Mismatch as error:
        print(f"MISMATCH: {error}", file=sys.stderr)
        return MISMATCH
    except Unusable as error:
        print(f"UNUSABLE: {error}", file=sys.stderr)
        return USAGE
    print(f"OK: {line}")
    return OK


if __name__ == "__main__":
    sys.exit(main())
