"""The tamper-evident ledger (issue 5): verify, tampering done directly in the database,
signed checkpoints, inclusion and consistency proofs checked by an independent verifier
(tests/ledger_verifier.py, written from RFC 9162), crypto-shredding, automatic checkpoints.

A small demo school is seeded, sealed and checkpointed once per backend (with two early
checkpoints signed and exported while seeding); every test works on its own copy.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import IntegrityError, StoredEvent
from jsonschema import Draft202012Validator
from psycopg import sql
from referencing import Registry, Resource

from domain import clock, ids
from domain.base import Redacted
from domain.lesson import MarkEntry
from ejournal.bootstrap import StorageError, System, build
from ejournal.cli import main
from ejournal.demo import DemoSchool, seed_demo
from ejournal.settings import Settings, SettingsError
from projections.ledger import Checkpoint, LedgerError, key_id
from tests import ledger_verifier as lv
from tests.conftest import postgres_url, settings_for
from tests.school import LESSON_DAY, at, build_school

SHREDDED_SERIES = "journal/2025-26/5А"


# --- the independent verifier on trees computed by hand ---------------------------------
def test_verifier_leaf_follows_the_documented_format() -> None:
    # 0x00 | id 1 | uuid | version 2 | topic length 3 | "a:B" | state "xy", hashed by
    # `printf … | xxd -r -p | sha256sum`.
    leaf = lv.leaf(1, UUID("00112233-4455-6677-8899-aabbccddeeff"), 2, "a:B", b"xy")
    assert leaf.hex() == "4a83e8bf0479a97f9832cfcc0ead15fbc637a9f461ca8da47578d15b5a81ca3e"
    assert lv.data_leaf(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert lv.mth([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class Seven:
    """The 7-leaf tree of RFC 9162 §2.1.5, node by node:

    hash = (k = (g = (a b)) (h = (c d))) (l = (i = (e f)) (j = d6))."""

    a: bytes
    b: bytes
    c: bytes
    d: bytes
    e: bytes
    f: bytes
    j: bytes  # the leaf d6
    g: bytes
    h: bytes
    i: bytes
    k: bytes
    l: bytes  # noqa: E741 (the RFC's name)
    hash: bytes
    hash0: bytes  # the tree of 3 leaves: (g c)
    hash1: bytes  # of 4: k
    hash2: bytes  # of 6: (k i)


@pytest.fixture
def seven() -> Seven:
    a, b, c, d, e, f, j = (lv.data_leaf(f"d{n}".encode()) for n in range(7))
    g, h, i = lv.node(a, b), lv.node(c, d), lv.node(e, f)
    k, l = lv.node(g, h), lv.node(i, j)  # noqa: E741
    return Seven(a, b, c, d, e, f, j, g, h, i, k, l, lv.node(k, l), lv.node(g, c), k, lv.node(k, i))


def test_verifier_mth_matches_the_hand_built_tree(seven: Seven) -> None:
    t = seven
    leaves = [t.a, t.b, t.c, t.d, t.e, t.f, t.j]
    assert lv.mth(leaves[:1]) == t.a
    assert lv.mth(leaves[:2]) == t.g
    assert lv.mth(leaves[:3]) == t.hash0
    assert lv.mth(leaves[:4]) == t.hash1
    assert lv.mth(leaves[:5]) == lv.node(t.k, t.e)
    assert lv.mth(leaves[:6]) == t.hash2
    assert lv.mth(leaves) == t.hash


def _flips(path: Sequence[bytes]) -> Iterator[list[bytes]]:
    """``path`` with one bit of one hash flipped, for each hash in turn."""
    for n, h in enumerate(path):
        yield [*path[:n], bytes([h[0] ^ 1]) + h[1:], *path[n + 1 :]]


def test_verifier_inclusion_on_the_rfc_example(seven: Seven) -> None:
    t = seven
    cases = [  # (index, leaf, PATH) as listed in RFC 9162 §2.1.5
        (0, t.a, [t.b, t.h, t.l]),
        (3, t.d, [t.c, t.g, t.l]),
        (4, t.e, [t.f, t.j, t.k]),
        (6, t.j, [t.i, t.k]),
    ]
    for index, leaf, path in cases:
        assert lv.verify_inclusion(index, 7, leaf, path, t.hash)
        for bad in _flips(path):
            assert not lv.verify_inclusion(index, 7, leaf, bad, t.hash)
        assert not lv.verify_inclusion(index, 7, t.g, path, t.hash)  # another leaf
        assert not lv.verify_inclusion(index ^ 1, 7, leaf, path, t.hash)  # another index
        assert not lv.verify_inclusion(index, 4, leaf, path, t.hash)  # another size
        assert not lv.verify_inclusion(index, 7, leaf, path[:-1], t.hash)  # too short
        assert not lv.verify_inclusion(index, 7, leaf, [*path, t.a], t.hash)  # too long
        assert not lv.verify_inclusion(index, 7, leaf, path, t.hash2)  # another root
    assert lv.verify_inclusion(0, 1, t.a, [], t.a)
    assert lv.verify_inclusion(2, 3, t.c, [t.g], t.hash0)
    assert not lv.verify_inclusion(7, 7, t.j, [t.i, t.k], t.hash)  # index beyond the tree


def test_verifier_consistency_on_the_rfc_example(seven: Seven) -> None:
    t = seven
    cases = [  # (first, its head, PROOF(first, D[7])) as listed in RFC 9162 §2.1.5
        (3, t.hash0, [t.c, t.d, t.g, t.l]),
        (4, t.hash1, [t.l]),
        (6, t.hash2, [t.i, t.j, t.k]),
    ]
    for first, head, proof in cases:
        assert lv.verify_consistency(first, 7, head, t.hash, proof)
        for bad in _flips(proof):
            assert not lv.verify_consistency(first, 7, head, t.hash, bad)
        assert not lv.verify_consistency(first, 7, t.hash, t.hash, proof)  # another old head
        assert not lv.verify_consistency(first, 7, head, t.hash2, proof)  # another new head
        assert not lv.verify_consistency(first, 7, head, t.hash, [])
        assert not lv.verify_consistency(first, 7, head, t.hash, proof[:-1])
    assert lv.verify_consistency(1, 2, t.a, t.g, [t.b])
    assert lv.verify_consistency(2, 3, t.g, t.hash0, [t.c])
    assert lv.verify_consistency(7, 7, t.hash, t.hash, [])
    assert not lv.verify_consistency(7, 7, t.hash, t.hash2, [])
    assert not lv.verify_consistency(7, 6, t.hash, t.hash2, [t.j])


# --- the database as an administrator with a SQL console sees it ------------------------
@dataclass(frozen=True)
class Row:
    """One stored event, raw."""

    id: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes

    def leaf(self) -> bytes:
        return lv.leaf(self.id, self.originator_id, self.version, self.topic, self.state)


class Raw:
    """Plain SQL on the test's own database (SQLite file or PostgreSQL schema)."""

    def __init__(self, settings: Settings) -> None:
        db = settings.database
        self.sqlite = db.backend == "sqlite"
        self.conn: Any
        if self.sqlite:
            self.conn = sqlite3.connect(db.path, timeout=30, isolation_level=None)
            self.events, self.id = "stored_events", "rowid"
        else:
            self.conn = psycopg.connect(db.conninfo(), autocommit=True)
            self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(db.schema)))
            self.events, self.id = "ejournal_events", "notification_id"

    def close(self) -> None:
        self.conn.close()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        statement = statement.format(events=self.events, id=self.id)
        if not self.sqlite:
            statement = statement.replace("?", "%s")
        cursor = self.conn.execute(statement, tuple(params))
        return list(cursor.fetchall()) if cursor.description else []

    def rows(self) -> list[Row]:
        found = self.execute(
            "SELECT {id}, originator_id, originator_version, topic, state FROM {events} "
            "ORDER BY {id}"
        )
        return [Row(int(i), UUID(str(o)), int(v), t, bytes(s)) for i, o, v, t, s in found]

    def set_state(self, position: int, state: bytes) -> None:
        self.execute("UPDATE {events} SET state = ? WHERE {id} = ?", (state, position))

    def delete(self, position: int) -> None:
        self.execute("DELETE FROM {events} WHERE {id} = ?", (position,))

    def insert(self, row: Row, *, explicit_id: bool = True) -> int:
        """Insert a row (at ``row.id``, or at the next id); return its id."""
        oid = row.originator_id.hex if self.sqlite else row.originator_id
        values = (oid, row.version, row.topic, row.state)
        if explicit_id:
            statement = (
                "INSERT INTO {events} ({id}, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?) RETURNING {id}"
            )
            return int(self.execute(statement, (row.id, *values))[0][0])
        statement = (
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?) RETURNING {id}"
        )
        return int(self.execute(statement, values)[0][0])

    def delete_checkpoints(self) -> None:
        self.execute("DELETE FROM ejournal_checkpoints")

    def add_checkpoint(self, checkpoint: Checkpoint, last_position: int) -> None:
        self.execute(
            "INSERT INTO ejournal_checkpoints (size, root, time, key_id, signature, "
            "last_position) VALUES (?, ?, ?, ?, ?, ?)",
            (
                checkpoint.size,
                checkpoint.root,
                checkpoint.time,
                checkpoint.key_id,
                checkpoint.signature,
                last_position,
            ),
        )

    def a_mark(self) -> tuple[str, str]:
        """(mark id, lesson id) of some mark."""
        found = self.execute("SELECT mark_id, lesson_id FROM v_marks ORDER BY mark_id LIMIT 1")
        return found[0][0], found[0][1]


def _root(rows: Sequence[Row], size: int | None = None) -> str:
    """The tree head of the first ``size`` events, computed by the auditor."""
    return lv.mth([r.leaf() for r in rows[:size]]).hex()


def _sign(key: Ed25519PrivateKey, size: int, root: str, claimed_key_id: str) -> Checkpoint:
    unsigned = Checkpoint(size, root, "2026-01-01T00:00:00+00:00", claimed_key_id, "")
    signature = base64.b64encode(key.sign(unsigned.message())).decode()
    return dataclasses.replace(unsigned, signature=signature)


def _more_events(system: System, count: int) -> None:
    """New events: ``count`` pupils registered by the demo's administrator (two events
    each: the register entry of the pupil's series, and the pupil)."""
    for n in range(count):
        system.journal.people.register_student(
            "Новикова", f"Ученица {n}", "", date(2014, 5, 1), ids.account_id("admin")
        )


# --- a sealed demo school per backend, copied for each test ------------------------------
@dataclass
class Golden:
    settings: Settings
    school: DemoSchool
    exports: list[str]  # under var/exports: early-pupils, early-families, final (.json)


def _seed_golden(settings: Settings) -> Golden:
    folder = settings.var_dir / "exports"
    folder.mkdir(parents=True)
    exports: list[str] = []

    def export(checkpoint: Checkpoint, name: str) -> None:
        (folder / name).write_text(checkpoint.to_json(), encoding="utf-8")
        exports.append(name)

    with build(settings) as system:
        system.journal.saved_listeners.clear()  # seed first, seal afterwards (as `demo` does)
        stages: set[str] = set()

        def progress(stage: str, done: int, _total: int) -> None:
            # After the second pupil, and at the first family account (after all pupils).
            step = {"pupils": "pupils", "accounts": "families"}.get(stage)
            if step is None or step in stages or done < 2:
                return
            if step == "families" and "pupils" not in stages:
                return
            stages.add(step)
            export(system.ledger.checkpoint(), f"early-{step}.json")

        school = seed_demo(
            system.journal, classes=2, pupils_per_class=3, weeks=1, progress=progress
        )
        system.views.catch_up()
        export(system.ledger.checkpoint(), "final.json")
    assert len(exports) == 3
    return Golden(settings, school, exports)


@pytest.fixture(scope="module")
def golden_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Golden:
    return _seed_golden(settings_for(tmp_path_factory.mktemp("golden")))


@pytest.fixture(scope="module")
def golden_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    url = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    settings = settings_for(tmp_path_factory.mktemp("golden"), f"{url}?schema={schema}")
    try:
        yield _seed_golden(settings)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _clone(golden: Golden, target: Settings) -> None:
    """Give ``target`` the golden store: the same keys, events, views and checkpoints."""
    shutil.copytree(golden.settings.var_dir, target.var_dir)  # keys, exports (SQLite: the db)
    if target.database.backend == "sqlite":
        return
    # PostgreSQL: copy every table in one transaction (``build`` adds the insert function).
    source, schema = golden.settings.database.schema, target.database.schema
    events, sequence = sql.Identifier(schema, "ejournal_events"), sql.Identifier(schema, "seq")
    with psycopg.connect(target.database.conninfo()) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (source,),
        ).fetchall()
        for (table,) in tables:
            into, out = sql.Identifier(schema, table), sql.Identifier(source, table)
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(into, out))
            conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(into, out))
        # Its own sequence of notification ids, where the golden one stands.
        conn.execute(sql.SQL("CREATE SEQUENCE {}").format(sequence))
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN notification_id SET DEFAULT nextval({})").format(
                events, sql.Literal(f"{schema}.seq")
            )
        )
        conn.execute(
            sql.SQL("SELECT setval({}, (SELECT max(notification_id) FROM {}))").format(
                sql.Literal(f"{schema}.seq"), events
            )
        )


@dataclass
class Demo:
    system: System
    raw: Raw
    golden: Golden
    env: dict[str, str]

    @property
    def ledger(self) -> Any:
        return self.system.ledger

    def export(self, name: str) -> Path:
        return self.system.settings.var_dir / "exports" / name

    def exported(self, name: str) -> Checkpoint:
        return Checkpoint.from_json(self.export(name).read_text(encoding="utf-8"))

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["ledger", *args], env=self.env)


@pytest.fixture
def demo(backend_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Demo]:
    golden: Golden = request.getfixturevalue(f"golden_{backend_settings.database.backend}")
    _clone(golden, backend_settings)
    env = {
        "EJOURNAL_VAR_DIR": str(backend_settings.var_dir),
        "EJOURNAL_POLICIES_DIR": str(backend_settings.policies_dir),
    }
    if backend_settings.database.backend == "postgres":
        env["EJOURNAL_DATABASE_URL"] = backend_settings.database_url
    raw = Raw(backend_settings)
    try:
        with build(backend_settings) as system:
            yield Demo(system, raw, golden, env)
    finally:
        raw.close()


# --- verify on an intact store -------------------------------------------------------------
def test_verify_passes_on_the_demo_school(demo: Demo) -> None:
    demo.system.views.catch_up()
    latest = demo.ledger.checkpoint()
    rows = demo.raw.rows()
    assert demo.golden.school.events == len(rows) > 200
    assert latest.size == len(rows)

    verdict = demo.ledger.verify()
    assert verdict.ok, verdict
    assert (verdict.events, verdict.checkpoints, verdict.first_bad) == (len(rows), 3, None)

    # The auditor recomputes every checkpoint from the raw rows and checks its signature
    # with the exported public key, without the product's code.
    pem = demo.cli("public-key").output
    checkpoints = demo.ledger.checkpoints()
    assert [c.size for c in checkpoints] == sorted({c.size for c in checkpoints})
    for checkpoint in checkpoints:
        assert checkpoint.root == _root(rows, checkpoint.size)
        assert lv.checkpoint_signed(asdict(checkpoint), pem)

    result = demo.cli("verify")
    assert result.exit_code == 0, result.output
    assert f"ledger OK: {len(rows)} events, 3 checkpoints" in result.output
    result = demo.cli("verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ok": True,
        "events": len(rows),
        "checkpoints": 3,
        "first_bad": None,
        "problem": "",
        "unsealed": 0,
    }

    exported = demo.export("again.json")
    result = demo.cli("checkpoint", "--export", str(exported))
    assert result.exit_code == 0, result.output
    assert Checkpoint.from_json(exported.read_text(encoding="utf-8")) == latest
    assert lv.checkpoint_signed(json.loads(exported.read_text(encoding="utf-8")), pem)
    result = demo.cli("verify", "--against", str(exported))
    assert result.exit_code == 0, result.output


# --- tampering done directly in the database -----------------------------------------------
def _flip_one_byte(demo: Demo) -> int:
    row = demo.raw.rows()[150]
    state = bytearray(row.state)
    state[len(state) // 2] ^= 0x01
    demo.raw.set_state(row.id, bytes(state))
    return row.id


def _delete_a_row(demo: Demo) -> int:
    row = demo.raw.rows()[100]
    demo.raw.delete(row.id)
    return row.id


def _forge_in_place_of_a_deleted_row(demo: Demo) -> int:
    rows = demo.raw.rows()
    victim, donor = rows[120], rows[-1]
    demo.raw.delete(victim.id)
    demo.raw.insert(Row(victim.id, uuid.uuid4(), 1, donor.topic, donor.state))
    return victim.id


def _forge_into_a_gap(demo: Demo) -> int:
    """Make a gap in the ids inside the sealed extent (a placeholder row takes an id, one
    real event follows it, the placeholder goes, the log is sealed), then fill it."""
    demo.system.journal.saved_listeners.clear()  # nothing may read the placeholder
    donor = demo.raw.rows()[-1]
    gap = demo.raw.insert(Row(0, uuid.uuid4(), 1, donor.topic, b"placeholder"), explicit_id=False)
    _more_events(demo.system, 1)
    demo.raw.delete(gap)
    demo.system.views.catch_up()
    sealed = demo.ledger.checkpoint()
    rows = demo.raw.rows()
    ids = [r.id for r in rows]  # a new pupil: the series' register entry, then the pupil
    assert gap not in ids and gap + 1 in ids and sealed.size == len(rows)
    assert demo.ledger.verify().ok  # a gap alone (a rolled-back insert) is not tampering
    demo.raw.insert(Row(gap, uuid.uuid4(), 1, donor.topic, donor.state))
    return gap


def _swap_two_states(demo: Demo) -> int:
    rows = demo.raw.rows()
    first, second = rows[60], rows[250]
    demo.raw.set_state(first.id, second.state)
    demo.raw.set_state(second.id, first.state)
    return first.id


def _truncate_the_tail(demo: Demo) -> int:
    rows = demo.raw.rows()
    for row in rows[-15:]:
        demo.raw.delete(row.id)
    return rows[-15].id


TAMPERINGS: dict[str, tuple[Callable[[Demo], int], str]] = {
    "one byte of one state changed": (_flip_one_byte, "was altered"),
    "a row deleted": (_delete_a_row, "missing from the log"),
    "a forged row in place of a deleted one": (_forge_in_place_of_a_deleted_row, "was altered"),
    "a forged row inserted into a gap": (_forge_into_a_gap, "was inserted"),
    "two rows' states swapped": (_swap_two_states, "was altered"),
    "the tail truncated": (_truncate_the_tail, "missing from the log"),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_tampering_is_caught_naming_the_first_bad_event(demo: Demo, tampering: str) -> None:
    tamper, problem = TAMPERINGS[tampering]
    first_bad = tamper(demo)

    verdict = demo.ledger.verify()
    assert not verdict.ok
    assert verdict.first_bad == first_bad, verdict
    assert f"event {first_bad} " in verdict.problem and problem in verdict.problem

    result = demo.cli("verify")
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {first_bad}: " in result.output
    result = demo.cli("verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["first_bad"] == first_bad


@pytest.mark.postgres
def test_catch_up_passes_a_gap_left_by_a_rejected_insert(
    pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    with build(settings_for(tmp_path, pg_schema[1])) as system:
        school = build_school(system.journal)
        system.views.catch_up()
        recorder = system.journal.recorder
        last = recorder.select_notifications(start=1, limit=10**6)[-1]
        conflicting = StoredEvent(last.originator_id, last.originator_version, last.topic, b"x")
        with pytest.raises(IntegrityError):  # what a concurrent save of the same record gets
            recorder.insert_events([conflicting])
        system.journal.people.register_student(
            "Новикова", "Анна", "", date(2014, 5, 1), school.admin
        )
        head = recorder.max_notification_id()
        saved = recorder.select_notifications(start=last.id + 1, limit=100)
        assert saved[0].id == last.id + 2  # the rejected insert took an id with it
        assert saved[-1].id == head  # (the pupil and the register entry of their series)

        processor = system.ledger.processor
        assert processor._one_batch()[0] == len(saved)  # one step of catch_up(): across the gap
        assert processor.positions() == {name: head for name in processor.positions()}
        assert processor.catch_up() == 0


def test_truncated_tail_with_a_rebuilt_ledger_is_caught_by_checkpoints(demo: Demo) -> None:
    rows = demo.raw.rows()
    kept = rows[:-25]
    cut = kept[-1].id
    demo.raw.execute("DELETE FROM {events} WHERE {id} > ?", (cut,))
    demo.system.views.rebuild(["ledger"])  # the ledger's own tables now agree with the log
    assert demo.ledger.head().size == len(kept)
    assert demo.ledger.head().root.hex() == _root(kept)

    # 1. The stored checkpoint (of the whole log) reaches beyond the log.
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == cut + 1, verdict
    assert "beyond the log" in verdict.problem
    result = demo.cli("verify")
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {cut + 1}: " in result.output

    # 2. The stored checkpoints deleted too: nothing inside the system can tell any more...
    demo.raw.delete_checkpoints()
    assert demo.ledger.verify().ok
    # ...but the checkpoint the auditor exported earlier does.
    final = demo.export("final.json")
    verdict = demo.ledger.verify(against=Checkpoint.from_json(final.read_text(encoding="utf-8")))
    assert not verdict.ok and verdict.first_bad == cut + 1, verdict
    result = demo.cli("verify", "--against", str(final))
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {cut + 1}: " in result.output
    # An early exported checkpoint, within the kept part, still agrees.
    assert demo.cli("verify", "--against", str(demo.export("early-families.json"))).exit_code == 0

    # 3. A checkpoint of the shortened log cannot be signed without the school's key.
    school = key_id(demo.ledger.public)
    other = Ed25519PrivateKey.generate()
    for claimed in (school, key_id(other.public_key())):
        demo.raw.delete_checkpoints()
        demo.raw.add_checkpoint(_sign(other, len(kept), _root(kept), claimed), cut)
        verdict = demo.ledger.verify()
        assert not verdict.ok and verdict.first_bad == cut, verdict
        assert "bad signature" in verdict.problem
        result = demo.cli("verify")
        assert result.exit_code == 1
        assert f"LEDGER BROKEN at notification {cut}: " in result.output


def test_an_altered_event_with_its_leaf_rewritten_is_caught_by_the_checkpoints(
    demo: Demo,
) -> None:
    """The administrator changes an event and rewrites its leaf in the ledger's table (the
    format is public; the product itself refuses to re-seal an altered ciphertext): the
    signed roots still disagree. Only roots are kept, so the event named is the last one of
    the first checkpoint that no longer matches (the first one that covers it)."""
    rows = demo.raw.rows()
    altered = rows[50]
    changed = Row(
        *dataclasses.astuple(altered)[:4], altered.state[:-1] + bytes([altered.state[-1] ^ 1])
    )
    assert changed.state != altered.state
    demo.raw.set_state(altered.id, changed.state)
    refused = demo.ledger.keeper.acceptor()  # the product would never seal it
    assert not refused.accepts(altered.id, altered.originator_id, altered.version, changed.state)
    demo.raw.execute(
        "UPDATE v_ledger_leaves SET leaf = ? WHERE position = ?", (changed.leaf().hex(), altered.id)
    )
    early = next(  # the first checkpoint that covers the altered event
        cp for cp in map(demo.exported, demo.golden.exports) if cp.size > rows.index(altered)
    )

    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == rows[early.size - 1].id, verdict
    assert f"no longer matches the checkpoint of size {early.size}" in verdict.problem
    result = demo.cli("verify")
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {rows[early.size - 1].id}: " in result.output


def _garbage_signature(demo: Demo, size: int, root: str) -> Checkpoint:
    latest = demo.ledger.latest()  # a real signature, but of another checkpoint
    return Checkpoint(size, root, latest.time, latest.key_id, latest.signature)


def _another_key(demo: Demo, size: int, root: str) -> Checkpoint:
    other = Ed25519PrivateKey.generate()
    return _sign(other, size, root, key_id(other.public_key()))


def _another_key_claiming_the_schools(demo: Demo, size: int, root: str) -> Checkpoint:
    return _sign(Ed25519PrivateKey.generate(), size, root, key_id(demo.ledger.public))


FORGERIES = {
    "a wrong signature": _garbage_signature,
    "signed by another key": _another_key,
    "signed by another key under the school's key id": _another_key_claiming_the_schools,
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_checkpoint_fails_verify(demo: Demo, forgery: str) -> None:
    rows = demo.raw.rows()
    size = 200  # the root is right: only the signature is wrong
    forged = FORGERIES[forgery](demo, size, _root(rows, size))
    pem = demo.cli("public-key").output
    assert not lv.checkpoint_signed(asdict(forged), pem)

    demo.raw.add_checkpoint(forged, rows[size - 1].id)
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == rows[size - 1].id, verdict
    assert f"checkpoint of size {size} has a bad signature" in verdict.problem
    result = demo.cli("verify")
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {rows[size - 1].id}: " in result.output

    # The same forgery handed over as a file.
    demo.raw.execute("DELETE FROM ejournal_checkpoints WHERE size = ?", (size,))
    assert demo.ledger.verify().ok
    forged_file = demo.export("forged.json")
    forged_file.write_text(forged.to_json(), encoding="utf-8")
    assert not demo.ledger.verify(against=forged).ok
    result = demo.cli("verify", "--against", str(forged_file))
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {rows[size - 1].id}: " in result.output


def test_a_stored_checkpoint_with_an_altered_root_fails_verify(demo: Demo) -> None:
    rows = demo.raw.rows()
    early = demo.exported("early-families.json")
    demo.raw.execute(
        "UPDATE ejournal_checkpoints SET root = ? WHERE size = ?", (_root(rows), early.size)
    )
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.first_bad == rows[early.size - 1].id, verdict
    assert demo.cli("verify").exit_code == 1


@pytest.mark.postgres
def test_a_leaf_overwritten_with_no_hex_makes_the_stored_rows_unreadable(demo: Demo) -> None:
    """The driver's "cannot read this value" reaches the ledger through the storage-error
    port (``projections.storage_errors.unreadable``): a verdict, not a crash."""
    if demo.system.settings.database.backend != "postgres":
        pytest.skip("the leaves are decoded by the server on PostgreSQL only")
    demo.raw.execute("UPDATE v_ledger_leaves SET leaf = 'not hex' WHERE position = ?", (5,))
    verdict = demo.ledger.verify()
    assert not verdict.ok and verdict.problem.startswith("the stored rows are unreadable: ")


# --- proofs, checked by the independent verifier -----------------------------------------
def test_inclusion_proofs_verify_independently(demo: Demo) -> None:
    rows = demo.raw.rows()
    latest = demo.ledger.latest()
    pem = demo.cli("public-key").output
    assert latest.size == len(rows) and latest.root == _root(rows)
    assert lv.checkpoint_signed(asdict(latest), pem)

    for row in rows:  # every event of the log
        proof = demo.ledger.prove(row.id)
        assert proof["position"] == row.id and proof["tree_size"] == len(rows)
        assert lv.check_inclusion_proof(proof, row.leaf()), row.id
        assert lv.checkpoint_signed(proof["checkpoint"], pem)

    # Against an early checkpoint the auditor kept.
    early = demo.exported("early-pupils.json")
    for row in rows[: early.size]:
        proof = demo.ledger.prove(row.id, early)
        assert proof["root"] == early.root == _root(rows, early.size)
        assert lv.check_inclusion_proof(proof, row.leaf())
    with pytest.raises(LedgerError, match="not covered"):
        demo.ledger.prove(rows[early.size].id, early)

    # A tampered proof fails.
    row = rows[len(rows) // 2]
    proof = demo.ledger.prove(row.id)
    path = [bytes.fromhex(h) for h in proof["path"]]
    assert len(path) >= 8
    for bad in _flips(path):
        assert not lv.check_inclusion_proof(proof | {"path": [h.hex() for h in bad]}, row.leaf())
    assert not lv.check_inclusion_proof(proof, rows[0].leaf())
    assert not lv.check_inclusion_proof(proof | {"leaf_index": proof["leaf_index"] + 1}, row.leaf())
    with_early_root = proof | {"checkpoint": proof["checkpoint"] | {"root": early.root}}
    assert not lv.check_inclusion_proof(with_early_root, row.leaf())


def test_cli_prove_by_notification_id_and_by_mark_id(demo: Demo) -> None:
    rows = demo.raw.rows()
    by_id = {r.id: r for r in rows}
    pem = demo.cli("public-key").output

    row = rows[123]
    result = demo.cli("prove", str(row.id))
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert proof["position"] == row.id
    assert lv.check_inclusion_proof(proof, row.leaf())
    assert lv.checkpoint_signed(proof["checkpoint"], pem)

    mark_id, lesson_id = demo.raw.a_mark()
    result = demo.cli("prove", mark_id)
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    event = by_id[proof["position"]]  # the event that recorded the mark
    assert event.originator_id == UUID(lesson_id)
    assert event.topic.endswith("Lesson.MarkRecorded")
    assert lv.check_inclusion_proof(proof, event.leaf())
    assert lv.checkpoint_signed(proof["checkpoint"], pem)

    assert demo.cli("prove", str(uuid.uuid4())).exit_code == 1  # no such mark


def _sizes(total: int) -> list[int]:
    """Every small size (powers of two and their neighbours among them), then a sample."""
    return sorted({*range(1, 70), *range(70, total, 13), total})


def test_consistency_proofs_verify_independently(demo: Demo) -> None:
    pem = demo.cli("public-key").output
    names = demo.golden.exports  # early-pupils, early-families, final
    for name in names:
        old = demo.exported(name)
        proof = demo.ledger.consistency(old)
        assert lv.check_consistency_proof(proof), name
        assert lv.checkpoint_signed(proof["old"], pem) and lv.checkpoint_signed(proof["new"], pem)
        result = demo.cli("consistency", str(demo.export(name)))
        assert result.exit_code == 0, result.output
        assert lv.check_consistency_proof(json.loads(result.stdout))

    # The log grows and a new checkpoint is signed: every checkpoint the auditor holds is
    # consistent with it.
    _more_events(demo.system, 3)
    new = demo.ledger.checkpoint()
    rows = demo.raw.rows()
    # each new pupil: the register entry of the pupil's series, then the pupil
    assert new.size == len(rows) == demo.golden.school.events + 2 * 3
    assert new.root == _root(rows)
    for name in names:
        result = demo.cli("consistency", str(demo.export(name)))
        assert result.exit_code == 0, result.output
        proof = json.loads(result.stdout)
        assert proof["new"]["size"] == new.size
        assert lv.check_consistency_proof(proof), name

    # From trees of many sizes (the old head as the auditor computes it, signed by the
    # school's key: an unsigned one is refused).
    school = key_id(demo.ledger.public)
    for size in _sizes(new.size):
        old = _sign(demo.ledger.key, size, _root(rows, size), school)
        assert lv.check_consistency_proof(demo.ledger.consistency(old)), size

    # A tampered proof fails; so does a proof for an old head the log never had.
    proof = demo.ledger.consistency(demo.exported("early-families.json"))
    hashes = [bytes.fromhex(h) for h in proof["proof"]]
    assert len(hashes) >= 3
    for bad in _flips(hashes):
        assert not lv.check_consistency_proof(proof | {"proof": [h.hex() for h in bad]})
    forged_old = proof["old"] | {"root": _root(rows[1:], proof["old"]["size"])}
    assert not lv.check_consistency_proof(proof | {"old": forged_old})


# --- proofs check themselves; outputs an auditor can use (issue 15) ---------------------
def _refused(result: Result) -> str:
    """A refusal: exit 1, nothing on stdout, one line on stderr and no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stdout == "", result.stdout
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _written(demo: Demo, checkpoint: Checkpoint | dict[str, Any], name: str) -> Path:
    data = asdict(checkpoint) if isinstance(checkpoint, Checkpoint) else checkpoint
    path = demo.export(name)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _rewrite_and_reseal(demo: Demo) -> tuple[int, Checkpoint]:
    """Someone with the database and the signing key deletes an event, re-seals the ledger
    from the rewritten log and signs a new checkpoint (the product's own code does it)."""
    rows = demo.raw.rows()
    victim = rows[100]
    demo.raw.delete(victim.id)
    demo.system.views.rebuild(["ledger"])
    _more_events(demo.system, 3)
    resealed = demo.ledger.checkpoint()
    assert resealed.size == len(rows) - 1 + 2 * 3
    assert lv.checkpoint_signed(asdict(resealed), demo.cli("public-key").output)
    return victim.id, resealed


def _altered_root(demo: Demo, old: Checkpoint) -> Checkpoint:
    return dataclasses.replace(old, root=_root(demo.raw.rows()[1:], old.size))


def _altered_signature(demo: Demo, old: Checkpoint) -> Checkpoint:
    other = demo.exported("early-pupils.json")  # a real signature, of another checkpoint
    return dataclasses.replace(old, signature=other.signature)


def _altered_size(demo: Demo, old: Checkpoint) -> Checkpoint:
    return dataclasses.replace(old, size=old.size - 1)


ALTERED_OLD = {
    "an altered root": _altered_root,
    "an altered signature": _altered_signature,
    "an altered size": _altered_size,
}


@pytest.mark.parametrize("alteration", list(ALTERED_OLD))
def test_consistency_refuses_an_altered_old_checkpoint(demo: Demo, alteration: str) -> None:
    old = ALTERED_OLD[alteration](demo, demo.exported("early-families.json"))
    with pytest.raises(LedgerError, match="not signed by this ledger's key"):
        demo.ledger.consistency(old)
    line = _refused(demo.cli("consistency", str(_written(demo, old, "altered.json"))))
    assert f"the checkpoint of size {old.size} is not signed" in line


def test_consistency_refuses_after_a_rewrite_resealed_with_the_signing_key(demo: Demo) -> None:
    early, final = demo.exported("early-pupils.json"), demo.exported("final.json")
    assert early.size <= 100 < final.size
    victim, resealed = _rewrite_and_reseal(demo)

    with pytest.raises(LedgerError, match="not consistent with the checkpoint"):
        demo.ledger.consistency(final)
    line = _refused(demo.cli("consistency", str(demo.export("final.json"))))
    assert f"not consistent with the checkpoint of size {final.size}" in line
    # Before the deleted event the history is intact: that proof is given, and verifies.
    result = demo.cli("consistency", str(demo.export("early-pupils.json")))
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert proof["new"] == asdict(resealed) and lv.check_consistency_proof(proof)

    # verify --against names the deleted event, not the checkpoint's last one.
    demo.raw.delete_checkpoints()
    demo.raw.add_checkpoint(resealed, demo.raw.rows()[-1].id)
    assert demo.ledger.verify().ok  # the re-signed state is consistent in itself
    verdict = demo.ledger.verify(final)
    assert not verdict.ok and verdict.first_bad == victim, verdict
    assert f"event {victim} is missing from the log" in verdict.problem
    result = demo.cli("verify", "--against", str(demo.export("final.json")))
    assert result.exit_code == 1
    assert f"LEDGER BROKEN at notification {victim}: event {victim} is missing" in result.stderr


def test_consistency_output_in_rfc_9162_terms(demo: Demo) -> None:
    _more_events(demo.system, 1)
    new = demo.ledger.checkpoint()
    old = demo.exported("early-families.json")
    result = demo.cli("consistency", str(demo.export("early-families.json")))
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert (proof["first"], proof["second"]) == (old.size, new.size)
    assert proof["consistency_path"] == proof["proof"] and proof["proof"]
    assert (proof["old"], proof["new"]) == (asdict(old), asdict(new))
    assert lv.verify_consistency(
        proof["first"],
        proof["second"],
        bytes.fromhex(proof["old"]["root"]),
        bytes.fromhex(proof["new"]["root"]),
        [bytes.fromhex(h) for h in proof["consistency_path"]],
    )


def test_prove_prints_the_preimage_and_the_checkpoint(demo: Demo) -> None:
    rows = demo.raw.rows()
    latest = demo.ledger.latest()
    for row in (rows[0], rows[123], rows[-1]):
        result = demo.cli("prove", str(row.id))
        assert result.exit_code == 0, result.output
        proof = json.loads(result.stdout)
        pre = proof["preimage"]
        assert pre["originator_id"] == str(row.originator_id)  # canonical: lower case, hyphens
        state = base64.b64decode(pre["state_b64"], validate=True)
        recomputed = lv.leaf(
            pre["notification_id"],
            UUID(pre["originator_id"]),
            pre["originator_version"],
            pre["topic"],
            state,
        )
        assert recomputed.hex() == proof["leaf"] == row.leaf().hex()
        assert (pre["notification_id"], pre["originator_version"], pre["topic"], state) == (
            row.id,
            row.version,
            row.topic,
            row.state,
        )
        assert proof["checkpoint"] == asdict(latest)
        assert lv.check_inclusion_proof(proof, recomputed)


def test_prove_refuses_a_proof_that_would_not_verify(demo: Demo) -> None:
    rows = demo.raw.rows()
    proven, other = rows[40], rows[41]
    # Another event's leaf rewritten in the ledger's table: the path no longer leads to
    # the signed root.
    demo.raw.execute(
        "UPDATE v_ledger_leaves SET leaf = ? WHERE position = ?", ("ab" * 32, other.id)
    )
    line = _refused(demo.cli("prove", str(proven.id)))
    assert "no longer match the checkpoint" in line
    demo.raw.execute(
        "UPDATE v_ledger_leaves SET leaf = ? WHERE position = ?", (other.leaf().hex(), other.id)
    )
    assert demo.cli("prove", str(proven.id)).exit_code == 0

    # The event itself altered in the log: its leaf differs from the sealed one.
    _flip = bytes([proven.state[0] ^ 1]) + proven.state[1:]
    demo.raw.set_state(proven.id, _flip)
    line = _refused(demo.cli("prove", str(proven.id)))
    assert f"event {proven.id} differs from the ledger's leaf" in line

    # Against a checkpoint the school did not sign.
    forged = _another_key_claiming_the_schools(demo, len(rows), _root(rows))
    with pytest.raises(LedgerError, match="not signed by this ledger's key"):
        demo.ledger.prove(rows[3].id, forged)


def test_prove_names_events_that_do_not_exist(demo: Demo) -> None:
    rows = demo.raw.rows()
    line = _refused(demo.cli("prove", "0"))
    assert "event 0 does not exist" in line and "from 1" in line
    assert "not covered" not in line
    line = _refused(demo.cli("prove", str(rows[-1].id + 1000)))
    assert f"event {rows[-1].id + 1000} does not exist" in line
    demo.raw.delete(rows[7].id)
    line = _refused(demo.cli("prove", str(rows[7].id)))
    assert f"event {rows[7].id} is in the ledger but missing from the log" in line


def test_a_checkpoint_file_with_a_bad_size_names_no_notification_none(demo: Demo) -> None:
    final = demo.exported("final.json")
    beyond = _written(demo, dataclasses.replace(final, size=final.size + 10**6), "beyond.json")
    result = demo.cli("verify", "--against", str(beyond))
    assert result.exit_code == 1
    assert "None" not in result.output
    assert f"LEDGER BROKEN: checkpoint of size {final.size + 10**6} has a bad signature" in (
        result.stderr
    )
    assert (
        json.loads(demo.cli("verify", "--json", "--against", str(beyond)).stdout)["first_bad"]
        is None
    )
    for size in (-1, 1.5, "12", True):
        bad = _written(demo, asdict(final) | {"size": size}, "bad-size.json")
        line = _refused(demo.cli("verify", "--against", str(bad)))
        assert "not a valid checkpoint file: size must be a whole number" in line


def test_every_checkpoint_is_exported_to_the_export_folder(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "mirror" / "checkpoints"
    settings = dataclasses.replace(demo.system.settings, checkpoint_export_dir=out)
    with build(settings) as system:
        _more_events(system, 1)
        new = system.ledger.checkpoint()
        stored = system.ledger.checkpoints()
    assert len(stored) == 4 and stored[-1] == new
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"checkpoint-{c.size:012d}.json" for c in stored]  # nothing else left
    for checkpoint in stored:
        path = out / f"checkpoint-{checkpoint.size:012d}.json"
        assert path.stat().st_mode & 0o777 == 0o644
        assert path.read_text(encoding="utf-8") == checkpoint.to_json() + "\n"
        assert Checkpoint.from_json(path.read_text(encoding="utf-8")) == checkpoint

    # Through the setting: the CLI's checkpoint lands there too, and verifies as --against.
    env = demo.env | {"EJOURNAL_CHECKPOINT_EXPORT_DIR": str(out)}
    _more_events(demo.system, 1)
    result = CliRunner().invoke(main, ["ledger", "checkpoint"], env=env)
    assert result.exit_code == 0, result.output
    newest = Checkpoint.from_json(result.stdout)
    exported = out / f"checkpoint-{newest.size:012d}.json"
    assert Checkpoint.from_json(exported.read_text(encoding="utf-8")) == newest
    assert demo.cli("verify", "--against", str(exported)).exit_code == 0

    # A folder that cannot be written is refused at start-up (like every folder the system
    # writes to); one that fails later does not stop signing, and the next export catches up.
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(StorageError, match="EJOURNAL_CHECKPOINT_EXPORT_DIR"):
        build(dataclasses.replace(settings, checkpoint_export_dir=blocker / "under"))
    with build(settings) as system:
        system.ledger.export_dir = blocker / "under"
        _more_events(system, 1)
        signed = system.ledger.checkpoint()
        assert system.ledger.export() == []
        system.ledger.export_dir = out
        assert system.ledger.export() == [out / f"checkpoint-{signed.size:012d}.json"]


def test_the_export_folder_setting_is_validated(tmp_path: Path) -> None:
    env = {"EJOURNAL_VAR_DIR": str(tmp_path / "var")}
    assert Settings.from_env(env).checkpoint_export_dir is None
    folder = tmp_path / "cp"
    got = Settings.from_env(env | {"EJOURNAL_CHECKPOINT_EXPORT_DIR": str(folder)})
    assert got.checkpoint_export_dir == folder
    a_file = tmp_path / "file"
    a_file.write_text("", encoding="utf-8")
    for bad in ("relative/checkpoints", str(a_file)):
        with pytest.raises(SettingsError, match="EJOURNAL_CHECKPOINT_EXPORT_DIR"):
            Settings.from_env(env | {"EJOURNAL_CHECKPOINT_EXPORT_DIR": bad})


def _doc_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of docs/ledger-json.md, by their title's command."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "ledger-json.md").read_text(
        encoding="utf-8"
    )
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    return {b["$id"].split(":")[-2]: b for b in blocks if "$schema" in b}


def test_every_json_output_matches_its_documented_schema(demo: Demo, tmp_path: Path) -> None:
    schemas = _doc_schemas()
    assert sorted(schemas) == ["checkpoint", "consistency", "prove", "verify"]
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    validators = {
        name: Draft202012Validator(schema, registry=registry) for name, schema in schemas.items()
    }
    for validator in validators.values():
        Draft202012Validator.check_schema(validator.schema)

    def valid(name: str, text: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(text)
        errors = [e.message for e in validators[name].iter_errors(document)]
        assert not errors, (name, errors)
        return document

    out = tmp_path / "exported"
    exported = tmp_path / "one.json"
    env = demo.env | {"EJOURNAL_CHECKPOINT_EXPORT_DIR": str(out)}
    _more_events(demo.system, 1)
    result = CliRunner().invoke(main, ["ledger", "checkpoint", "--export", str(exported)], env=env)
    assert result.exit_code == 0, result.output
    valid("checkpoint", result.stdout)
    valid("checkpoint", exported.read_text(encoding="utf-8"))
    for path in out.iterdir():
        valid("checkpoint", path.read_text(encoding="utf-8"))
    valid("verify", demo.cli("verify", "--json").stdout)
    valid("verify", demo.cli("verify", "--json", "--against", str(exported)).stdout)
    rows = demo.raw.rows()
    for row in (rows[0], rows[len(rows) // 2], rows[-1]):
        valid("prove", demo.cli("prove", str(row.id)).stdout)
    mark_id, _ = demo.raw.a_mark()
    valid("prove", demo.cli("prove", mark_id).stdout)
    for name in demo.golden.exports:
        valid("consistency", demo.cli("consistency", str(demo.export(name))).stdout)
    valid("consistency", demo.cli("consistency", str(exported)).stdout)  # first == second

    # A broken ledger's verdict, and the schema's grip: a key it does not list fails.
    _flip_one_byte(demo)
    broken = valid("verify", demo.cli("verify", "--json").stdout)
    assert not broken["ok"] and broken["first_bad"] is not None
    assert list(validators["verify"].iter_errors(broken | {"extra": 1}))
    assert list(validators["prove"].iter_errors({"position": 1}))


# --- crypto-shredding ----------------------------------------------------------------------
def test_verify_passes_after_a_series_key_is_destroyed(demo: Demo) -> None:
    system = demo.system
    system.keyring.destroy(SHREDDED_SERIES, "АКТ-1")
    verdict = demo.ledger.verify()
    assert verdict.ok, verdict

    notes = system.journal.recorder.select_notifications(start=1, limit=10**6)
    shredded = [
        n.id for n in notes if isinstance(system.journal.mapper.to_domain_event(n), Redacted)
    ]
    assert shredded  # the class's journal is unreadable now

    system.views.rebuild(["ledger"])  # even re-sealed from the shredded log
    assert demo.ledger.verify().ok
    _more_events(system, 2)
    demo.ledger.checkpoint()
    verdict = demo.ledger.verify()
    assert verdict.ok and verdict.checkpoints == 4, verdict
    assert demo.cli("verify").exit_code == 0

    # The shredded events are still provably in the log.
    by_id = {r.id: r for r in demo.raw.rows()}
    for position in shredded[:: max(1, len(shredded) // 10)]:
        assert lv.check_inclusion_proof(demo.ledger.prove(position), by_id[position].leaf())


# --- automatic checkpoints -----------------------------------------------------------------
def test_inline_mode_signs_a_checkpoint_every_n_events(tmp_path: Path) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), checkpoint_every=5)
    assert settings.views_mode == "inline"
    with build(settings) as system:
        assert system.ledger.checkpoints() == []
        build_school(system.journal)
        sizes = [c.size for c in system.ledger.checkpoints()]
        total = system.journal.recorder.max_notification_id()
        raw = Raw(settings)
        try:
            rows = raw.rows()
        finally:
            raw.close()
        assert total == len(rows) > 20
        assert len(sizes) >= total // 5 - 1
        assert all(later - earlier >= 5 for earlier, later in itertools.pairwise(sizes))
        assert total - sizes[-1] < 5  # the newest are not yet due
        for checkpoint in system.ledger.checkpoints():
            assert checkpoint.root == _root(rows, checkpoint.size)
        verdict = system.ledger.verify()
        assert verdict.ok and verdict.checkpoints == len(sizes), verdict


def test_closing_a_term_signs_a_checkpoint(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:  # every 1000 events or an hour
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 15)):
            system.journal.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
            )
        before = system.ledger.latest()
        assert before is not None  # the first command of a new school signs one at once
        assert before.size < system.journal.recorder.max_notification_id()

        with clock.travel(at(LESSON_DAY, 16)):
            system.journal.school.close_term(school.year_id, 1, school.deputy)
        latest = system.ledger.latest()
        raw = Raw(system.settings)
        try:
            rows = raw.rows()
        finally:
            raw.close()
        assert latest is not None and latest.size == len(rows) > before.size
        assert rows[-1].topic.endswith("SchoolYear.TermClosed")
        assert latest.root == _root(rows)
        assert system.ledger.verify().ok
