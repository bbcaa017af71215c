"""Views in SQL (SQLite or PostgreSQL) through a small database interface.

Writes are buffered during a batch and flushed in groups: consecutive operations with the
same statement go to ``executemany`` (pipelined by psycopg), so a batch of thousands of
events costs a handful of round trips. The connection itself is provided by the composition
root (``ejournal``); this module only speaks SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from projections.schema import Table
from projections.store import Row, plain


class Cursor(Protocol):
    """The DB-API cursor methods the views need."""

    def execute(self, query: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, query: str, params: Iterable[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...
    @property
    def rowcount(self) -> int: ...


class Database(Protocol):
    """A view database: its dialect, transactions, bulk loading and streaming."""

    dialect: str  # "sqlite" | "postgres"
    param: str  # "?" | "%s"

    def transaction(self) -> AbstractContextManager[Cursor]:
        """A write transaction (serialised against other writers of the views)."""
        ...

    def read(self, *, own: bool = False, replica: bool = False) -> AbstractContextManager[Cursor]:
        """A read-only snapshot; ``own``: a transaction of its own even inside ``pinned``
        (one that sets its isolation level, e.g. the ledger's verify); ``replica``: a read
        that the hot standby may serve when ``route_reads`` sent this thread's reads there."""
        ...

    def pinned(self) -> AbstractContextManager[None]:
        """Share one read transaction among this thread's reads until the block ends."""
        ...

    def waiting_for_locks(self, seconds: float) -> AbstractContextManager[None]:
        """Within the block this thread's write transactions give up a lock wait after
        ``seconds`` (PostgreSQL's ``lock_timeout``: an ``OperationalError``); a regional
        worker's lane, which must not be held by one school (ADR 0035)."""
        ...

    def bulk_load(self, cursor: Cursor, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        """Append many rows fast (COPY on PostgreSQL)."""
        ...

    # --- a hot standby (ADR 0028; SQLite and a primary without one: no-ops) ---------------
    @property
    def has_standby(self) -> bool:
        """Whether a hot standby is configured for reads."""
        ...

    def route_reads(self, after: str | None) -> None:
        """Within the current ``pinned`` block, let ``read(replica=True)`` go to the standby
        once it has replayed WAL position ``after`` (bounded wait; else the primary)."""
        ...

    def reads_from_standby(self) -> bool:
        """Whether this thread's routed reads go to the standby."""
        ...

    def write_position(self) -> str:
        """The primary's WAL position now (after a write: what the standby must reach)."""
        ...

    def standby_lag(self) -> StandbyLag | None:
        """The standby's lag behind the primary; None without a standby."""
        ...

    def stream(
        self, cursor: Cursor, name: str, query: str, size: int
    ) -> AbstractContextManager[Iterator[list[Any]]]:
        """The rows of ``query``, read in ``cursor``'s transaction, in batches of at most
        ``size`` fetched as they are consumed: on PostgreSQL through a server-side cursor
        called ``name`` with binary results, so a table larger than memory streams."""
        ...


@dataclass(frozen=True)
class StandbyLag:
    """A hot standby's state as ``/healthz`` shows it to operators (ADR 0028)."""

    reachable: bool
    lag_bytes: int = 0  # WAL the primary has written that the standby has not replayed
    lag_seconds: float = 0.0  # since the last commit it replayed, while it is behind
    replay_paused: bool = False
    problem: str = ""


def batches(cursor: Cursor, size: int) -> Iterator[list[Any]]:
    """A cursor's rows (its query executed), ``size`` at a time."""
    while rows := cursor.fetchmany(size):
        yield rows


def quoted(*names: str) -> str:
    """A (schema-qualified) SQL identifier, quoted: ``"schema"."table"``."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def take_setup_lock(cursor: Cursor, schema: str) -> None:
    """Wait for a PostgreSQL schema's set-up lock («ejournal-setup:<schema>»; an empty
    ``schema`` is ``public``), held until ``cursor``'s transaction ends: one process at a
    time sets a school's database up (``ejournal.bootstrap``) or makes its session tables
    (``projections.sessions.setup``)."""
    key = f"ejournal-setup:{schema or 'public'}"
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))


class SQLStore:
    """``ViewStore`` over one open transaction."""

    def __init__(self, db: Database, cursor: Cursor) -> None:
        self.db = db
        self.cursor = cursor
        # (table, statement, parameters, key of an upserted row or None), in call order.
        self._pending: list[tuple[str, str, tuple[Any, ...], tuple[Any, ...] | None]] = []
        # Rows this transaction has written or read, by (table, key): point lookups by
        # handlers are answered here without flushing the batch. None = known absent.
        self._rows: dict[tuple[str, tuple[Any, ...]], Row | None] = {}

    # --- writes ------------------------------------------------------------------------
    def upsert(self, table: Table, row: Row) -> None:
        names = table.column_names
        p = self.db.param
        rest = [n for n in names if n not in table.key]
        conflict = (
            f"DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in rest)}"
            if rest
            else "DO NOTHING"
        )
        query = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([p] * len(names))}) "
            f"ON CONFLICT ({', '.join(table.key)}) {conflict}"
        )
        values = tuple(plain(row.get(n)) for n in names)
        full = dict(zip(names, values, strict=True))
        key = table.key_of(full)
        self._pending.append((table.name, query, values, key))
        self._rows[(table.name, key)] = full

    def update(self, table: Table, key: Sequence[Any], changes: Row) -> None:
        p = self.db.param
        sets = ", ".join(f"{n} = {p}" for n in changes)
        where = " AND ".join(f"{k} = {p}" for k in table.key)
        params = tuple(plain(v) for v in changes.values()) + tuple(plain(k) for k in key)
        self._pending.append(
            (table.name, f"UPDATE {table.name} SET {sets} WHERE {where}", params, None)
        )
        cache_key = (table.name, tuple(plain(k) for k in key))
        if cache_key in self._rows:
            cached = self._rows[cache_key]
            if cached is not None:
                cached.update({k: plain(v) for k, v in changes.items()})

    def delete(self, table: Table, key: Sequence[Any]) -> None:
        where = " AND ".join(f"{k} = {self.db.param}" for k in table.key)
        params = tuple(plain(k) for k in key)
        self._pending.append((table.name, f"DELETE FROM {table.name} WHERE {where}", params, None))
        self._rows[(table.name, params)] = None

    def flush(self) -> None:
        """Send the buffered writes, grouping runs of the same statement."""
        for query, group in _runs(self._pending):
            if len(group) == 1:
                self.cursor.execute(query, group[0])
            else:
                self.cursor.executemany(query, group)
        self._pending.clear()

    # --- reads -------------------------------------------------------------------------
    def get(self, table: Table, key: Sequence[Any]) -> Row | None:
        cache_key = (table.name, tuple(plain(k) for k in key))
        if cache_key not in self._rows:
            self.flush()
            self._rows[cache_key] = get(self.db, self.cursor, table, key)
        found = self._rows[cache_key]
        return dict(found) if found is not None else None

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]:
        self.flush()
        return select(self.db, self.cursor, table, where, within)


def get(db: Database, cursor: Cursor, table: Table, key: Sequence[Any]) -> Row | None:
    """The row of ``table`` with primary key ``key``, or None."""
    rows = select(db, cursor, table, dict(zip(table.key, key, strict=True)))
    return rows[0] if rows else None


class SQLReader:
    """Read-only ``select``/``get`` over an open read cursor (for queries)."""

    def __init__(self, db: Database, cursor: Cursor) -> None:
        self.db, self.cursor = db, cursor

    def get(self, table: Table, key: Sequence[Any]) -> Row | None:
        return get(self.db, self.cursor, table, key)

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]:
        return select(self.db, self.cursor, table, where, within)


def select(
    db: Database,
    cursor: Cursor,
    table: Table,
    where: Mapping[str, Any] | None = None,
    within: tuple[str, Iterable[Any]] | None = None,
) -> list[Row]:
    """Rows of ``table`` matching ``where`` (and ``within``), ordered by primary key."""
    clauses, params = [], []
    for name, value in (where or {}).items():
        clauses.append(f"{name} = {db.param}")
        params.append(plain(value))
    if within is not None:
        values = [plain(v) for v in within[1]]
        if not values:
            return []
        clauses.append(f"{within[0]} IN ({', '.join([db.param] * len(values))})")
        params += values
    query = f"SELECT {', '.join(table.column_names)} FROM {table.name}"
    if clauses:
        query += " WHERE " + " AND ".join(clauses)
    query += f" ORDER BY {', '.join(table.key)}"
    cursor.execute(query, params)
    names = table.column_names
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _runs(
    pending: list[tuple[str, str, tuple[Any, ...], tuple[Any, ...] | None]],
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Group the writes into runs of one statement. Tables are independent (no foreign keys,
    no triggers), so writes are grouped by table, keeping their order within a table; in a
    run of upserts only the last row per key is sent (e.g. a view's one state row)."""
    by_table: dict[str, list[tuple[str, tuple[Any, ...], tuple[Any, ...] | None]]] = {}
    for table, query, params, key in pending:
        by_table.setdefault(table, []).append((query, params, key))
    for ops in by_table.values():
        start = 0
        while start < len(ops):
            end = start
            while end < len(ops) and ops[end][0] == ops[start][0]:
                end += 1
            run = ops[start:end]
            if run[0][2] is not None:  # upserts: the last row per key wins
                last = {key: params for _, params, key in run}
                yield run[0][0], list(last.values())
            else:
                yield run[0][0], [params for _, params, _ in run]
            start = end
