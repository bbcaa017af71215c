"""Backup and restore on both backends and across them: a restored school has identical
views, a ledger that verifies with the same root, and its destroyed series stay destroyed
— even when the keyring copy was taken before the destruction. A restore is refused,
with nothing written, into a non-empty database, from a backup altered by one byte, and
without the master key."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain import clock, errors
from domain.lesson import Lesson
from ejournal.backup import BackupError, backup
from ejournal.bootstrap import System, build
from ejournal.restore import restore
from ejournal.settings import Settings
from tests.conftest import settings_for
from tests.retention_school import (
    FILE_5A,
    FILE_5B,
    JOURNAL_5A,
    TOPIC_5B,
    History,
    make_history,
)
from tests.school import at
from tests.views import snapshot

DESTROYED_ON = date(2032, 1, 2)


def _dispose(system: System, h: History, *series: str) -> dict[str, Any]:
    with clock.travel(at(DESTROYED_ON)):
        [proposal] = system.records.propose(h.archivist, series=series)
        system.journal.retention.approve_disposition(proposal, h.school.head, "7", clock.today())
        return system.records.execute(proposal, h.archivist)


def _target(source: Settings, folder: Path, url: str | None = None) -> Settings:
    """Settings of an empty school elsewhere, with the source's master and ledger keys
    restored from their offline copies (as an operator does before ``restore``)."""
    target = settings_for(folder, url)
    for key in ("master_key_file", "ledger_key_file"):
        destination = getattr(target, key)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(getattr(source, key), destination)
    return target


def _views(system: System) -> dict[str, list[tuple[Any, ...]]]:
    system.views.catch_up()
    with system.views.reader() as reader:
        return snapshot(reader, system.views.sealer)


def _files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _same_school(source: System, restored: System, h: History) -> None:
    """Identical views, registers, files and ledger; the destroyed series unreadable."""
    assert _views(restored) == _views(source)
    assert restored.records.register(DESTROYED_ON) == source.records.register(DESTROYED_ON)
    grid = (str(h.school.other_course_id), 1)
    assert restored.views.reads.journal.grid(*grid) == source.views.reads.journal.grid(*grid)
    diary = (str(h.school.outsider), str(h.school.year_id))
    assert restored.views.reads.reports.diary(
        diary[0], year_id=diary[1]
    ) == source.views.reads.reports.diary(diary[0], year_id=diary[1])
    assert restored.journal.queries.lesson(h.lesson_5b).topic == TOPIC_5B
    # the ledger verifies, with the same latest checkpoint
    assert restored.ledger.verify().ok
    assert restored.ledger.latest() == source.ledger.latest()
    # the destroyed series: no key, every event Redacted, nothing rebuildable, no file
    assert restored.keyring.store.by_series(JOURNAL_5A).wrapped is None
    entries = restored.journal.queries.history(h.lesson_5a)
    assert entries and all(e.redacted for e in entries)
    with pytest.raises(errors.RecordDestroyed):
        restored.journal.load(Lesson, h.lesson_5a)
    archive = b"".join(_files(restored.settings.archive_dir).values())
    assert FILE_5A not in archive and FILE_5B in archive
    assert _files(restored.settings.certificates_dir) == _files(source.settings.certificates_dir)


def _history_with_destruction(system: System, tmp_path: Path) -> tuple[History, Path, Path]:
    """The retention school, a backup taken before 5А's journal is destroyed, and one
    taken after (with a checkpoint signed after the destruction)."""
    h = make_history(system)
    before = tmp_path / "backup-before"
    backup(system.settings, before)
    _dispose(system, h, JOURNAL_5A)
    system.ledger.checkpoint()
    after = tmp_path / "backup-after"
    backup(system.settings, after)
    return h, before, after


def test_a_restored_school_is_the_same_and_a_destroyed_series_stays_destroyed_even_with_an_older_keyring(  # noqa: E501
    system: System, tmp_path: Path
) -> None:
    h, before, after = _history_with_destruction(system, tmp_path)
    old_keyring = json.loads((before / "keyring" / "keyring.json").read_text())
    [old_key] = [k for k in old_keyring["keys"] if k["series"] == JOURNAL_5A]
    assert old_key["wrapped"] is not None  # the older keyring copy still holds the key
    url = system.settings.database_url if system.settings.database.backend == "postgres" else None
    if url:  # another fresh schema on the same server
        url = url.replace("?schema=", "?schema=r")
    target = _target(system.settings, tmp_path / "restored", url)
    try:
        summary = restore(target, after, keyring_from=before)

        assert summary.ok, summary.checks
        assert JOURNAL_5A in summary.destroyed_series
        assert summary.events == system.journal.recorder.max_notification_id()
        with build(target) as restored:
            _same_school(system, restored, h)
            # the restored store goes on: new events follow the restored notification ids
            head = restored.journal.recorder.max_notification_id()
            with clock.travel(at(date(2032, 1, 3))):
                restored.journal.access_log.record_access(h.school.head, "test", [])
            [first] = restored.journal.recorder.select_notifications(start=head + 1, limit=1)
            assert first.id == head + 1
    finally:
        if url:
            _drop_schema(target)


def _drop_schema(settings: Settings) -> None:
    import psycopg
    from psycopg import sql

    db = settings.database
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(db.schema)))


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(tmp_path: Path, pg_schema: tuple[str, str]):
    source_settings = settings_for(tmp_path / "source")
    with build(source_settings) as source:
        h, _, after = _history_with_destruction(source, tmp_path)
        target = _target(source_settings, tmp_path / "restored", pg_schema[1])
        summary = restore(target, after)
        assert summary.ok, summary.checks
        with build(target) as restored:
            _same_school(source, restored, h)


def test_the_event_log_alone_keeps_a_series_destroyed_when_its_certificate_file_is_lost(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path / "source")
    with build(settings) as source:
        h, before, _ = _history_with_destruction(source, tmp_path)
        shutil.rmtree(settings.certificates_dir)  # the certificate files are gone
        lost = tmp_path / "backup-lost-certificates"
        backup(settings, lost)
    target = _target(settings, tmp_path / "restored")
    summary = restore(target, lost, keyring_from=before)
    assert summary.ok and JOURNAL_5A in summary.destroyed_series
    with build(target) as restored:
        assert restored.keyring.store.by_series(JOURNAL_5A).wrapped is None
        assert all(e.redacted for e in restored.journal.queries.history(h.lesson_5a))


def _nothing_written(target: Settings) -> None:
    assert not Path(target.database.path).exists()
    assert not target.archive_dir.exists() and not target.certificates_dir.exists()


def test_restore_refuses_a_non_empty_database_and_changes_nothing(
    system: System, tmp_path: Path
) -> None:
    make_history(system)
    folder = tmp_path / "backup"
    backup(system.settings, folder)
    head = system.journal.recorder.max_notification_id()
    keys = system.keyring.rows()
    with pytest.raises(BackupError, match="not empty"):
        restore(system.settings, folder)
    assert system.journal.recorder.max_notification_id() == head
    assert system.keyring.rows() == keys


def test_restore_refuses_a_backup_altered_by_one_byte_and_writes_nothing(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path / "source")
    with build(settings) as source:
        make_history(source)
        folder = tmp_path / "backup"
        backup(settings, folder)
    events = folder / "events.jsonl"
    data = bytearray(events.read_bytes())
    data[len(data) // 2] ^= 0x01
    events.write_bytes(bytes(data))
    target = _target(settings, tmp_path / "restored")
    with pytest.raises(BackupError, match=r"events\.jsonl does not match its SHA-256"):
        restore(target, folder)
    _nothing_written(target)


def test_restore_refuses_without_the_master_key_or_with_another_one(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "source")
    with build(settings) as source:
        make_history(source)
        folder = tmp_path / "backup"
        backup(settings, folder)
    assert "master.key" not in json.dumps(json.loads((folder / "manifest.json").read_text()))
    assert not any(
        p.read_bytes() == settings.master_key_file.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    )
    target = _target(settings, tmp_path / "restored")
    target.master_key_file.unlink()
    with pytest.raises(BackupError, match=r"master key file .* is missing"):
        restore(target, folder)
    assert not target.master_key_file.exists()  # and none was generated
    _nothing_written(target)
    other = settings_for(tmp_path / "other")
    with build(other):
        pass
    shutil.copy2(other.master_key_file, target.master_key_file)
    with pytest.raises(BackupError, match="does not fit"):
        restore(target, folder)
    _nothing_written(target)


def test_a_destroyed_series_file_left_on_disk_without_its_certificate_is_not_restored(
    tmp_path: Path,
) -> None:
    """An execution stopped after its event was stored but before it deleted the series'
    files (and wrote the certificate): the backup holds the file and no certificate; the
    event log's certificate keeps the file from coming back."""
    settings = settings_for(tmp_path / "source")
    with build(settings) as source:
        _, before, _ = _history_with_destruction(source, tmp_path)
        left = settings.archive_dir / "journal_2025-26_5А" / "journal.pdf"
        left.parent.mkdir(parents=True, exist_ok=True)
        left.write_bytes(FILE_5A)  # as if the execution had stopped before deleting it
        shutil.rmtree(settings.certificates_dir)
        stopped = tmp_path / "backup-stopped-execution"
        backup(settings, stopped)
    target = _target(settings, tmp_path / "restored")
    summary = restore(target, stopped, keyring_from=before)
    assert summary.ok and JOURNAL_5A in summary.destroyed_series
    assert not (target.archive_dir / "journal_2025-26_5А" / "journal.pdf").exists()
    assert (target.archive_dir / "journal_2025-26_5Б" / "journal.pdf").read_bytes() == FILE_5B
