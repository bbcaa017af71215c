"""The access log as the auditor reads it: who saw which pupil's data, where and when.
One row per pupil per page view; ids only (names are opened when a page is rendered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.access_log import AccessEntry
from projections.schema import Table
from projections.store import Reader, ViewStore
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
    for student in e.students:
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


def _text(moment: Any) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)
