"""``ejournal backup`` and ``ejournal restore`` as an operator runs them: a backup, the keys
brought back from their offline copies, a restore that prints its checks, and the
refusals (exit 1, one message, nothing written)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.cli import main
from tests.conftest import ROOT, settings_for
from tests.school import LESSON_DAY, at, build_school


def _env(var: Path) -> dict[str, str]:
    return {"EJOURNAL_VAR_DIR": str(var), "EJOURNAL_POLICIES_DIR": str(ROOT / "policies")}


def _school(tmp_path: Path) -> Path:
    """A small school with marks and a checkpoint; returns its var folder."""
    with build(settings_for(tmp_path / "source")) as system:
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 14)):
            system.journal.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
            )
        system.ledger.checkpoint()
    return tmp_path / "source" / "var"


def test_backup_then_restore_into_an_empty_school_prints_every_check(tmp_path: Path) -> None:
    source = _school(tmp_path)
    folder = tmp_path / "backup"
    done = CliRunner().invoke(main, ["backup", "--to", str(folder)], env=_env(source))
    assert done.exit_code == 0, done.output
    assert "master key: not included" in done.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source_backend"] == "sqlite" and manifest["counts"]["checkpoints"] >= 1
    assert not (folder / "keys").exists()

    # a second backup into the same (now non-empty) folder is refused
    again = CliRunner().invoke(main, ["backup", "--to", str(folder)], env=_env(source))
    assert again.exit_code == 1 and "not an empty folder" in again.output

    target = tmp_path / "restored" / "var"
    # without the master key: refused, and no key generated
    refused = CliRunner().invoke(main, ["restore", "--from", str(folder)], env=_env(target))
    assert refused.exit_code == 1 and "master key file" in refused.output
    assert not target.exists()

    shutil.copytree(source / "keys", target / "keys")  # from the offline copies
    restored = CliRunner().invoke(main, ["restore", "--from", str(folder)], env=_env(target))
    assert restored.exit_code == 0, restored.output
    events, checkpoints = manifest["counts"]["events"], manifest["counts"]["checkpoints"]
    assert f"restored {events} events" in restored.output
    assert "FAIL" not in restored.output and "restore checks passed: 6/6" in restored.output

    verify = CliRunner().invoke(main, ["ledger", "verify"], env=_env(target))
    assert (
        verify.exit_code == 0
        and f"ledger OK: {events} events, {checkpoints} checkpoints" in verify.output
    )

    # a second restore finds the database not empty
    twice = CliRunner().invoke(main, ["restore", "--from", str(folder)], env=_env(target))
    assert twice.exit_code == 1 and "is not empty" in twice.output


def test_restore_of_a_tampered_backup_is_refused(tmp_path: Path) -> None:
    source = _school(tmp_path)
    folder = tmp_path / "backup"
    assert (
        CliRunner().invoke(main, ["backup", "--to", str(folder)], env=_env(source)).exit_code == 0
    )
    keyring = folder / "keyring" / "keyring.json"
    keyring.write_text(keyring.read_text().replace('"wrapped": "', '"wrapped": "A', 1))
    target = tmp_path / "restored" / "var"
    shutil.copytree(source / "keys", target / "keys")
    result = CliRunner().invoke(main, ["restore", "--from", str(folder)], env=_env(target))
    assert result.exit_code == 1
    assert "keyring/keyring.json does not match its SHA-256" in result.output
    assert not (target / "ejournal.sqlite").exists()
