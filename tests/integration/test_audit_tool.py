"""The standalone verifier (tools/ejournal_audit.py, issue 15) over the product's real output:
a small demo school on SQLite, its exported checkpoints, `ledger prove`, `ledger
consistency`, a backup and copies of the database tampered with by direct SQL. The verifier
must agree with `ejournal ledger verify`: both pass on an intact copy, both fail on a
tampered one."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.demo import seed_demo
from tests.audit_tools import AUDIT_SCRIPT
from tests.conftest import ROOT, settings_for


@dataclass(frozen=True)
class School:
    var: Path
    key: Path  # the public key, PEM
    early: Path  # a checkpoint exported while seeding
    final: Path  # the latest checkpoint

    @property
    def database(self) -> Path:
        return self.var / "ejournal.sqlite"

    @property
    def exports(self) -> Path:
        """The checkpoint export folder (EJOURNAL_CHECKPOINT_EXPORT_DIR) an auditor mirrors."""
        return self.var.parent / "exports"

    def env(self) -> dict[str, str]:
        return {
            "EJOURNAL_VAR_DIR": str(self.var),
            "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
            "EJOURNAL_CHECKPOINT_EXPORT_DIR": str(self.exports),
        }

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env())

    def copy(self, target: Path) -> School:
        shutil.copytree(self.var, target / "var")
        return School(target / "var", self.key, self.early, self.final)


def audit(*args: str | Path) -> tuple[int, str]:
    """Run the verifier as an auditor would: its own interpreter, isolated (-I)."""
    done = subprocess.run(
        [sys.executable, "-I", str(AUDIT_SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.count("\n") + done.stderr.count("\n") == 1, (done.stdout, done.stderr)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> School:
    folder = tmp_path_factory.mktemp("audit")
    settings = settings_for(folder)
    outside = folder / "auditor"
    outside.mkdir()
    with build(settings) as system:
        system.journal.saved_listeners.clear()  # seed first, seal afterwards (as `demo` does)
        early: list[str] = []

        def progress(stage: str, done: int, _total: int) -> None:
            if stage == "pupils" and done >= 2 and not early:
                system.views.catch_up()
                early.append(system.ledger.checkpoint().to_json())

        seed_demo(system.journal, classes=2, pupils_per_class=3, weeks=1, progress=progress)
    (outside / "early.json").write_text(early[0], encoding="utf-8")
    found = School(
        settings.var_dir, outside / "ledger.pem", outside / "early.json", outside / "final.json"
    )
    result = found.cli("ledger", "checkpoint", "--export", str(found.final))
    assert result.exit_code == 0, result.output
    result = found.cli("ledger", "public-key")
    assert result.exit_code == 0, result.output
    found.key.write_text(result.output, encoding="utf-8")
    return found


def _size(checkpoint: Path) -> int:
    return int(json.loads(checkpoint.read_text(encoding="utf-8"))["size"])


# --- intact ----------------------------------------------------------------------------------
def test_the_key_id_and_checkpoints_agree_with_the_product(school: School) -> None:
    final = json.loads(school.final.read_text(encoding="utf-8"))
    assert audit("key-id", "--key", school.key) == (0, f"OK: {final['key_id']}\n")
    code, out = audit("checkpoint", school.early, school.final, "--key", school.key)
    assert code == 0, out


def test_the_export_folder_is_a_set_of_checkpoints_the_verifier_reads(school: School) -> None:
    exported = sorted(school.exports.glob("checkpoint-*.json"))
    assert exported, "ledger checkpoint wrote nothing to EJOURNAL_CHECKPOINT_EXPORT_DIR"
    code, out = audit("checkpoint", school.exports, "--key", school.key)
    assert code == 0 and f"OK: {len(exported)} checkpoint(s)" in out, out
    code, out = audit("tree", school.database, "--key", school.key, "--checkpoint", school.exports)
    assert code == 0, out


def test_inclusion_proofs_of_the_product_verify(school: School, tmp_path: Path) -> None:
    size = _size(school.final)
    for position in (1, size // 2, size):
        result = school.cli("ledger", "prove", str(position))
        assert result.exit_code == 0, result.output
        proof = tmp_path / f"prove-{position}.json"
        proof.write_text(result.output, encoding="utf-8")
        code, out = audit("inclusion", proof, "--key", school.key, "--checkpoint", school.final)
        assert code == 0, out
        assert f"of the tree of size {size}" in out
        assert "preimage" in json.loads(result.output)  # the `prove` of issue 15, item 4
        assert f"event {position} (its preimage hashes to the leaf)" in out


def _row(database: Path, position: int) -> tuple[Any, ...]:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid = ?",
            (position,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_preimage_from_the_database_ties_the_leaf_to_the_event(
    school: School, tmp_path: Path
) -> None:
    """The preimage `prove` gives (issue 15, item 4) is the event row itself: put there from
    the database, it verifies; with one byte of the state changed, it does not."""
    position = _size(school.final) // 3
    proof = json.loads(school.cli("ledger", "prove", str(position)).output)
    rowid, oid, version, topic, state = _row(school.database, position)
    proof["preimage"] = {
        "notification_id": rowid,
        "originator_id": str(UUID(oid)),
        "originator_version": version,
        "topic": topic,
        "state_b64": base64.b64encode(state).decode(),
    }
    good = tmp_path / "good.json"
    good.write_text(json.dumps(proof), encoding="utf-8")
    code, out = audit("inclusion", good, "--key", school.key)
    assert code == 0 and f"event {position} (its preimage hashes to the leaf)" in out, out
    proof["preimage"]["state_b64"] = base64.b64encode(state[:-1] + b"\x00").decode()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(proof), encoding="utf-8")
    code, out = audit("inclusion", bad, "--key", school.key)
    assert code == 1 and "its preimage does not hash to the proof's leaf" in out, out


def test_a_consistency_proof_of_the_product_verifies(school: School, tmp_path: Path) -> None:
    result = school.cli("ledger", "consistency", str(school.early))
    assert result.exit_code == 0, result.output
    assert {"first", "second", "consistency_path"} <= json.loads(result.output).keys()
    proof = tmp_path / "consistency.json"
    proof.write_text(result.output, encoding="utf-8")
    code, out = audit(
        "consistency", proof, "--key", school.key, "--old", school.early, "--new", school.final
    )
    assert code == 0, out
    assert f"size {_size(school.final)}" in out and f"size {_size(school.early)}" in out


# --- the whole tree, intact and tampered -----------------------------------------------------
def _alter_state(conn: sqlite3.Connection, position: int) -> None:
    """Change the state's last byte (to 0x01 when it is 0x00 already: once in 256 runs the
    ciphertext ends in 0x00, and writing 0x00 again altered nothing)."""
    conn.execute(
        "UPDATE stored_events SET state = CAST(substr(state, 1, length(state) - 1) "
        "|| CASE WHEN substr(state, -1) = x'00' THEN x'01' ELSE x'00' END AS BLOB) "
        "WHERE rowid = ?",
        (position,),
    )


def _delete(conn: sqlite3.Connection, position: int) -> None:
    conn.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))


def _swap_topics(conn: sqlite3.Connection, position: int) -> None:
    conn.execute(
        "UPDATE stored_events SET topic = (SELECT topic FROM stored_events WHERE rowid = ?) "
        "WHERE rowid = ?",
        (1, position),
    )


Tamper = Callable[[sqlite3.Connection, int], None]


@pytest.mark.parametrize(
    ("tamper", "where"),
    [
        (None, 0),
        (_alter_state, 2),  # inside the early checkpoint
        (_alter_state, -1),  # the last event
        (_delete, 0),  # in the middle
        (_delete, -1),
        (_swap_topics, 0),
    ],
    ids=["intact", "altered-early", "altered-last", "deleted-middle", "deleted-last", "topic"],
)
def test_the_verifier_agrees_with_ledger_verify(
    school: School, tmp_path: Path, tamper: Tamper | None, where: int
) -> None:
    size = _size(school.final)
    position = {0: size // 2, -1: size}.get(where, where)
    copy = school.copy(tmp_path)
    if tamper is not None:
        with sqlite3.connect(copy.database) as conn:
            tamper(conn, position)
    verify = copy.cli("ledger", "verify")
    checkpoints = ("--checkpoint", school.early, "--checkpoint", school.final)
    code, out = audit("tree", copy.database, "--key", school.key, *checkpoints)
    assert (code == 0) == (verify.exit_code == 0) == (tamper is None), (out, verify.output)
    if tamper is not None:
        assert code == 1 and out.startswith("MISMATCH: "), out
    # The same from a backup of the copy (no ledger leaves there: the checkpoints decide).
    backup = tmp_path / "backup"
    result = copy.cli("backup", "--to", str(backup))
    assert result.exit_code == 0, result.output
    code, out = audit("tree", backup, "--key", school.key, *checkpoints)
    assert (code == 0) == (tamper is None), out


def test_the_verifier_names_the_altered_event_like_ledger_verify(
    school: School, tmp_path: Path
) -> None:
    copy = school.copy(tmp_path)
    position = _size(school.final) // 2
    with sqlite3.connect(copy.database) as conn:
        _alter_state(conn, position)
    verify = copy.cli("ledger", "verify", "--json")
    assert json.loads(verify.output)["first_bad"] == position
    code, out = audit("tree", copy.database, "--key", school.key)
    assert (code, out) == (
        1,
        f"MISMATCH: event {position} is altered (its hash differs from the ledger)\n",
    )


def test_a_rewrite_that_rebuilt_the_ledger_is_caught_by_the_auditors_checkpoint(
    school: School, tmp_path: Path
) -> None:
    """An altered event whose ledger leaf and stored checkpoints were rewritten too: only a
    checkpoint kept outside the database shows it — in a backup as in the database."""
    copy = school.copy(tmp_path)
    position = 3
    with sqlite3.connect(copy.database) as conn:
        _alter_state(conn, position)
        conn.execute("DELETE FROM v_ledger_leaves")
        conn.execute("DELETE FROM ejournal_checkpoints")
    code, out = audit("tree", copy.database, "--key", school.key)
    assert code == 0, out  # nothing inside the copy to hold it against
    code, out = audit("tree", copy.database, "--key", school.key, "--checkpoint", school.early)
    assert code == 1 and f"the checkpoint of size {_size(school.early)}" in out, out
    backup = tmp_path / "backup"
    assert copy.cli("backup", "--to", str(backup)).exit_code == 0
    code, out = audit("tree", backup, "--key", school.key, "--checkpoint", school.final)
    assert code == 1 and "no longer matches" in out, out


def test_a_backup_altered_after_it_was_written_is_refused(school: School, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert school.cli("backup", "--to", str(backup)).exit_code == 0
    code, out = audit("tree", backup, "--key", school.key, "--checkpoint", school.final)
    assert code == 0, out
    events = backup / "events.jsonl"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[5])
    record["version"] += 1
    lines[5] = json.dumps(record) + "\n"
    events.write_text("".join(lines), encoding="utf-8")
    code, out = audit("tree", backup, "--key", school.key)
    assert code == 1 and "events.jsonl does not match its SHA-256" in out, out


# --- PostgreSQL: the CSV export of docs/auditors.md -----------------------------------------
@pytest.mark.postgres
def test_the_documented_csv_export_of_postgresql_recomputes_the_vectors_tree(
    pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    """The ``\\copy`` statement of docs/auditors.md, run on an event table of PostgreSQL's
    layout holding the test vectors' events, gives a CSV the verifier recomputes."""
    import psycopg
    from psycopg import sql

    from tests.audit_tools import ledger_vectors

    url, with_schema = pg_schema
    schema = with_schema.rsplit("schema=", 1)[1]
    document = (ROOT / "docs" / "auditors.md").read_text(encoding="utf-8")
    found = re.search(
        r"\\copy \((SELECT .*?)\) TO 'events.csv' WITH \(FORMAT csv, HEADER\)", document
    )
    assert found is not None
    select = found.group(1).replace("school_0042.", f"{schema}.")
    v = ledger_vectors.vectors()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.ejournal_events (originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text, state bytea, "
                "notification_id bigint PRIMARY KEY)"
            ).format(sql.Identifier(schema))
        )
        for e in v["events"]:
            conn.execute(
                sql.SQL("INSERT INTO {}.ejournal_events VALUES (%s, %s, %s, %s, %s)").format(
                    sql.Identifier(schema)
                ),
                (
                    UUID(e["originator_id"]),
                    e["originator_version"],
                    e["topic"],
                    base64.b64decode(e["state_b64"]),
                    e["notification_id"],
                ),
            )
        csv_file = tmp_path / "events.csv"
        with conn.cursor().copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            csv_file.write_bytes(b"".join(bytes(block) for block in copy))
    key = tmp_path / "test-key.pem"
    key.write_text(v["test_signing_key"]["public_pem"], encoding="utf-8")
    checkpoints = tmp_path / "checkpoints.json"
    checkpoints.write_text(
        json.dumps(
            [{k: x for k, x in c.items() if k != "message_hex"} for c in v["checkpoints"].values()]
        ),
        encoding="utf-8",
    )
    code, out = audit("tree", csv_file, "--key", key, "--checkpoint", checkpoints)
    assert code == 0 and "7 events recomputed; 3 checkpoints match" in out, out
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",domain.", ",domainx.")
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = audit("tree", csv_file, "--key", key, "--checkpoint", checkpoints)
    assert code == 1 and "no longer matches the checkpoint of size 3" in out, out
