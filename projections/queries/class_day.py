"""A class's day for its class teacher's home page (ADR 0031): who is absent today (the
attendance codes of today's lessons of the class's course journals) and the marks entered
today (recorded, or corrected, on that day, in the class's course journals for lessons of
the current term). Today's lessons themselves come from the timetable query
(``timetable.day_lessons``).

Query-only: it reads the catalogue (membership, course journals, terms) and the grid's
tables; ids, codes and values only — names are opened by the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain import clock
from projections.queries import listing
from projections.store import Reader
from projections.views import catalog, grid


@dataclass(frozen=True)
class Absence:
    """A pupil's attendance code at one of today's lessons."""

    student_id: str
    period: int
    subject: str
    code: str


@dataclass(frozen=True)
class EnteredMark:
    """A mark standing now that was entered (or corrected) on the day."""

    student_id: str
    subject: str
    lesson_day: str
    value: str
    kind: str


@dataclass(frozen=True)
class ClassDay:
    """What happened in a class on ``day``: absences by period, marks entered."""

    group_id: str
    day: str
    absences: tuple[Absence, ...]
    marks: tuple[EnteredMark, ...]


def class_day(reader: Reader, group_id: str, day: date) -> ClassDay:
    """The absences of ``day`` and the marks entered on ``day`` in class ``group_id``'s
    course journals, for its pupils of that day."""
    group = reader.get(catalog.GROUPS, (str(group_id),))
    if group is None:
        raise LookupError(f"no class {group_id}")
    iso = day.isoformat()
    membership = catalog.Membership(reader, group_id)
    courses = {
        str(c["course_journal_id"]): str(c["subject"])
        for c in reader.select(catalog.COURSES, {"group_id": str(group_id)})
    }
    term = listing.term_on(reader, str(group["year_id"]), day)
    starts = next(
        (t.starts for t in listing.terms(reader, str(group["year_id"])) if t.number == term), iso
    )
    lessons = {
        str(r["lesson_id"]): r
        for r in reader.select(grid.LESSONS, within=("course_journal_id", list(courses)))
        if starts <= str(r["day"]) <= iso
    }
    today = [lid for lid, r in lessons.items() if r["day"] == iso]
    absences = []
    for r in reader.select(grid.ATTENDANCE, within=("lesson_id", today)):
        code = grid.code_of(r)
        pupil = str(r["student_id"])
        if code and membership.on(pupil, iso):
            lesson = lessons[str(r["lesson_id"])]
            absences.append(
                Absence(
                    pupil,
                    int(lesson["period"]),
                    courses[str(lesson["course_journal_id"])],
                    code,
                )
            )
    marks = []
    for r in reader.select(grid.MARKS, within=("lesson_id", list(lessons))):
        if r["superseded_by"] or r["cancelled"]:
            continue
        entered = str(r["changed_at"] or r["recorded_at"] or "")
        if not entered or clock.local_date(datetime.fromisoformat(entered)) != day:
            continue
        lesson = lessons[str(r["lesson_id"])]
        marks.append(
            EnteredMark(
                str(r["student_id"]),
                courses[str(lesson["course_journal_id"])],
                str(lesson["day"]),
                str(r["value"]),
                str(r["kind"]),
            )
        )
    return ClassDay(
        str(group_id),
        iso,
        tuple(sorted(absences, key=lambda a: (a.period, a.subject, a.student_id))),
        tuple(sorted(marks, key=lambda m: (m.subject, m.lesson_day, m.student_id))),
    )
