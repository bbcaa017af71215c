"""Tables of the keyring on SQLite and PostgreSQL, kept apart from the events.

``ejournal_keyring`` holds one data key per record series, wrapped by the master key;
destroying a key clears the wrapped bytes and records when and under which certificate.
``ejournal_keyring_meta`` holds the master key's check value, the destruction epoch and the
mark of a demo school (``DEMO_SEEDED``).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from ejournal.pools import SharedPool
from ejournal.settings import DatabaseURL
from ejournal.sqlitedb import connect, write_transaction


@dataclass(frozen=True)
class KeyRow:
    """One row of the keyring."""

    key_id: str
    series: str
    wrapped: bytes | None
    created_at: str
    destroyed_at: str | None
    certificate_id: str | None


class KeyStore(Protocol):
    """Persistence of the keyring (one implementation per backend)."""

    def insert(self, key_id: str, series: str, wrapped: bytes, created_at: datetime) -> None: ...
    def by_series(self, series: str) -> KeyRow | None: ...
    def by_id(self, key_id: str) -> KeyRow | None: ...
    def destroy(self, key_id: str, at: datetime, certificate_id: str) -> None: ...
    def destroy_series(
        self, series: Sequence[str], at: datetime, certificate_id: str
    ) -> list[str]: ...
    def epoch(self) -> bytes | None: ...
    def rows(self) -> list[KeyRow]: ...
    def count(self) -> int: ...
    def meta(self, name: str) -> bytes | None: ...
    def set_meta(self, name: str, value: bytes) -> None: ...
    def close(self) -> None: ...


_COLUMNS = "key_id, series, wrapped, created_at, destroyed_at, certificate_id"
#: Changed whenever a key is destroyed: other processes drop their cached keys on seeing it.
EPOCH = "destroy-epoch"
#: Set by ``ejournal demo`` once it has seeded the demo school: only then does the start page
#: list the demo logins (a stray demo-logins file elsewhere shows nothing).
DEMO_SEEDED = "demo-seeded"


def _row(values: Any) -> KeyRow | None:
    if values is None:
        return None
    key_id, series, wrapped, created, destroyed, certificate = values
    return KeyRow(
        str(key_id),
        series,
        bytes(wrapped) if wrapped is not None else None,
        str(created),
        str(destroyed) if destroyed else None,
        certificate,
    )


class SQLiteKeyStore:
    """The keyring in the SQLite database file, beside the events."""

    def __init__(self, path: str) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._tx() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS ejournal_keyring (key_id TEXT PRIMARY KEY, "
                "series TEXT NOT NULL UNIQUE, wrapped BLOB, created_at TEXT NOT NULL, "
                "destroyed_at TEXT, certificate_id TEXT)"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS ejournal_keyring_meta "
                "(name TEXT PRIMARY KEY, value BLOB NOT NULL)"
            )

    def _tx(self) -> AbstractContextManager[sqlite3.Cursor]:
        return write_transaction(self._conn, self._lock)

    def _one(self, query: str, *args: object) -> Any:
        with self._lock:
            return self._conn.execute(query, args).fetchone()

    def insert(self, key_id: str, series: str, wrapped: bytes, created_at: datetime) -> None:
        with self._tx() as c:
            c.execute(
                f"INSERT INTO ejournal_keyring ({_COLUMNS}) VALUES (?, ?, ?, ?, NULL, NULL) "
                "ON CONFLICT(series) DO NOTHING",
                (key_id, series, wrapped, created_at.isoformat()),
            )

    def by_series(self, series: str) -> KeyRow | None:
        return _row(self._one(f"SELECT {_COLUMNS} FROM ejournal_keyring WHERE series = ?", series))

    def by_id(self, key_id: str) -> KeyRow | None:
        return _row(self._one(f"SELECT {_COLUMNS} FROM ejournal_keyring WHERE key_id = ?", key_id))

    def destroy(self, key_id: str, at: datetime, certificate_id: str) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE ejournal_keyring SET wrapped = NULL, destroyed_at = ?, "
                "certificate_id = ? WHERE key_id = ?",
                (at.isoformat(), certificate_id, key_id),
            )
            c.execute(
                "INSERT INTO ejournal_keyring_meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (EPOCH, secrets.token_bytes(16)),
            )

    def destroy_series(self, series: Sequence[str], at: datetime, certificate_id: str) -> list[str]:
        """Destroy the live keys of many series in one transaction; return their series."""
        found: list[str] = []
        with self._tx() as c:
            for start in range(0, len(series), 500):
                chunk = list(series[start : start + 500])
                marks = ", ".join("?" * len(chunk))
                live = "wrapped IS NOT NULL AND series IN (" + marks + ")"
                c.execute("SELECT series FROM ejournal_keyring WHERE " + live, chunk)
                found += [row[0] for row in c.fetchall()]
                c.execute(
                    "UPDATE ejournal_keyring SET wrapped = NULL, destroyed_at = ?, "
                    "certificate_id = ? WHERE " + live,
                    (at.isoformat(), certificate_id, *chunk),
                )
            if found:
                c.execute(
                    "INSERT INTO ejournal_keyring_meta (name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (EPOCH, secrets.token_bytes(16)),
                )
        return found

    def epoch(self) -> bytes | None:
        return self.meta(EPOCH)

    def rows(self) -> list[KeyRow]:
        with self._lock:
            found = self._conn.execute(
                f"SELECT {_COLUMNS} FROM ejournal_keyring ORDER BY series"
            ).fetchall()
        return [r for r in map(_row, found) if r is not None]

    def count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM ejournal_keyring")[0])

    def meta(self, name: str) -> bytes | None:
        row = self._one("SELECT value FROM ejournal_keyring_meta WHERE name = ?", name)
        return bytes(row[0]) if row else None

    def set_meta(self, name: str, value: bytes) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO ejournal_keyring_meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO NOTHING",
                (name, value),
            )

    def close(self) -> None:
        self._conn.close()


def _fetched(cur: psycopg.Cursor[Any], fetch: str) -> Any:
    """The row (``one``), the rows (``all``) or nothing a statement gave."""
    if fetch == "one":
        return cur.fetchone()
    if fetch == "all":
        return cur.fetchall()
    return None


class PostgresKeyStore:
    """The keyring in PostgreSQL, in the school's schema beside the events."""

    def __init__(self, db: DatabaseURL, pool: SharedPool | None = None) -> None:
        self._conninfo = db.conninfo()
        self._schema = sql.Identifier(db.schema or "public")
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        #: A school of a region takes a connection of its cluster's event-store pool for
        #: each statement (ADR 0030) instead of keeping one of its own.
        self._pool = pool
        self._execute(
            "CREATE TABLE IF NOT EXISTS {s}.ejournal_keyring (key_id TEXT PRIMARY KEY, "
            "series TEXT NOT NULL UNIQUE, wrapped BYTEA, created_at TEXT NOT NULL, "
            "destroyed_at TEXT, certificate_id TEXT)"
        )
        self._execute(
            "CREATE TABLE IF NOT EXISTS {s}.ejournal_keyring_meta "
            "(name TEXT PRIMARY KEY, value BYTEA NOT NULL)"
        )

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._conninfo, autocommit=True)
        return self._conn

    def _execute(self, query: str, *args: object, fetch: str = "") -> Any:
        statement = sql.SQL(query).format(s=self._schema)
        if self._pool is not None and not query.startswith("VACUUM"):
            # The pool checks the connection when taken; the block commits.
            with self._pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
                cur.execute(statement, args)
                return _fetched(cur, fetch)
        with self._lock:
            for attempt in (1, 2):  # one reconnect after a dropped connection
                try:
                    with self._connection().cursor() as cur:
                        cur.execute(statement, args)
                        return _fetched(cur, fetch)
                except psycopg.OperationalError:
                    self._conn = None
                    if attempt == 2:
                        raise
        return None  # pragma: no cover

    def insert(self, key_id: str, series: str, wrapped: bytes, created_at: datetime) -> None:
        self._execute(
            f"INSERT INTO {{s}}.ejournal_keyring ({_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, NULL, NULL) ON CONFLICT (series) DO NOTHING",
            key_id,
            series,
            wrapped,
            created_at.isoformat(),
        )

    def by_series(self, series: str) -> KeyRow | None:
        return _row(
            self._execute(
                f"SELECT {_COLUMNS} FROM {{s}}.ejournal_keyring WHERE series = %s",
                series,
                fetch="one",
            )
        )

    def by_id(self, key_id: str) -> KeyRow | None:
        return _row(
            self._execute(
                f"SELECT {_COLUMNS} FROM {{s}}.ejournal_keyring WHERE key_id = %s",
                key_id,
                fetch="one",
            )
        )

    def destroy(self, key_id: str, at: datetime, certificate_id: str) -> None:
        self._execute(
            "WITH shred AS (UPDATE {s}.ejournal_keyring SET wrapped = NULL, destroyed_at = %s, "
            "certificate_id = %s WHERE key_id = %s RETURNING 1) "
            "INSERT INTO {s}.ejournal_keyring_meta (name, value) "
            "SELECT %s, %s FROM shred ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            at.isoformat(),
            certificate_id,
            key_id,
            EPOCH,
            secrets.token_bytes(16),
        )

    def destroy_series(self, series: Sequence[str], at: datetime, certificate_id: str) -> list[str]:
        """Destroy the live keys of many series in one statement; return their series."""
        rows = self._execute(
            "WITH shred AS (UPDATE {s}.ejournal_keyring SET wrapped = NULL, destroyed_at = %s, "
            "certificate_id = %s WHERE series = ANY(%s) AND wrapped IS NOT NULL "
            "RETURNING series), bump AS (INSERT INTO {s}.ejournal_keyring_meta (name, value) "
            "SELECT %s, %s WHERE EXISTS (SELECT 1 FROM shred) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value) SELECT series FROM shred",
            at.isoformat(),
            certificate_id,
            list(series),
            EPOCH,
            secrets.token_bytes(16),
            fetch="all",
        )
        return [row[0] for row in rows]

    def epoch(self) -> bytes | None:
        return self.meta(EPOCH)

    def vacuum(self) -> None:
        """Reclaim the space of erased keys (VACUUM cannot run inside a transaction)."""
        self._execute("VACUUM {s}.ejournal_keyring")

    def rows(self) -> list[KeyRow]:
        found = self._execute(
            f"SELECT {_COLUMNS} FROM {{s}}.ejournal_keyring ORDER BY series", fetch="all"
        )
        return [r for r in map(_row, found) if r is not None]

    def count(self) -> int:
        return int(self._execute("SELECT COUNT(*) FROM {s}.ejournal_keyring", fetch="one")[0])

    def meta(self, name: str) -> bytes | None:
        row = self._execute(
            "SELECT value FROM {s}.ejournal_keyring_meta WHERE name = %s", name, fetch="one"
        )
        return bytes(row[0]) if row else None

    def set_meta(self, name: str, value: bytes) -> None:
        self._execute(
            "INSERT INTO {s}.ejournal_keyring_meta (name, value) VALUES (%s, %s) "
            "ON CONFLICT (name) DO NOTHING",
            name,
            value,
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._pool is not None:
            self._pool.close()
