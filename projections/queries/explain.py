"""The marks a term or year mark is computed from, as the journal's views hold them now
(the ``FinalInputs`` port of ``domain.explain``, ADR 0024): the marks of the term that
stand, as the grid shows them, and the term marks of the year."""

from __future__ import annotations

from uuid import UUID

from domain.explain import TERM_KIND, Input
from projections.store import Reader
from projections.views import catalog, final_marks, grid


def term_inputs(reader: Reader, course_journal_id: str, term: int) -> dict[UUID, list[Input]]:
    """The marks of each pupil that stand in the term, in lesson order: the marks the
    grid shows and averages (a pupil withdrawn mid-term keeps the lessons they attended;
    the weights come from the policy in force, in the domain)."""
    course = reader.get(catalog.COURSES, (course_journal_id,))
    if course is None:
        return {}
    period = reader.get(catalog.TERMS, (course["year_id"], term))
    if period is None:
        return {}
    first, last = period["starts"], period["ends"]
    lessons = {
        r["lesson_id"]: r
        for r in reader.select(grid.LESSONS, {"course_journal_id": course_journal_id})
        if first <= r["day"] <= last
    }
    membership = catalog.Membership(reader, course["group_id"])
    rows = [
        r
        for r in grid.current_marks(reader, list(lessons))
        if membership.on(r["student_id"], lessons[r["lesson_id"]]["day"])
    ]
    rows.sort(
        key=lambda r: (
            lessons[r["lesson_id"]]["day"],
            lessons[r["lesson_id"]]["period"],
            str(r["recorded_at"]),
            str(r["mark_id"]),
        )
    )
    found: dict[UUID, list[Input]] = {}
    for r in rows:
        found.setdefault(UUID(str(r["student_id"])), []).append(
            Input(str(r["mark_id"]), r["value"], r["kind"], lessons[r["lesson_id"]]["day"])
        )
    return found


def year_inputs(reader: Reader, course_journal_id: str) -> dict[UUID, list[Input]]:
    """The term marks of each pupil in the course journal, by term."""
    rows = reader.select(final_marks.TERM_MARKS, {"course_journal_id": course_journal_id})
    found: dict[UUID, list[Input]] = {}
    for row in sorted(rows, key=lambda r: int(r["term"])):
        found.setdefault(UUID(str(row["student_id"])), []).append(
            Input(f"term:{int(row['term'])}", row["value"], TERM_KIND)
        )
    return found
