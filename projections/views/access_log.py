"""The access log as the auditor reads it: who saw which pupil's data, where and when.
One row per pupil per page view (one with no pupil for a visit that showed none); ids only
(names are opened when a page is rendered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.access_log import AccessEntry
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, View, by_event, on, when

ACCESS = Table(
    "v_access_log",
    (
        ("entry_id", "text"),
        ("student_id", "text"),
        ("at", "text"),
        ("actor", "text"),
        ("page", "text"),
    ),
    ("entry_id", "student_id"),
    (("student_id",), ("actor",)),
)


def _recorded(store: ViewStore, e: AccessEntry.Recorded, _: Applied) -> None:
    # An entry naming no pupil (a regional auditor reading the ledger, ADR 0027) is one
    # row with an empty pupil, so the log shows it too.
    students: list[UUID | str] = [*e.students] or [""]
    for student in students:
        store.upsert(
            ACCESS,
            {
                "entry_id": e.originator_id,
                "student_id": student,
                "at": when(e),
                "actor": e.actor,
                "page": e.page,
            },
        )


VIEW = View(
    name="access_log",
    title="Журнал доступа к персональным данным",
    tables=(ACCESS,),
    handlers=by_event(
        on(AccessEntry.Recorded, _recorded),
    ),
)


@dataclass(frozen=True)
class AccessRow:
    """One pupil seen on one page view."""

    at: str
    actor: str
    page: str
    student_id: str


def accesses(
    reader: Reader,
    *,
    student_id: str | None = None,
    actor: str | None = None,
    limit: int = 500,
) -> list[AccessRow]:
    """The latest accesses, newest first, to one pupil's data or by one staff member."""
    where = {k: v for k, v in (("student_id", student_id), ("actor", actor)) if v}
    rows = reader.select(ACCESS, where or None)
    rows.sort(key=lambda r: str(r["at"]), reverse=True)
    return [
        AccessRow(_text(r["at"]), str(r["actor"]), str(r["page"]), str(r["student_id"]))
        for r in rows[:limit]
    ]


@dataclass(frozen=True)
class Filter:
    """Which accesses to show: each set given narrows (None: any); ``people`` keeps a row
    whose pupil or staff member is among them (a name searched for); ``since`` and
    ``before`` bound the moment."""

    students: frozenset[str] | None = None
    actors: frozenset[str] | None = None
    people: frozenset[str] | None = None
    since: datetime | None = None
    before: datetime | None = None

    def keeps(self, row: Row) -> bool:
        """True when ``row`` passes every bound given."""
        student, actor = str(row["student_id"]), str(row["actor"])
        at = _moment(row["at"])
        return (
            (self.students is None or student in self.students)
            and (self.actors is None or actor in self.actors)
            and (self.people is None or student in self.people or actor in self.people)
            and (self.since is None or at >= self.since)
            and (self.before is None or at < self.before)
        )


@dataclass(frozen=True)
class Page:
    """One page of the access log: its rows, its number (from 1), and the total of rows
    the filter keeps."""

    rows: list[AccessRow]
    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages the filter's rows take (1 when there are none)."""
        return max(1, -(-self.total // self.size))


def access_page(reader: Reader, found: Filter, number: int, size: int) -> Page:
    """Page ``number`` (from 1; past the last gives the last) of the accesses ``found``
    keeps, newest first."""
    if found.students is not None:
        rows = reader.select(ACCESS, within=("student_id", sorted(found.students)))
    elif found.actors is not None:
        rows = reader.select(ACCESS, within=("actor", sorted(found.actors)))
    else:
        rows = reader.select(ACCESS)
    kept = sorted((r for r in rows if found.keeps(r)), key=lambda r: str(r["at"]), reverse=True)
    number = max(1, min(number, max(1, -(-len(kept) // size))))
    shown = kept[(number - 1) * size : number * size]
    return Page(
        [
            AccessRow(_text(r["at"]), str(r["actor"]), str(r["page"]), str(r["student_id"]))
            for r in shown
        ],
        number,
        len(kept),
        size,
    )


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(moment: Any) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)
