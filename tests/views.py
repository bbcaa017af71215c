"""Build views in memory from an in-memory journal: the harness of the views' unit tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.journal import Journal
from projections import all_views
from projections.processor import Processor
from projections.store import MemoryStore


class PlainSealer:
    """A stand-in sealer for unit tests: 'seals' by prefixing (no keys in memory tests).
    ``destroyed`` series open as None, like a destroyed key."""

    def __init__(self) -> None:
        self.destroyed: set[str] = set()

    def seal(self, series: str, data: bytes, context: bytes) -> bytes:
        return series.encode() + b"\x00" + data

    def open(self, blob: bytes, context: bytes) -> bytes | None:
        series, _, data = blob.partition(b"\x00")
        return None if series.decode() in self.destroyed else data


def processor(journal: Journal, sealer: Any | None = None) -> Processor:
    """A processor over the journal's log (its SQL database is unused in memory)."""
    return Processor(
        all_views.ALL,
        journal.recorder,
        journal.mapper,
        db=None,  # type: ignore[arg-type]
        sealer=sealer or PlainSealer(),
    )


def memory_views(
    journal: Journal, until: datetime | None = None, sealer: Any | None = None
) -> MemoryStore:
    """Every registered view, built in memory from the journal's events (up to ``until``)."""
    store, _ = processor(journal, sealer).build_in_memory(all_views.ALL, until=until)
    return store


def snapshot(reader: Any, sealer: Any, views: Any = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view table, comparable across stores: sealed values are opened
    (their ciphertexts differ by nonce), ``None`` and ints normalised."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for view in views or all_views.ALL:
        for table in view.tables:
            blobs = {name for name, kind in table.columns if kind == "blob"}
            rows = []
            for row in reader.select(table):
                context = table.seal_context(row)
                rows.append(
                    tuple(
                        sealer.open(bytes(row[c]), context)
                        if c in blobs and row[c] is not None
                        else row[c]
                        for c in table.column_names
                    )
                )
            tables[table.name] = sorted(rows, key=repr)
    return tables
