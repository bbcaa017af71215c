"""What every save goes through: new record series are registered (with their class, or
refused when the class has no retention schedule), and events of series whose school year
is closed are refused (the cut-off) until the year is re-opened.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors, ids
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.records import RecordSeries
from domain.school_year import SchoolYear

if TYPE_CHECKING:
    from domain.service import JournalBase


class SeriesGuard:
    """Registers series on first use and enforces the year's cut-off."""

    def __init__(self, app: JournalBase) -> None:
        self.app = app
        #: series → year id (None: no year). Registered series never change these facts.
        self._years: dict[str, UUID | None] = {}
        self._lock = threading.Lock()

    def prepare(self, aggregates: Sequence[Aggregate]) -> list[RecordSeries]:
        """Check the aggregates about to be saved; return the register entries of the new
        series among them (to be saved in the same transaction)."""
        new: dict[str, RecordSeries] = {}
        for aggregate in aggregates:
            if not aggregate.pending_events or isinstance(aggregate, RecordSeries):
                continue
            year_id = self._year_of(aggregate, new)
            if year_id is not None and type(aggregate).closes_with_year:
                year = self.app.load(SchoolYear, year_id, readonly=True)
                if year.closed:
                    raise errors.YearClosed(
                        f"Учебный год {year.year} закрыт: записи серии «{aggregate.series}» "
                        "не принимаются без открытия года приказом.",
                        series=aggregate.series,
                    )
        return list(new.values())

    def saved(self, entries: Sequence[RecordSeries]) -> None:
        """Remember the series whose entries were committed."""
        with self._lock:
            for entry in entries:
                self._years[entry.record_series] = entry.year_id

    def _year_of(self, aggregate: Aggregate, new: dict[str, RecordSeries]) -> UUID | None:
        series = aggregate.series
        if series in self._years:
            return self._years[series]
        if series in new:
            return new[series].year_id
        entry_id = ids.record_series_id(series)
        if self.app.exists(entry_id):
            entry = self.app.load(RecordSeries, entry_id, readonly=True)
            with self._lock:
                self._years[series] = entry.year_id
            return entry.year_id
        year_id = aggregate.id if isinstance(aggregate, SchoolYear) else _year_id(aggregate)
        retention = ids.RETENTION_SERIES  # where register entries live: registered first
        if (
            retention not in new
            and retention not in self._years
            and not self.app.exists(ids.record_series_id(retention))
        ):
            new[retention] = self._entry(retention, None, _actor(aggregate))
        new[series] = self._entry(series, year_id, _actor(aggregate))
        return year_id

    def _entry(self, series: str, year_id: UUID | None, actor: UUID) -> RecordSeries:
        record_class = self.app.policies.retention.class_of_series(series)
        return RecordSeries(
            record_series=series,
            record_class=record_class.name,
            year_id=year_id,
            year=ids.year_of_series(series),
            group=ids.group_of_series(series),
            series=ids.RETENTION_SERIES,
            actor=actor,
        )


def _year_id(aggregate: Aggregate) -> UUID | None:
    """The school year an aggregate that opens a series belongs to (``year_id``), if any."""
    value: Any = getattr(aggregate, "year_id", None)
    return value if isinstance(value, UUID) else None


def _actor(aggregate: Aggregate) -> UUID:
    first: Any = aggregate.pending_events[0]
    actor = getattr(first, "actor", None)
    return actor if isinstance(actor, UUID) else SYSTEM_ACTOR
