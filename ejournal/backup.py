"""Backup of one school: the stored (still encrypted) events, the keyring on its own, the
ledger's checkpoints, the archive files and destruction certificates, and a manifest with
the SHA-256 of every file (``ejournal.restore`` brings it back).

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

The events, keyring and checkpoints come from one read transaction (SQLite: one snapshot
of the WAL database; PostgreSQL: REPEATABLE READ), so they are consistent with each other.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from ejournal.keyring import SCHOOL_KEK
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
KEY_COLUMNS = ("key_id", "series", "wrapped", "created_at", "destroyed_at", "certificate_id")
CHECKPOINT_COLUMNS = ("size", "root", "time", "key_id", "signature", "last_position")


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


def app_version() -> str:
    """The installed ejournal version."""
    try:
        return metadata.version("ejournal")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


# --- the database, read and written directly ------------------------------------------------
class Tables:
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


def unb64(text: str | None) -> bytes | None:
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


def ledger_key_id(settings: Settings) -> str | None:
    if not settings.ledger_key_file.exists():
        return None
    return key_id(load_or_create_signing_key(settings.ledger_key_file).public_key())


def backup(settings: Settings, target: Path) -> BackupSummary:
    """Write a backup of the configured school into ``target`` (new or empty)."""
    started = time.perf_counter()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: choose a new one")
    tables = Tables(settings)
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


def _write_backup(settings: Settings, tables: Tables, target: Path) -> dict[str, Any]:
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
        "ledger_key_id": ledger_key_id(settings),
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


def _write_events(conn: Any, tables: Tables, path: Path) -> tuple[int, int]:
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


def _write_keyring(conn: Any, tables: Tables, path: Path) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {', '.join(KEY_COLUMNS)} FROM {tables.keyring} ORDER BY series"
    ).fetchall()
    keys = [dict(zip(KEY_COLUMNS, row, strict=True)) for row in rows]
    for key in keys:
        key["wrapped"] = _b64(key["wrapped"])
    check = conn.execute(
        f"SELECT value FROM {tables.meta} WHERE name = {tables.param}", ("check",)
    ).fetchone()
    kek = conn.execute(
        f"SELECT value FROM {tables.meta} WHERE name = {tables.param}", (SCHOOL_KEK,)
    ).fetchone()
    path.parent.mkdir(parents=True, exist_ok=True)
    keyring = {"format": FORMAT, "check": _b64(check[0] if check else None), "keys": keys}
    if kek:  # a regional school's KEK, wrapped by the master key (ADR 0027)
        keyring["school_kek"] = _b64(kek[0])
    path.write_text(json.dumps(keyring, indent=1) + "\n", encoding="utf-8")
    return keys


def _write_checkpoints(conn: Any, tables: Tables, path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if tables.exists(conn, "ejournal_checkpoints"):
        rows = conn.execute(
            f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM {tables.checkpoints} ORDER BY size"
        ).fetchall()
        found = [dict(zip(CHECKPOINT_COLUMNS, row, strict=True)) for row in rows]
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


def stored_events(folder: Path) -> Iterator[dict[str, Any]]:
    with (folder / EVENTS).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def certificates(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((folder / "files" / "certificates").glob("akt-*.json")):
        certificate = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(certificate, dict) and "items" in certificate:
            found.append(certificate)
    return found
