"""The views' database connections (SQLite file or PostgreSQL schema) and the sealer that
encrypts personal data in view rows under each person's series key."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from psycopg import sql
from psycopg_pool import ConnectionPool

from ejournal.keyring import DestroyedKey, Keyring
from ejournal.mapper import HEADER, MAGIC, key_id_of
from ejournal.settings import DatabaseURL
from ejournal.sqlitedb import connect, write_transaction
from projections.schema import Table


class SQLiteViewDatabase:
    """Views in the SQLite file beside the events: one writer connection, one reader per
    thread (WAL lets readers run while the writer writes)."""

    dialect = "sqlite"
    param = "?"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer = self._connect()
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def transaction(self) -> AbstractContextManager[sqlite3.Cursor]:
        return write_transaction(self._writer, self._write_lock)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        cur = conn.cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        finally:
            conn.rollback()

    def bulk_load(self, cursor: Any, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        names = table.column_names
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            rows,
        )

    def close(self) -> None:
        self._writer.close()


class PostgresViewDatabase:
    """Views in the school's PostgreSQL schema."""

    dialect = "postgres"
    param = "%s"

    def __init__(self, db: DatabaseURL, max_size: int = 8) -> None:
        schema = db.schema or "public"
        self.schema = schema

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        self.pool = ConnectionPool(
            db.conninfo(), min_size=1, max_size=max_size, configure=configure, open=True, timeout=30
        )

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    @contextmanager
    def read(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn:
            conn.read_only = True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            finally:
                conn.read_only = False

    def bulk_load(self, cursor: Any, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), columns)
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        self.pool.close()


class KeyringSealer:
    """Seals view values with the data key of a series (the same format as events)."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, series: str, data: bytes, context: bytes) -> bytes:
        key = self.keyring.key_for_series(series)
        nonce = os.urandom(12)
        return MAGIC + key.key_id.bytes + nonce + key.aead.encrypt(nonce, data, b"view/" + context)

    def open(self, blob: bytes, context: bytes) -> bytes | None:
        key = self.keyring.key_by_id(key_id_of(blob))
        if isinstance(key, DestroyedKey):
            return None
        try:
            return key.aead.decrypt(
                blob[len(MAGIC) + 16 : HEADER], blob[HEADER:], b"view/" + context
            )
        except InvalidTag:
            raise ValueError("sealed view value failed authentication") from None


def view_database(db: DatabaseURL) -> SQLiteViewDatabase | PostgresViewDatabase:
    """The views' database for the configured backend."""
    if db.backend == "sqlite":
        return SQLiteViewDatabase(db.path)
    return PostgresViewDatabase(db)
