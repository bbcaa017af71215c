"""The views' database connections (SQLite file or PostgreSQL schema) and the sealer that
encrypts personal data in view rows under each person's series key."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
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
from projections.sqlstore import batches


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
    def read(self, *, own: bool = False) -> Iterator[sqlite3.Cursor]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        cur = conn.cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        finally:
            conn.rollback()

    def pinned(self) -> AbstractContextManager[None]:
        """Nothing to pin: reads use this thread's own connection already (and a read
        transaction held longer would keep an old snapshot of the file)."""
        return nullcontext()

    def bulk_load(self, cursor: Any, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        names = table.column_names
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            rows,
        )

    @contextmanager
    def stream(
        self, cursor: Any, name: str, query: str, size: int
    ) -> Iterator[Iterator[list[Any]]]:
        rows = cursor.connection.cursor()
        try:
            rows.execute(query)
            yield batches(rows, size)
        finally:
            rows.close()

    def close(self) -> None:
        self._writer.close()


class PostgresViewDatabase:
    """Views in the school's PostgreSQL schema."""

    dialect = "postgres"
    param = "%s"

    def __init__(self, db: DatabaseURL, max_size: int = 16) -> None:
        schema = db.schema or "public"
        self.schema = schema
        #: Set the schema again at the start of every transaction (``SET LOCAL``): behind a
        #: transaction-pooling PgBouncer consecutive transactions of one connection of ours
        #: may run on different server connections, whose session ``search_path`` another
        #: school's pool set (ADR 0027). Every school of a regional deployment does this.
        self._path_each_transaction = db.path_per_transaction

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        self.pool = ConnectionPool(
            db.conninfo(),
            min_size=1,
            max_size=max_size,
            configure=configure,
            # A connection broken since it was last used (PostgreSQL restarted) is replaced
            # at checkout instead of failing the request that takes it.
            check=ConnectionPool.check_connection,
            open=True,
            timeout=30,
        )
        self._pin = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if self._path_each_transaction:
                self._set_path(cur)
            yield cur

    def _set_path(self, cur: psycopg.Cursor[Any]) -> None:
        # A SET takes no snapshot: a SET TRANSACTION ISOLATION LEVEL may still follow it.
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema)))

    @contextmanager
    def read(self, *, own: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        stack: ExitStack | None = None if own else getattr(self._pin, "stack", None)
        if stack is not None:  # inside ``pinned()``: the thread's one read transaction
            conn = getattr(self._pin, "conn", None)
            if conn is None:
                conn = self._pin.conn = stack.enter_context(self._read_transaction())
            with conn.cursor() as cur:
                yield cur
            return
        with self._read_transaction() as conn, conn.cursor() as cur:
            yield cur

    @contextmanager
    def _read_transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self.pool.connection() as conn:
            conn.read_only = True
            try:
                with conn.transaction():
                    if self._path_each_transaction:
                        with conn.cursor() as cur:
                            self._set_path(cur)
                    yield conn
            finally:
                if not conn.broken:  # a lost connection is discarded by the pool
                    conn.read_only = False

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Let every read of this thread until the end share one connection and one
        read-only transaction (READ COMMITTED: each statement still sees the latest
        commits), opened at the first read — a web page makes a dozen reads, and each
        would otherwise cost a pool checkout and a BEGIN and a COMMIT."""
        if getattr(self._pin, "stack", None) is not None:
            yield
            return
        with ExitStack() as stack:
            self._pin.stack = stack
            try:
                yield
            finally:
                self._pin.stack = None
                self._pin.conn = None

    def bulk_load(self, cursor: Any, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), columns)
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def stream(
        self, cursor: Any, name: str, query: str, size: int
    ) -> Iterator[Iterator[list[Any]]]:
        with cursor.connection.cursor(name, binary=True) as rows:
            rows.execute(query)
            yield batches(rows, size)

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


def view_database(
    db: DatabaseURL, pool_size: int = 16
) -> SQLiteViewDatabase | PostgresViewDatabase:
    """The views' database for the configured backend (on PostgreSQL a pool of at most
    ``pool_size`` connections: a web request holds one while it runs)."""
    if db.backend == "sqlite":
        return SQLiteViewDatabase(db.path)
    return PostgresViewDatabase(db, max_size=pool_size)
