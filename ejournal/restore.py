"""Restore of a backup (``ejournal.backup``) into an empty database.

Everything is checked before anything is written: the manifest's checksums, the master key
(it must fit the backed-up keyring), the ledger key (it must have signed the checkpoints),
an empty target, and a key in the keyring for every event. Then the events (with their
notification ids), the keys and the checkpoints are inserted in one transaction — with
every series a destruction certificate names already destroyed, so an older keyring copy
cannot bring a destroyed key back; every series whose destruction the event log records is
destroyed again; the views are rebuilt and the ledger verified.
"""

from __future__ import annotations

import base64
import hmac
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from ejournal.backup import (
    CHECKPOINT_COLUMNS,
    CHECKPOINTS,
    FOLDERS,
    KEY_COLUMNS,
    KEYRING,
    BackupError,
    Tables,
    certificates,
    ledger_key_id,
    read_manifest,
    stored_events,
    unb64,
)
from ejournal.bootstrap import System, build
from ejournal.keyring import SCHOOL_KEK, check_value
from ejournal.mapper import key_id_of
from ejournal.settings import Settings

_DISPOSED = (":Disposition.Executed", ":Disposition.Transferred")


@dataclass
class RestoreSummary:
    """What ``restore`` did, and the checks it ran after restoring."""

    events: int
    max_notification_id: int
    keys: int
    destroyed_series: list[str]
    files: int
    checks: list[tuple[str, bool]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return all(ok for _, ok in self.checks)


# --- restore --------------------------------------------------------------------------------
def _check_master_key(settings: Settings, keyring: dict[str, Any]) -> None:
    path = settings.master_key_file
    if not path.exists():
        raise BackupError(
            f"the master key file {path} is missing: restore it from its offline backup "
            "first (EJOURNAL_MASTER_KEY_FILE); nothing restored"
        )
    try:
        master = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as error:
        raise BackupError(f"the master key file {path} is unreadable: {error}") from None
    stored = unb64(keyring["check"])
    if stored is None or not hmac.compare_digest(stored, check_value(master)):
        raise BackupError(
            f"the master key {path} does not fit the backed-up keyring (another school's "
            "or a newer key?): nothing restored"
        )
    kek = unb64(keyring.get("school_kek"))
    if (kek is not None) != settings.regional:
        raise BackupError(
            "a regional school's backup restores only as a school of a regional deployment "
            "(ejournal --school CODE restore), a one-school backup only outside one: nothing "
            "restored"
        )
    if kek is not None:
        try:
            aes_key_unwrap(master, kek)
        except InvalidUnwrap:
            raise BackupError(
                "the school's key-encryption key does not unwrap with this master key: "
                "nothing restored"
            ) from None


def _check_ledger_key(settings: Settings, manifest: dict[str, Any]) -> None:
    expected = manifest.get("ledger_key_id")
    if not manifest["counts"]["checkpoints"] or not expected:
        return
    found = ledger_key_id(settings)
    if found is None:
        raise BackupError(
            f"the ledger signing key {settings.ledger_key_file} is missing: restore it from "
            "its offline backup first (EJOURNAL_LEDGER_KEY_FILE), or the restored checkpoints "
            "cannot be verified; nothing restored"
        )
    if found != expected:
        raise BackupError(
            f"the ledger signing key {settings.ledger_key_file} (key id {found}) is not the "
            f"one that signed the backed-up checkpoints ({expected}); nothing restored"
        )


def _check_empty(settings: Settings, tables: Tables, folder: Path) -> None:
    if not (tables.sqlite and not Path(settings.database.path).exists()):
        conn = tables.connect(read_only=True)
        try:
            held = {
                "events": tables.count(conn, tables.event_table(), tables.events),
                "keys": tables.count(conn, "ejournal_keyring", tables.keyring),
                "checkpoints": tables.count(conn, "ejournal_checkpoints", tables.checkpoints),
            }
        finally:
            conn.rollback()
            conn.close()
        if any(held.values()):
            what = ", ".join(f"{n} {k}" for k, n in held.items() if n)
            raise BackupError(
                f"{settings.database_url} is not empty ({what}): restore only into an empty "
                "database; nothing restored"
            )
    for name, where in FOLDERS.items():
        source, destination = folder / "files" / name, where(settings)
        for path in source.rglob("*") if source.is_dir() else ():
            there = destination / path.relative_to(source)
            if path.is_file() and there.exists():
                raise BackupError(f"{there} exists already: nothing restored")


def _check_keys_cover_events(folder: Path, keyring: dict[str, Any]) -> None:
    known = {key["key_id"] for key in keyring["keys"]}
    missing = set()
    for event in stored_events(folder):
        key = str(key_id_of(unb64(event["state"]) or b""))
        if key not in known:
            missing.add(key)
    if missing:
        raise BackupError(
            f"the keyring lacks {len(missing)} data key(s) that events were written under "
            "(a keyring copy older than the events?): nothing restored"
        )


def _destroyed_by_certificates(folder: Path) -> dict[str, str]:
    """series → certificate id, for every series a certificate in the backup names."""
    return {
        item["series"]: str(certificate["certificate_id"])
        for certificate in certificates(folder)
        for item in certificate["items"]
    }


def restore(
    settings: Settings,
    source: Path,
    keyring_from: Path | None = None,
    open_system: Callable[[Settings], System] = build,
) -> RestoreSummary:
    """Restore a backup into the configured, empty database (see the module's docstring).

    ``keyring_from``: take the keyring from another backup (kept apart, on its own
    schedule); its manifest is checked too. Raises ``BackupError`` before writing
    anything when something is wrong."""
    started = time.perf_counter()
    manifest = read_manifest(source)
    keyring_source = source
    if keyring_from is not None:
        read_manifest(keyring_from)
        keyring_source = keyring_from
    keyring = json.loads((keyring_source / KEYRING).read_text(encoding="utf-8"))
    _check_master_key(settings, keyring)
    if settings.regional and manifest.get("school") != settings.school:
        raise BackupError(
            f"the backup is of school {manifest.get('school')!r}, not {settings.school!r}: a "
            "school's record ids are made from its code; nothing restored"
        )
    _check_ledger_key(settings, manifest)
    tables = Tables(settings)
    _check_empty(settings, tables, source)
    _check_keys_cover_events(source, keyring)
    shredded = _destroyed_by_certificates(source)

    # Every check passed: create the tables, then write everything in one transaction.
    open_system(settings).close()
    _insert(tables, source, keyring, shredded)
    with open_system(settings) as system:
        logged = _certificates_in_log(system)
        for certificate in logged:
            named = [item["series"] for item in certificate["items"]]
            certificate_id = str(certificate["certificate_id"])
            system.keyring.destroy_many(named, certificate_id)
            shredded.update({series: certificate_id for series in named})
        # The files of every destroyed series stay deleted — also those whose certificate
        # file is not in the backup (an execution stopped before it deleted them).
        files = _restore_files(settings, source, [*certificates(source), *logged])
        system.views.rebuild()
        summary = RestoreSummary(
            manifest["counts"]["events"],
            manifest["max_notification_id"],
            len(keyring["keys"]),
            sorted(shredded),
            files,
        )
        summary.checks = _checks(system, manifest, shredded)
    summary.seconds = time.perf_counter() - started
    return summary


def _insert(
    tables: Tables, folder: Path, keyring: dict[str, Any], shredded: dict[str, str]
) -> None:
    p = tables.param
    conn = tables.connect(read_only=False)
    try:
        cursor = conn.cursor()
        if tables.sqlite:
            batch: list[tuple[Any, ...]] = []
            statement = (
                f"INSERT INTO {tables.events} (rowid, originator_id, originator_version, "
                "topic, state) VALUES (?, ?, ?, ?, ?)"
            )
            for event in stored_events(folder):
                batch.append(_event_row(event, hex_ids=True))
                if len(batch) >= 2000:
                    cursor.executemany(statement, batch)
                    batch = []
            cursor.executemany(statement, batch)
        else:
            copy_sql = (
                f"COPY {tables.events} (notification_id, originator_id, originator_version, "
                "topic, state) FROM STDIN"
            )
            with cursor.copy(copy_sql) as copy:
                for event in stored_events(folder):
                    copy.write_row(_event_row(event, hex_ids=False))
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                f"GREATEST((SELECT MAX(notification_id) FROM {tables.events}), 1))",
                (tables.events,),
            )
        now = datetime.now(UTC).isoformat()
        for key in keyring["keys"]:
            wrapped, destroyed_at, certificate_id = (
                unb64(key["wrapped"]),
                key["destroyed_at"],
                key["certificate_id"],
            )
            if key["series"] in shredded and wrapped is not None:
                wrapped, destroyed_at = None, now
                certificate_id = shredded[key["series"]]
            cursor.execute(
                f"INSERT INTO {tables.keyring} ({', '.join(KEY_COLUMNS)}) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (
                    key["key_id"],
                    key["series"],
                    wrapped,
                    key["created_at"],
                    destroyed_at,
                    certificate_id,
                ),
            )
        kek = unb64(keyring.get("school_kek"))
        if kek is not None:  # the school's own KEK replaces the one its first start made
            cursor.execute(f"DELETE FROM {tables.meta} WHERE name = {p}", (SCHOOL_KEK,))
            cursor.execute(
                f"INSERT INTO {tables.meta} (name, value) VALUES ({p}, {p})", (SCHOOL_KEK, kek)
            )
        checkpoints = json.loads((folder / CHECKPOINTS).read_text(encoding="utf-8"))
        for checkpoint in checkpoints:
            cursor.execute(
                f"INSERT INTO {tables.checkpoints} ({', '.join(CHECKPOINT_COLUMNS)}) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                tuple(checkpoint[c] for c in CHECKPOINT_COLUMNS),
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _event_row(event: dict[str, Any], *, hex_ids: bool) -> tuple[Any, ...]:
    originator: Any = event["originator_id"]
    try:
        uid = UUID(originator)
        originator = uid.hex if hex_ids else uid
    except ValueError:
        pass
    return (event["id"], originator, event["version"], event["topic"], unb64(event["state"]))


def _restore_files(settings: Settings, folder: Path, destroyed: list[dict[str, Any]]) -> int:
    """Copy the archive files and certificates back, except files a certificate (a file of
    the backup, or one recorded in the event log) says were deleted with their series."""
    gone = {
        ("archive", str(Path(file["path"])))
        for certificate in destroyed
        for item in certificate["items"]
        for file in item.get("files", ())
    }
    copied = 0
    for name, where in FOLDERS.items():
        source = folder / "files" / name
        for path in sorted(source.rglob("*")) if source.is_dir() else ():
            relative = path.relative_to(source)
            if not path.is_file() or (name, str(relative)) in gone:
                continue
            destination = where(settings) / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    return copied


def _certificates_in_log(system: System) -> list[dict[str, Any]]:
    """The certificate of every disposition executed or transferred in the log."""
    found: list[dict[str, Any]] = []
    recorder, mapper = system.journal.recorder, system.journal.mapper
    start = 1
    while notes := recorder.select_notifications(start=start, limit=2000):
        for note in notes:
            if note.topic.endswith(_DISPOSED):
                event = mapper.to_domain_event(note)
                certificate = getattr(event, "certificate", None)
                if isinstance(certificate, dict):
                    found.append(certificate)
        start = notes[-1].id + 1
    return found


def _checks(
    system: System, manifest: dict[str, Any], shredded: dict[str, str]
) -> list[tuple[str, bool]]:
    recorder = system.journal.recorder
    restored = recorder.max_notification_id() or 0
    rows = {row.series: row for row in system.keyring.rows()}
    verdict = system.ledger.verify()
    latest = system.ledger.latest()
    expected = manifest.get("latest_checkpoint")
    statuses = system.views.status()
    return [
        (f"SHA-256 of {len(manifest['files'])} files as in the manifest", True),  # else refused
        (
            f"events: {manifest['counts']['events']} restored up to notification {restored}",
            restored == manifest["max_notification_id"],
        ),
        (
            f"destroyed series stay destroyed ({len(shredded)})",
            all(rows[s].wrapped is None for s in shredded if s in rows),
        ),
        (
            f"views rebuilt to notification {restored}",
            all(s.position == restored for s in statuses),
        ),
        (
            f"ledger verifies ({verdict.events} events, {verdict.checkpoints} checkpoints)",
            verdict.ok,
        ),
        (
            "latest checkpoint as backed up",
            (latest is None and expected is None)
            or (latest is not None and expected is not None and latest.root == expected["root"]),
        ),
    ]
