"""The views' database connections (SQLite file or PostgreSQL schema) and the sealer that
encrypts personal data in view rows under each person's series key."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from ejournal.keyring import DestroyedKey, Keyring
from ejournal.mapper import HEADER, MAGIC, key_id_of
from ejournal.pools import SharedPool, check_alive, views_pool
from ejournal.settings import DatabaseURL
from ejournal.sqlitedb import connect, write_transaction
from projections.schema import Table
from projections.sqlstore import StandbyLag, batches

log = logging.getLogger(__name__)

#: After the standby failed to answer, the pages read from the primary this long without
#: trying it again (a standby that is down must not slow every diary down).
DOWN_SECONDS = 10


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
    def read(self, *, own: bool = False, replica: bool = False) -> Iterator[sqlite3.Cursor]:
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

    def waiting_for_locks(self, seconds: float) -> AbstractContextManager[None]:
        """Nothing to limit: one writer, in this process (no regional worker on SQLite)."""
        return nullcontext()

    has_standby = False

    def route_reads(self, after: str | None) -> None:
        """No standby for a SQLite file: every read is local."""

    def reads_from_standby(self) -> bool:
        return False

    def write_position(self) -> str:
        return "0/0"

    def standby_lag(self) -> None:
        return None

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
    """Views in the school's PostgreSQL schema — on the primary, and, when a hot standby is
    configured (``EJOURNAL_READ_DATABASE_URL``, ADR 0028), the reads of the pages routed
    there (``route_reads``) once it has replayed the reader's own last write."""

    dialect = "postgres"
    param = "%s"

    def __init__(
        self,
        db: DatabaseURL,
        max_size: int = 16,
        standby: DatabaseURL | None = None,
        standby_wait: float = 0.2,
    ) -> None:
        schema = db.schema or "public"
        self.schema = schema
        #: Set the schema again at the start of every transaction (``SET LOCAL``): behind a
        #: transaction-pooling PgBouncer consecutive transactions of one connection of ours
        #: may run on different server connections, whose session ``search_path`` another
        #: school's pool set (ADR 0027). Every school of a regional deployment does this.
        self._path_each_transaction = db.path_per_transaction or db.shared_pools
        #: A school of a region takes its connections from its cluster's pool, shared by
        #: the schools this process serves (ADR 0030); one school has a pool of its own.
        self.pool: ConnectionPool[Any] | SharedPool = (
            views_pool(db.conninfo(), max_size) if db.shared_pools else _pool(db, schema, max_size)
        )
        self.standby: ConnectionPool[Any] | SharedPool | None = None
        if standby is not None:
            self.standby = (
                views_pool(standby.conninfo(), max_size, standby=True)
                if db.shared_pools
                else _pool(standby, schema, max_size, at_least_one=False)
            )
        self.standby_wait = standby_wait
        self._pin = threading.local()
        self._standby_down_until = 0.0

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            settings = []
            if self._path_each_transaction:
                settings.append(self._path)
            limit = getattr(self._pin, "lock_ms", None)
            if limit is not None:
                settings.append(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(limit)))
            if settings:  # one round trip (no parameters: psycopg sends both as one query)
                cur.execute(sql.SQL("; ").join(settings))
            yield cur

    @contextmanager
    def waiting_for_locks(self, seconds: float) -> Iterator[None]:
        """Within the block this thread's write transactions wait ``seconds`` at most for
        a lock (``SET LOCAL lock_timeout``), then fail with ``LockNotAvailable``."""
        before = getattr(self._pin, "lock_ms", None)
        self._pin.lock_ms = max(1, round(seconds * 1000))
        try:
            yield
        finally:
            self._pin.lock_ms = before

    @property
    def _path(self) -> sql.Composed:
        return sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema))

    def _set_path(self, cur: psycopg.Cursor[Any]) -> None:
        # A SET takes no snapshot: a SET TRANSACTION ISOLATION LEVEL may still follow it.
        cur.execute(self._path)

    @contextmanager
    def read(self, *, own: bool = False, replica: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        stack: ExitStack | None = None if own else getattr(self._pin, "stack", None)
        if stack is not None:  # inside ``pinned()``: the thread's one read transaction
            on_standby = replica and self._standby_chosen()
            slot = "standby_conn" if on_standby else "conn"
            conn = getattr(self._pin, slot, None)
            if conn is None:
                pool = self.standby if on_standby else self.pool
                assert pool is not None
                conn = stack.enter_context(self._read_transaction(pool))
                setattr(self._pin, slot, conn)
            with conn.cursor() as cur:
                yield cur
            return
        with self._read_transaction(self.pool) as conn, conn.cursor() as cur:
            yield cur

    @contextmanager
    def _read_transaction(
        self, pool: ConnectionPool[Any] | SharedPool
    ) -> Iterator[psycopg.Connection[Any]]:
        with pool.connection() as conn:
            conn.read_only = True
            try:
                with conn.transaction():
                    if self._path_each_transaction:
                        with conn.cursor() as cur:
                            self._set_path(cur)
                    yield conn
            finally:
                if not conn.broken:  # a lost connection is discarded by the pool
                    # The driver's default (a plain BEGIN): False would send BEGIN READ
                    # WRITE, which a standby refuses.
                    conn.read_only = None

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Let every read of this thread until the end share one connection and one
        read-only transaction (READ COMMITTED: each statement still sees the latest
        commits), opened at the first read — a web page makes a dozen reads, and each
        would otherwise cost a pool checkout and a BEGIN and a COMMIT. Reads routed to the
        standby (``route_reads``) share a second one there."""
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
                self._pin.standby_conn = None
                self._pin.route = None
                self._pin.chosen = None

    # --- the standby (ADR 0028) -------------------------------------------------------------
    @property
    def has_standby(self) -> bool:
        """Whether a hot standby is configured."""
        return self.standby is not None

    def route_reads(self, after: str | None) -> None:
        """Within the current ``pinned`` block, serve the reads that may come from the
        standby (``read(replica=True)``) there once it has replayed the WAL position
        ``after`` (the reader's own last write; None: no write to wait for), else from the
        primary. Decided at the first such read; nothing without a standby or a pin."""
        if self.standby is None or getattr(self._pin, "stack", None) is None:
            return
        self._pin.route = after or "0/0"
        self._pin.chosen = None

    def reads_from_standby(self) -> bool:
        """Whether this thread's routed reads are served by the standby (deciding now)."""
        return self._standby_chosen()

    def _standby_chosen(self) -> bool:
        route = getattr(self._pin, "route", None)
        if route is None or self.standby is None:
            return False
        chosen = getattr(self._pin, "chosen", None)
        if chosen is None:
            chosen = self._pin.chosen = self._standby_has(route)
        return bool(chosen)

    def _standby_has(self, lsn: str) -> bool:
        """Whether the standby has replayed ``lsn``, waiting up to ``standby_wait`` seconds
        for it; False at once when it is no standby (promoted), and for ``DOWN_SECONDS``
        after it did not answer (the pages then read from the primary without waiting)."""
        assert self.standby is not None
        if time.monotonic() < self._standby_down_until:
            return False
        deadline = time.monotonic() + self.standby_wait
        delay = 0.005
        try:
            with self.standby.connection(timeout=self.standby_wait + 0.5) as conn:
                while True:
                    row = conn.execute(
                        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)
                    ).fetchone()
                    conn.rollback()
                    if row is None or row[0] is None:
                        return False  # not in recovery: no standby any more
                    if row[0]:
                        return True
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(delay)
                    delay = min(delay * 2, 0.04)
        except (psycopg.Error, PoolTimeout) as error:
            self._standby_down_until = time.monotonic() + DOWN_SECONDS
            log.warning(
                "the standby does not answer (%s): reading from the primary for %d s",
                type(error).__name__,
                DOWN_SECONDS,
            )
            return False

    def write_position(self) -> str:
        """The primary's current WAL position: a reader who has just written waits for the
        standby to replay at least this far (read-your-writes)."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
            conn.rollback()
        assert row is not None
        return str(row[0])

    def standby_lag(self) -> StandbyLag | None:
        """How far the standby is behind the primary (``/healthz``); None without one."""
        if self.standby is None:
            return None
        try:
            with self.pool.connection() as conn:
                head = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
                conn.rollback()
            with self.standby.connection(timeout=2) as conn:
                row = conn.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                    "COALESCE(pg_is_in_recovery() AND pg_is_wal_replay_paused(), false), "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
                ).fetchone()
                if row is not None and row[0] and head is not None:
                    behind = conn.execute(
                        "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())",
                        (head[0],),
                    ).fetchone()
                else:
                    behind = None
                conn.rollback()
        except (psycopg.Error, PoolTimeout) as error:
            return StandbyLag(reachable=False, problem=type(error).__name__)
        if row is None or not row[0]:
            return StandbyLag(reachable=True, problem="not in recovery (promoted?)")
        lag_bytes = max(0, int(behind[0])) if behind and behind[0] is not None else 0
        return StandbyLag(
            reachable=True,
            lag_bytes=lag_bytes,
            # The time since the last replayed commit says how stale the standby is only
            # while it is behind: an idle primary sends nothing new to replay.
            lag_seconds=round(float(row[3]), 3) if lag_bytes and row[3] is not None else 0.0,
            replay_paused=bool(row[2]),
        )

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
        if self.standby is not None:
            self.standby.close()


def _pool(
    db: DatabaseURL, schema: str, max_size: int, *, at_least_one: bool = True
) -> ConnectionPool:
    """A pool of connections to ``db`` with the school's schema on the search path."""

    def configure(conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.commit()

    return ConnectionPool(
        db.conninfo(),
        # The standby's pool opens no connection at start: a standby that is down must not
        # stop the product, whose reads then go to the primary.
        min_size=1 if at_least_one else 0,
        max_size=max_size,
        configure=configure,
        # A connection broken since it was last used (PostgreSQL restarted, or another
        # server took over) is replaced at checkout instead of failing the request.
        check=check_alive,
        open=True,
        timeout=30,
    )


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
    db: DatabaseURL,
    pool_size: int = 16,
    standby: DatabaseURL | None = None,
    standby_wait: float = 0.2,
) -> SQLiteViewDatabase | PostgresViewDatabase:
    """The views' database for the configured backend (on PostgreSQL a pool of at most
    ``pool_size`` connections: a web request holds one while it runs; and as many to the
    hot ``standby`` when one is configured)."""
    if db.backend == "sqlite":
        return SQLiteViewDatabase(db.path)
    return PostgresViewDatabase(db, max_size=pool_size, standby=standby, standby_wait=standby_wait)
