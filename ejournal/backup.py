"""Backup and restore of one school: the stored (still encrypted) events, the keyring on
its own, the ledger's checkpoints, the archive files and destruction certificates, and a
manifest with the SHA-256 of every file.

The master key and the ledger signing key are never written into a backup: they are kept
apart, offline (docs/operations.md). A backup with its master key beside the keyring
would undo crypto-shredding.

A backup folder::

    manifest.json            format, app version, source backend, counts, max notification
                             id, ledger key id, latest checkpoint, {file: sha256, size}
    events.jsonl             one stored event a line, in notification order (state base64)
    keyring/keyring.json     the series keys, wrapped by the master key (destroyed: no key)
    checkpoints.json         the signed checkpoints
    files/archive/…          EJOURNAL_ARCHIVE_DIR
    files/certificates/…     EJOURNAL_CERTIFICATES_DIR

Restore goes into an empty database only. It checks everything before writing anything
(checksums, master key, ledger key, empty target, every event's key present), then
inserts events, keys and checkpoints in one transaction — with every series that a
destruction certificate names already destroyed, so an older keyring copy cannot bring a
destroyed key back — destroys again every series whose destruction the event log records,
rebuilds the views and verifies the ledger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from ejournal.bootstrap import System, build
from ejournal.keyring import check_value
from ejournal.mapper import key_id_of
from ejournal.settings import Settings
from ejournal.signing import load_or_create_signing_key
from projections.ledger import key_id

FORMAT = "ejournal-backup/v1"
MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
KEYRING = "keyring/keyring.json"
CHECKPOINTS = "checkpoints.json"
#: Folders copied under ``files/``: name in the backup → the setting that locates it.
FOLDERS: dict[str, Callable[[Settings], Path]] = {
    "archive": lambda s: s.archive_dir,
    "certificates": lambda s: s.certificates_dir,
}
MASTER_KEY_NOTE = (
    "not included: the master key (EJOURNAL_MASTER_KEY_FILE) and the ledger signing key "
    "(EJOURNAL_LEDGER_KEY_FILE) are backed up separately, offline"
)
_KEY_COLUMNS = ("key_id", "series", "wrapped", "created_at", "destroyed_at", "certificate_id")
_CHECKPOINT_COLUMNS = ("size", "root", "time", "key_id", "signature", "last_position")
_DISPOSED = (":Disposition.Executed", ":Disposition.Transferred")


class BackupError(Exception):
    """A backup or restore refused, with one clear message; nothing was written."""


@dataclass
class BackupSummary:
    """What ``backup`` wrote."""

    folder: Path
    events: int
    max_notification_id: int
    keys: int
    destroyed_keys: int
    checkpoints: int
    files: int
    seconds: float


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


def app_version() -> str:
    """The installed ejournal version."""
    try:
        return metadata.version("ejournal")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


# --- the database, read and written directly ------------------------------------------------
class _Tables:
    """Raw access to the event, keyring and checkpoint tables of either backend."""

    def __init__(self, settings: Settings) -> None:
        self.db = settings.database
        self.sqlite = self.db.backend == "sqlite"
        schema = self.db.schema or "public"
        if self.sqlite:
            self.events, self.event_id = "stored_events", "rowid"
            self._names = {t: t for t in ("ejournal_keyring", "ejournal_checkpoints")}
        else:
            self.events, self.event_id = f'"{schema}".ejournal_events', "notification_id"
            self._names = {
                t: f'"{schema}".{t}' for t in ("ejournal_keyring", "ejournal_checkpoints")
            }
        self.keyring = self._names["ejournal_keyring"]
        self.checkpoints = self._names["ejournal_checkpoints"]
        self.meta = self.keyring + "_meta" if self.sqlite else f'"{schema}".ejournal_keyring_meta'
        self.param = "?" if self.sqlite else "%s"

    def connect(self, *, read_only: bool) -> Any:
        """A connection; for reading, a consistent snapshot of the whole database."""
        if self.sqlite:
            if read_only:
                uri = Path(self.db.path).resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
                conn.execute("BEGIN")  # one read transaction: one snapshot (WAL)
                return conn
            conn = sqlite3.connect(self.db.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("BEGIN IMMEDIATE")
            return conn
        pg = psycopg.connect(self.db.conninfo())
        if read_only:
            pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            pg.read_only = True
        return pg

    def exists(self, conn: Any, table: str) -> bool:
        """Whether a table (named without schema) exists."""
        if self.sqlite:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
        else:
            found = conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = %s",
                (self.db.schema or "public", table),
            ).fetchone()
        return found is not None

    def count(self, conn: Any, table: str, qualified: str) -> int:
        """Rows in a table (0 when it does not exist)."""
        if not self.exists(conn, table):
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM {qualified}").fetchone()[0])

    def event_table(self) -> str:
        """The event table's bare name."""
        return "stored_events" if self.sqlite else "ejournal_events"


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(bytes(data)).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _canonical_id(value: Any) -> str:
    if isinstance(value, UUID):
        return str(value)
    try:
        return str(UUID(str(value)))
    except ValueError:
        return str(value)


# --- backup ---------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_folders(settings: Settings, target: Path) -> int:
    copied = 0
    for name, where in FOLDERS.items():
        source = where(settings)
        if not source.is_dir():
            continue
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            destination = target / "files" / name / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    return copied


def _ledger_key_id(settings: Settings) -> str | None:
    if not settings.ledger_key_file.exists():
        return None
    return key_id(load_or_create_signing_key(settings.ledger_key_file).public_key())


def backup(settings: Settings, target: Path) -> BackupSummary:
    """Write a backup of the configured school into ``target`` (new or empty)."""
    started = time.perf_counter()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: choose a new one")
    tables = _Tables(settings)
    if tables.sqlite and not Path(settings.database.path).exists():
        raise BackupError(f"no database at {settings.database.path}: nothing to back up")
    # Written beside the target and renamed at the end: a stopped backup leaves no folder
    # that looks complete.
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)  # wrapped keys and encrypted events
    try:
        manifest = _write_backup(settings, tables, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        target.rmdir()
    partial.rename(target)
    counts = manifest["counts"]
    return BackupSummary(
        target,
        counts["events"],
        manifest["max_notification_id"],
        counts["keys"],
        counts["destroyed_keys"],
        counts["checkpoints"],
        counts["files"],
        time.perf_counter() - started,
    )


def _write_backup(settings: Settings, tables: _Tables, target: Path) -> dict[str, Any]:
    # Files first, the database after: a file deleted by a destruction in between is then
    # named by a certificate in the snapshot, and restore deletes it again.
    files = _copy_folders(settings, target)
    conn = tables.connect(read_only=True)
    try:
        if not tables.exists(conn, tables.event_table()):
            raise BackupError(f"{settings.database_url} holds no journal: nothing to back up")
        events, max_id = _write_events(conn, tables, target / EVENTS)
        keys = _write_keyring(conn, tables, target / KEYRING)
        checkpoints = _write_checkpoints(conn, tables, target / CHECKPOINTS)
    finally:
        conn.rollback()
        conn.close()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "app_version": app_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "school": settings.school,
        "source_backend": settings.database.backend,
        "max_notification_id": max_id,
        "counts": {
            "events": events,
            "keys": len(keys),
            "destroyed_keys": sum(1 for k in keys if k["wrapped"] is None),
            "checkpoints": len(checkpoints),
            "files": files,
        },
        "ledger_key_id": _ledger_key_id(settings),
        "latest_checkpoint": checkpoints[-1] if checkpoints else None,
        "master_key": MASTER_KEY_NOTE,
        "files": {
            str(p.relative_to(target)): {"sha256": _sha256(p), "size": p.stat().st_size}
            for p in sorted(target.rglob("*"))
            if p.is_file()
        },
    }
    (target / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def _write_events(conn: Any, tables: _Tables, path: Path) -> tuple[int, int]:
    count, last = 0, 0
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT {tables.event_id}, originator_id, originator_version, topic, state "
        f"FROM {tables.events} ORDER BY {tables.event_id}"
    )
    with path.open("w", encoding="utf-8") as out:
        while rows := cursor.fetchmany(2000):
            for position, originator, version, topic, state in rows:
                record = {
                    "id": int(position),
                    "originator_id": _canonical_id(originator),
                    "version": int(version),
                    "topic": topic,
                    "state": _b64(state),
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count, last = count + 1, int(position)
    return count, last


def _write_keyring(conn: Any, tables: _Tables, path: Path) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {', '.join(_KEY_COLUMNS)} FROM {tables.keyring} ORDER BY series"
    ).fetchall()
    keys = [dict(zip(_KEY_COLUMNS, row, strict=True)) for row in rows]
    for key in keys:
        key["wrapped"] = _b64(key["wrapped"])
    check = conn.execute(
        f"SELECT value FROM {tables.meta} WHERE name = {tables.param}", ("check",)
    ).fetchone()
    path.parent.mkdir(parents=True, exist_ok=True)
    keyring = {"format": FORMAT, "check": _b64(check[0] if check else None), "keys": keys}
    path.write_text(json.dumps(keyring, indent=1) + "\n", encoding="utf-8")
    return keys


def _write_checkpoints(conn: Any, tables: _Tables, path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if tables.exists(conn, "ejournal_checkpoints"):
        rows = conn.execute(
            f"SELECT {', '.join(_CHECKPOINT_COLUMNS)} FROM {tables.checkpoints} ORDER BY size"
        ).fetchall()
        found = [dict(zip(_CHECKPOINT_COLUMNS, row, strict=True)) for row in rows]
    path.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    return found


# --- verification ---------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a backup, after checking the size and SHA-256 of every file and that
    no file was added; ``BackupError`` naming the first problem."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except OSError as error:
        raise BackupError(
            f"{folder} is not a backup: {MANIFEST} unreadable ({error.strerror})"
        ) from None
    except ValueError as error:
        raise BackupError(f"{folder / MANIFEST} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST}: not an {FORMAT} manifest")
    listed: dict[str, dict[str, Any]] = manifest["files"]
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    extra = sorted(present - set(listed) - {MANIFEST})
    if extra:
        raise BackupError(f"backup {folder}: {extra[0]} is not in the manifest (added later?)")
    for name, expected in sorted(listed.items()):
        path = folder / name
        if name not in present:
            raise BackupError(f"backup {folder}: {name} is missing")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(
                f"backup {folder}: {name} does not match its SHA-256 in the manifest "
                "(damaged or altered): nothing restored"
            )
    return manifest


def _events(folder: Path) -> Iterator[dict[str, Any]]:
    with (folder / EVENTS).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _certificates(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((folder / "files" / "certificates").glob("akt-*.json")):
        certificate = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(certificate, dict) and "items" in certificate:
            found.append(certificate)
    return found


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
    stored = _unb64(keyring["check"])
    if stored is None or not hmac.compare_digest(stored, check_value(master)):
        raise BackupError(
            f"the master key {path} does not fit the backed-up keyring (another school's "
            "or a newer key?): nothing restored"
        )


def _check_ledger_key(settings: Settings, manifest: dict[str, Any]) -> None:
    expected = manifest.get("ledger_key_id")
    if not manifest["counts"]["checkpoints"] or not expected:
        return
    found = _ledger_key_id(settings)
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


def _check_empty(settings: Settings, tables: _Tables, folder: Path) -> None:
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
    for event in _events(folder):
        key = str(key_id_of(_unb64(event["state"]) or b""))
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
        for certificate in _certificates(folder)
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
    _check_ledger_key(settings, manifest)
    tables = _Tables(settings)
    _check_empty(settings, tables, source)
    _check_keys_cover_events(source, keyring)
    shredded = _destroyed_by_certificates(source)

    # Every check passed: create the tables, then write everything in one transaction.
    open_system(settings).close()
    _insert(tables, source, keyring, shredded)
    files = _restore_files(settings, source)
    with open_system(settings) as system:
        again = _destroyed_in_log(system)
        for certificate_id, named in again.items():
            system.keyring.destroy_many(named, certificate_id)
            shredded.update({series: certificate_id for series in named})
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
    tables: _Tables, folder: Path, keyring: dict[str, Any], shredded: dict[str, str]
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
            for event in _events(folder):
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
                for event in _events(folder):
                    copy.write_row(_event_row(event, hex_ids=False))
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                f"GREATEST((SELECT MAX(notification_id) FROM {tables.events}), 1))",
                (tables.events,),
            )
        now = datetime.now(UTC).isoformat()
        for key in keyring["keys"]:
            wrapped, destroyed_at, certificate_id = (
                _unb64(key["wrapped"]),
                key["destroyed_at"],
                key["certificate_id"],
            )
            if key["series"] in shredded and wrapped is not None:
                wrapped, destroyed_at = None, now
                certificate_id = shredded[key["series"]]
            cursor.execute(
                f"INSERT INTO {tables.keyring} ({', '.join(_KEY_COLUMNS)}) "
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
        checkpoints = json.loads((folder / CHECKPOINTS).read_text(encoding="utf-8"))
        for checkpoint in checkpoints:
            cursor.execute(
                f"INSERT INTO {tables.checkpoints} ({', '.join(_CHECKPOINT_COLUMNS)}) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                tuple(checkpoint[c] for c in _CHECKPOINT_COLUMNS),
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
    return (event["id"], originator, event["version"], event["topic"], _unb64(event["state"]))


def _restore_files(settings: Settings, folder: Path) -> int:
    """Copy the archive files and certificates back, except files a certificate says were
    deleted with their series."""
    gone = {
        ("archive", str(Path(file["path"])))
        for certificate in _certificates(folder)
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


def _destroyed_in_log(system: System) -> dict[str, list[str]]:
    """certificate id → series, from every disposition executed or transferred in the log."""
    found: dict[str, list[str]] = {}
    recorder, mapper = system.journal.recorder, system.journal.mapper
    start = 1
    while notes := recorder.select_notifications(start=start, limit=2000):
        for note in notes:
            if note.topic.endswith(_DISPOSED):
                event = mapper.to_domain_event(note)
                certificate = getattr(event, "certificate", None)
                if isinstance(certificate, dict):
                    found[str(certificate["certificate_id"])] = [
                        item["series"] for item in certificate["items"]
                    ]
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
