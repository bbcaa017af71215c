"""Connections shared by the schools of a cluster within one process (ADR 0030).

A regional deployment serves every school of a cluster from one process (``serve``, the
worker). Each school used to keep its own pools — an event store pool, a views pool and a
keyring connection — so the connections of a process grew with its schools (17–19 a school
with two server processes and a worker). Here one process keeps, per cluster (per connection
string, whatever the schema), one pool for the event stores and one for the views, and every
school of that cluster takes its connections from them:

- the event store names every table with the school's schema (eventsourcing's recorders do),
  and ``SchoolRecorder`` inserts without the library's per-schema composite type, whose
  Python class psycopg shares between schemas (``_make_nt`` is cached by name), so that a
  connection used by school A inserts school B's events into B's table;
- the views set the school's ``search_path`` with ``SET LOCAL`` in every transaction
  (``PostgresViewDatabase``); a connection of the shared pool starts each session with an
  empty ``search_path``, so a query that forgot it fails instead of reading another
  school's rows;
- the keyring takes a connection of the event stores' pool for each statement (never
  while holding one: no wait on itself).

``Pools.take`` hands out a ``SharedPool`` — the pool as the library and the views use it,
whose ``close()`` releases this school's hold; the pool closes with its last school.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import ConnectionPool as LibraryPool
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.access_log import AccessEntry
from ejournal.settings import DatabaseURL

#: The channel every school's inserts notify, with the school's schema as the payload
#: (one LISTEN connection per cluster wakes the right school's worker, ``ejournal.worker``).
CHANNEL = "ejournal_events"
#: Appended to the payload when every event of the transaction is an access-log entry: the
#: worker may take such events up unhurried (``ejournal.worker.QUIET_SECONDS``), as nobody
#: waits to read an entry back — a page writes one on every view of pupils' data, and
#: taken one at a time they cost the worker a batch each (issue 19, ADR 0034).
QUIET = " quiet"
QUIET_TOPICS = frozenset({get_topic(AccessEntry.Recorded)})


def split_payload(payload: str) -> tuple[str, bool]:
    """(the school's schema, whether the notification is quiet) of a payload."""
    if payload.endswith(QUIET):
        return payload[: -len(QUIET)], True
    return payload, False


#: How long a school waiting for a connection of a full pool waits before it looks again
#: for one idle with another school (``Affinity``).
STEAL_AFTER = 0.05


class Affinity:
    """Idle connections of a shared pool kept by the school that used them last.

    A school's statements name its tables without a schema (the transaction's ``SET LOCAL
    search_path``), and psycopg prepares a statement run often on a connection; PostgreSQL
    plans a prepared statement again whenever the connection's ``search_path`` differs from
    the one it was planned under — measured: three times the server's CPU for a small read
    transaction when a connection alternates between schools (issue 19). So a school gets
    back, when it can, a connection it used last (``keep`` per school: two, as a page holds
    its read transaction while it writes); a school that finds none and the pool empty
    takes one idle with another school rather than wait, and a connection is kept only
    while nobody waits for the pool."""

    def __init__(self, pool: ConnectionPool[Any], keep: int = 2) -> None:
        self.pool, self.keep = pool, keep
        self._lock = threading.Lock()
        self._kept: dict[int, list[Any]] = {}

    @contextmanager
    def connection(self, owner: int, timeout: float | None = None) -> Iterator[Any]:
        """A connection for ``owner`` (a school's hold) for the length of the block."""
        conn = self._take(owner, self.pool.timeout if timeout is None else timeout)
        try:
            with conn:  # commit, or roll back on an error (the pool's own behaviour)
                yield conn
        finally:
            self._give_back(owner, conn)

    def _take(self, owner: int, timeout: float) -> Any:
        with self._lock:
            mine = self._kept.get(owner)
            conn = mine.pop() if mine else None
        if conn is not None and self._usable(conn):
            return conn
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            stats = self.pool.get_stats()
            if (
                stats.get("pool_available", 0) == 0
                and stats.get("pool_size", 0) >= self.pool.max_size
            ):
                stolen = self._steal()  # none idle in the pool and it may not grow
                if stolen is not None:
                    return stolen
            try:
                return self.pool.getconn(timeout=max(0.001, min(STEAL_AFTER, left)))
            except PoolTimeout:
                stolen = self._steal()
                if stolen is not None:
                    return stolen
                if left <= STEAL_AFTER:
                    raise

    def _steal(self) -> Any:
        while True:
            with self._lock:
                others = [k for k in self._kept.values() if k]
                conn = max(others, key=len).pop() if others else None
            if conn is None or self._usable(conn):
                return conn

    def _usable(self, conn: Any) -> bool:
        """Whether a kept connection may be used (a dead one goes back: the pool drops it)."""
        try:
            check_alive(conn)
        except psycopg.Error:
            self.pool.putconn(conn)
            return False
        return True

    def _give_back(self, owner: int, conn: Any) -> None:
        idle = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
        if idle and not self.pool.get_stats().get("requests_waiting", 0):
            with self._lock:
                mine = self._kept.setdefault(owner, [])
                if len(mine) < self.keep:
                    mine.append(conn)
                    return
        self.pool.putconn(conn)

    def forget(self, owner: int) -> None:
        """Give ``owner``'s kept connections back to the pool."""
        with self._lock:
            kept = self._kept.pop(owner, [])
        for conn in kept:
            self.pool.putconn(conn)


class SharedPool:
    """One school's hold on a pool shared by the schools of its cluster: the pool's own
    methods, except that ``open`` does nothing (the pool is open), ``connection`` prefers
    a connection this school used last when the pool keeps them (``Affinity``), and
    ``close`` releases the hold (the last one closes the pool)."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        release: Callable[[], None],
        affinity: Affinity | None = None,
    ) -> None:
        self._pool = pool
        self._release: Callable[[], None] | None = release
        self._affinity = affinity

    @property
    def shared(self) -> ConnectionPool[Any]:
        """The pool itself."""
        return self._pool

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Open already."""

    def connection(self, timeout: float | None = None) -> AbstractContextManager[Any]:
        """A connection of the shared pool, for the length of the block."""
        if self._affinity is not None:
            return self._affinity.connection(id(self), timeout)
        return self._pool.connection(timeout=timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Release this school's hold (once)."""
        release, self._release = self._release, None
        if release is not None:
            if self._affinity is not None:
                self._affinity.forget(id(self))
            release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class Pools:
    """The shared pools of this process, by kind and connection string; counted holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[
            tuple[str, str], tuple[ConnectionPool[Any], list[int], Affinity | None]
        ] = {}

    def take(
        self,
        kind: str,
        conninfo: str,
        make: Callable[[], ConnectionPool[Any]],
        *,
        affinity: bool = False,
    ) -> SharedPool:
        """A hold on the ``kind`` pool of ``conninfo`` (made by ``make`` for the first);
        ``affinity``: each hold gets back the connections it used last (``Affinity``)."""
        key = (kind, conninfo)
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                made = make()
                found = self._pools[key] = (made, [0], Affinity(made) if affinity else None)
            found[1][0] += 1
        pool, holds, kept = found

        def release() -> None:
            with self._lock:
                holds[0] -= 1
                last = holds[0] == 0 and self._pools.get(key) is found
                if last:
                    del self._pools[key]
            if last:
                pool.close()

        return SharedPool(pool, release, kept)

    def count(self) -> int:
        """Pools open now (tests)."""
        with self._lock:
            return len(self._pools)


#: This process's shared pools.
POOLS = Pools()


def check_alive(conn: psycopg.Connection[Any]) -> None:
    """The views' pools' check when a connection is taken: a connection the server closed
    while it sat idle in the pool (PostgreSQL restarted, the standby promoted and the old
    primary gone, a backend terminated) has its socket readable — the server's last
    message or the end of the stream is waiting — so a readable socket costs one round
    trip to ask the server (``check_connection``, which raises for a dead one and the pool
    takes another), and a quiet one costs no round trip at all. Taken once or more per
    page and per batch of the worker, the check was one round trip each (issue 19)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:
        ConnectionPool.check_connection(conn)


def _empty_path(conn: psycopg.Connection[Any]) -> None:
    """A shared views connection names no schema until a transaction sets its own."""
    conn.execute("SET search_path TO ''")
    conn.commit()


def views_pool(conninfo: str, max_size: int, *, standby: bool = False) -> SharedPool:
    """A hold on the views' pool of a cluster (or of its hot standby), at most ``max_size``
    connections (the first school's size), none kept when idle for 10 minutes; the
    standby's opens none at start (a standby that is down must not stop the product)."""
    return POOLS.take(
        "standby-views" if standby else "views",
        conninfo,
        lambda: ConnectionPool(
            conninfo,
            min_size=0 if standby else 1,
            max_size=max_size,
            configure=_empty_path,
            check=check_alive,
            open=True,
            timeout=30,
            name="ejournal-standby-views" if standby else "ejournal-views",
        ),
        affinity=True,
    )


def _autocommit(conn: psycopg.Connection[Any]) -> None:
    """The event store's connections run in autocommit, as the library's own pool makes
    them (its recorders open their transactions themselves)."""
    conn.autocommit = True


def events_pool(db: DatabaseURL) -> SharedPool:
    """A hold on the event stores' pool of ``db``'s cluster: at most ``db.pool_size``
    connections (the first school's size), dict rows and autocommit as the library's
    recorders expect, checked when taken if the URL names several servers (ADR 0028)."""
    conninfo = db.conninfo()
    return POOLS.take(
        "events",
        conninfo,
        lambda: LibraryPool(
            conninfo,
            connection_class=psycopg.Connection,
            kwargs={"row_factory": dict_row},
            min_size=1,
            max_size=db.pool_size,
            open=True,
            configure=_autocommit,
            check=LibraryPool.check_connection if len(db.hosts) > 1 else None,
            timeout=30,
            max_lifetime=3600,
            name="ejournal-events",
        ),
    )


class SharedPoolFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory whose datastore takes its connections from the
    cluster's shared event-store pool (``PERSISTENCE_MODULE`` names this class for a school
    of a regional deployment): swapped in before the library's own pool opens any."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        get = self.env.get
        db = DatabaseURL(
            "postgres",
            host=get("POSTGRES_HOST") or "",
            port=get("POSTGRES_PORT") or "5432",
            user=get("POSTGRES_USER") or "",
            password=get("POSTGRES_PASSWORD") or "",
            dbname=get("POSTGRES_DBNAME") or "",
            pool_size=int(get("EJOURNAL_CLUSTER_POOL_SIZE") or "8"),
            target_session_attrs=get("EJOURNAL_TARGET_SESSION_ATTRS") or "",
        )
        self.datastore.pool = events_pool(db)  # type: ignore[assignment]


class SchoolRecorder(PostgresApplicationRecorder):
    """The library's recorder, inserting with arrays of plain columns instead of its
    composite type (whose psycopg dumper would carry another school's type on a shared
    connection), and naming its school's schema in the notification's payload."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = sql.Identifier(self.datastore.schema)
        self.insert_events_statement = sql.SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        ).format(schema, sql.Identifier(self.events_table_name))
        self.notify_statement = sql.SQL("NOTIFY {}, {}").format(
            sql.Identifier(CHANNEL), sql.Literal(self.datastore.schema)
        )
        self.quiet_notify_statement = sql.SQL("NOTIFY {}, {}").format(
            sql.Identifier(CHANNEL), sql.Literal(self.datastore.schema + QUIET)
        )
        # No composite type is used: no adapters registered on every connection taken.
        self.datastore.db_type_names.discard(self.stored_event_type_name)
        self.datastore.psycopg_type_adapters.pop(self.stored_event_type_name, None)
        self.datastore.psycopg_python_types.pop(self.stored_event_type_name, None)

    def _notify_channel(self, curs: Any) -> None:
        curs.execute(self.notify_statement)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        if all(e.topic in QUIET_TOPICS for e in stored_events):
            curs.execute(self.quiet_notify_statement)
        else:
            self._notify_channel(curs)
        curs.execute(
            self.insert_events_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )
