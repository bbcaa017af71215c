"""Small queries of the JSON API: does a record exist, a course journal's lessons in a term.
Read from the catalogue and grid views; no personal data."""

from __future__ import annotations

from projections.queries.listing import TermItem, terms
from projections.store import Reader
from projections.views import catalog
from projections.views import grid as grid_view


def exists(reader: Reader, kind: str, record_id: str) -> bool:
    """True when a record of ``kind`` (course, group, lesson, student, account) has this id."""
    if kind == "group":
        return reader.get(catalog.GROUPS, (record_id,)) is not None
    if kind == "account":
        return reader.get(catalog.ACCOUNTS, (record_id,)) is not None
    if kind == "course":
        return reader.get(catalog.COURSES, (record_id,)) is not None
    if kind == "lesson":
        return reader.get(grid_view.LESSONS, (record_id,)) is not None
    if kind == "student":
        row = reader.get(catalog.PERSONS, (record_id,))
        return row is not None and row["kind"] == "student"
    raise ValueError(f"unknown kind of record: {kind}")


def term_of(reader: Reader, course_journal_id: str, number: int) -> TermItem | None:
    """Term ``number`` of the course journal's school year, or None."""
    course = reader.get(catalog.COURSES, (course_journal_id,))
    if course is None:
        return None
    return next((t for t in terms(reader, str(course["year_id"])) if t.number == number), None)


def lessons_between(
    reader: Reader, course_journal_id: str, first: str, last: str
) -> list[grid_view.GridLesson]:
    """The course journal's lessons from ``first`` to ``last`` (ISO dates), in order."""
    rows = [
        r
        for r in reader.select(grid_view.LESSONS, {"course_journal_id": course_journal_id})
        if first <= str(r["day"]) <= last
    ]
    rows.sort(key=lambda r: (str(r["day"]), int(r["period"])))
    return [
        grid_view.GridLesson(
            str(r["lesson_id"]), str(r["day"]), int(r["period"]), r["topic"], r["homework"]
        )
        for r in rows
    ]
