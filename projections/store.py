"""The write and read interface every view uses, and its in-memory implementation.

View handlers only ``upsert``, ``update`` and ``delete`` rows by key, so the same handler
code maintains views in SQL (``projections.sqlstore``) and builds them in memory for a
rebuild or an as-of replay. Queries use ``select``, the same on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from projections.schema import Table

Row = dict[str, Any]


_PLAIN_TYPES = frozenset({str, int, float, bytes, type(None)})
#: The text of ids met lately: ``str(UUID)`` is Python code (≈ 1 µs), and a rebuild turns
#: the same pupil, lesson and course ids into text millions of times. Bounded: emptied when
#: full (a rebuild's working set of ids is far smaller than the log).
_ID_TEXT: dict[UUID, str] = {}
_ID_TEXT_SIZE = 100_000


def _id_text(value: UUID) -> str:
    text = _ID_TEXT.get(value)
    if text is None:
        if len(_ID_TEXT) >= _ID_TEXT_SIZE:
            _ID_TEXT.clear()
        text = _ID_TEXT[value] = str(value)
    return text


def plain(value: Any) -> Any:
    """The stored form of a value: text for ids and dates, int for booleans."""
    if type(value) in _PLAIN_TYPES:  # the common case, first and cheap
        return value
    if type(value) is UUID:
        return _id_text(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def jsonable(value: Any) -> Any:
    """A value made of JSON types: ids and dates as text, collections as lists and dicts."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


class Reader(Protocol):
    """What queries need: point lookups and simple selections."""

    def get(self, table: Table, key: Sequence[Any]) -> Row | None: ...

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]: ...


class ViewStore(Protocol):
    """Row operations by primary key, and simple selections."""

    def upsert(self, table: Table, row: Row) -> None:
        """Insert ``row`` or replace the row with the same key."""

    def update(self, table: Table, key: Sequence[Any], changes: Row) -> None:
        """Change some columns of the row with ``key`` (no-op when it does not exist)."""

    def delete(self, table: Table, key: Sequence[Any]) -> None:
        """Remove the row with ``key`` (no-op when it does not exist)."""

    def get(self, table: Table, key: Sequence[Any]) -> Row | None:
        """The row with ``key``, or None."""
        ...

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]:
        """Rows whose columns equal ``where`` and whose column ``within[0]`` is one of
        ``within[1]``; ordered by primary key."""
        ...


class MemoryStore:
    """Views held in dictionaries: for rebuilds and as-of replays."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple[Any, ...], Row]] = {}

    def rows(self, table: Table) -> dict[tuple[Any, ...], Row]:
        """The rows of ``table`` by key."""
        return self.tables.setdefault(table.name, {})

    def upsert(self, table: Table, row: Row) -> None:
        # A rebuild's innermost loop: plain() is called only for values not plain already.
        simple, get = _PLAIN_TYPES, row.get
        full = {
            name: value if type(value := get(name)) in simple else plain(value)
            for name in table.column_names
        }
        self.rows(table)[tuple([full[k] for k in table.key])] = full

    def update(self, table: Table, key: Sequence[Any], changes: Row) -> None:
        row = self.rows(table).get(tuple(map(plain, key)))
        if row is not None:
            row.update({k: plain(v) for k, v in changes.items()})

    def delete(self, table: Table, key: Sequence[Any]) -> None:
        self.rows(table).pop(tuple(map(plain, key)), None)

    def get(self, table: Table, key: Sequence[Any]) -> Row | None:
        row = self.rows(table).get(tuple(map(plain, key)))
        return dict(row) if row is not None else None

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]:
        where = {k: plain(v) for k, v in (where or {}).items()}
        allowed = {plain(v) for v in within[1]} if within else None
        found = [
            dict(row)
            for row in self.rows(table).values()
            if all(row.get(k) == v for k, v in where.items())
            and (within is None or allowed is None or row.get(within[0]) in allowed)
        ]
        found.sort(key=lambda r: tuple(_sortable(r[k]) for k in table.key))
        return found


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)
