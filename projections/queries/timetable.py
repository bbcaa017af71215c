"""Reading the timetable (ADR 0019): a day's lessons for «Уроки сегодня», the bell
schedule, days off, weekly patterns, substitutions and thematic plans for the deputy's
pages. Scheduled lessons are computed here from the view's rows with the domain's pure
functions (``domain.timetable.schedule``), the same the commands use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain import ids
from domain.timetable import (
    DaysOff,
    Pattern,
    PlanItem,
    Scheduled,
    plan_item,
    schedule,
    scheduled_days,
    school_days,
    slot_of,
)
from projections.queries.listing import CourseItem, courses
from projections.store import Reader
from projections.views import catalog
from projections.views import grid as grid_view
from projections.views import timetable as view


@dataclass(frozen=True)
class DayLesson:
    """One lesson of a day as «Уроки сегодня» lists it: held already (``held``) or only
    scheduled; its topic (the lesson's, else the plan's); its substitute ('' for none)."""

    lesson_id: str
    period: int
    starts: str
    ends: str
    course: CourseItem
    topic: str
    held: bool
    scheduled: bool
    substitute: str = ""


@dataclass(frozen=True)
class SubstitutionItem:
    lesson_id: str
    course: CourseItem
    day: str
    period: int
    teacher_id: str


def bells(reader: Reader, year_id: str) -> dict[int, tuple[str, str]]:
    """The bell schedule: period → (starts, ends)."""
    rows = reader.select(view.BELLS, {"year_id": year_id})
    return {int(r["number"]): (str(r["starts"]), str(r["ends"])) for r in rows}


def days_off(reader: Reader, year_id: str) -> list[DaysOff]:
    rows = reader.select(view.DAYS_OFF, {"year_id": year_id})
    found = [
        DaysOff(
            date.fromisoformat(str(r["starts"])), date.fromisoformat(str(r["ends"])), r["title"]
        )
        for r in rows
    ]
    return sorted(found, key=lambda o: o.starts)


def _day(value: object) -> date:
    return date.fromisoformat(str(value))


def year_days(reader: Reader, year_id: str) -> list[date]:
    """The school days of a year: in a term, not a day off, Monday to Saturday."""
    year = reader.get(catalog.YEARS, (year_id,))
    if year is None:
        return []
    terms = [
        (date.fromisoformat(str(t["starts"])), date.fromisoformat(str(t["ends"])))
        for t in reader.select(catalog.TERMS, {"year_id": year_id})
    ]
    return school_days(
        date.fromisoformat(str(year["starts"])),
        date.fromisoformat(str(year["ends"])),
        terms,
        days_off(reader, year_id),
    )


def patterns(reader: Reader, course_journal_id: str) -> list[Pattern]:
    rows = reader.select(view.PATTERNS, {"course_journal_id": course_journal_id})
    found = [
        (
            date.fromisoformat(str(r["since"])),
            frozenset(slot_of(s) for s in str(r["slots"]).split()),
        )
        for r in rows
    ]
    return sorted(found, key=lambda p: p[0])


def _substitutes(reader: Reader, course_journal_id: str) -> dict[tuple[date, int], UUID]:
    rows = reader.select(view.SUBSTITUTIONS, {"course_journal_id": course_journal_id})
    return {
        (date.fromisoformat(str(r["day"])), int(r["period"])): UUID(str(r["teacher_id"]))
        for r in rows
    }


def scheduled(reader: Reader, course_journal_id: str, days: Iterable[date]) -> list[Scheduled]:
    """Every lesson the course journal's timetable schedules on ``days`` (all the school
    days of the year from its start, for the numbering to hold)."""
    found = patterns(reader, course_journal_id)
    if not found:
        return []
    return schedule(found, _substitutes(reader, course_journal_id), days)


def lesson_days(reader: Reader, course_journal_id: str) -> list[date] | None:
    """The days of the school year on which the course journal's timetable schedules a
    lesson, in order (terms, days off and pattern changes applied); None when the course
    has no timetable."""
    found = patterns(reader, course_journal_id)
    if not found:
        return None
    row = reader.get(catalog.COURSES, (course_journal_id,))
    if row is None:
        return None
    return scheduled_days(found, year_days(reader, str(row["year_id"])))


def plan(reader: Reader, course_journal_id: str) -> list[PlanItem]:
    rows = reader.select(view.PLAN, {"course_journal_id": course_journal_id})
    return sorted(
        (
            PlanItem(int(r["number"]), str(r["topic"]), int(r["hours"]), str(r["homework"]))
            for r in rows
        ),
        key=lambda i: i.number,
    )


def day_lessons(
    reader: Reader,
    year_id: str,
    items: list[CourseItem],
    day: date,
    account_id: str | None = None,
) -> list[DayLesson]:
    """The lessons of ``day`` of these course journals — scheduled by the timetable or held
    without it — and, for ``account_id``, those they hold as a substitute; by period."""
    by_id = {c.course_journal_id: c for c in items}
    if account_id is not None:
        subs = reader.select(view.SUBSTITUTIONS, {"teacher_id": account_id})
        extra = {str(r["course_journal_id"]) for r in subs if r["day"] == day.isoformat()}
        if extra - set(by_id):
            by_id |= {c.course_journal_id: c for c in courses(reader, year_id, extra - set(by_id))}
    days = [d for d in year_days(reader, year_id) if d <= day]
    times = bells(reader, year_id)
    held = {
        str(r["lesson_id"]): r
        for r in reader.select(grid_view.LESSONS, within=("course_journal_id", list(by_id)))
        if r["day"] == day.isoformat()
    }
    found: dict[str, DayLesson] = {}
    for course_id, course in by_id.items():
        lessons = [s for s in scheduled(reader, course_id, days) if s.day == day]
        items_of_plan = plan(reader, course_id) if lessons else []
        for lesson in lessons:
            substitute = str(lesson.substitute) if lesson.substitute else ""
            if not _mine(account_id, course, substitute):
                continue  # another teacher's lesson, or a course seen for another period
            lesson_id = str(ids.lesson_id(UUID(course_id), day, lesson.period))
            row = held.get(lesson_id)
            item = plan_item(items_of_plan, lesson.number)
            topic = str(row["topic"]) if row is not None else (item.topic if item else "")
            starts, ends = times.get(lesson.period, ("", ""))
            found[lesson_id] = DayLesson(
                lesson_id,
                lesson.period,
                starts,
                ends,
                course,
                topic,
                row is not None,
                True,
                substitute,
            )
    for lesson_id, row in held.items():
        other = by_id.get(str(row["course_journal_id"]))
        if lesson_id not in found and other is not None and _mine(account_id, other, ""):
            period = int(row["period"])
            starts, ends = times.get(period, ("", ""))
            found[lesson_id] = DayLesson(
                lesson_id, period, starts, ends, other, str(row["topic"]), True, False
            )
    return sorted(found.values(), key=lambda x: (x.period, x.course.group_name, x.course.subject))


def _mine(account_id: str | None, course: CourseItem, substitute: str) -> bool:
    """The lesson is the account's to hold (None: every lesson is listed)."""
    return account_id is None or account_id == substitute or account_id in course.teachers


def substitutions(reader: Reader, year_id: str, since: date) -> list[SubstitutionItem]:
    """Substitutions of a year from ``since`` on, by day and period."""
    rows = [r for r in reader.select(view.SUBSTITUTIONS) if str(r["day"]) >= since.isoformat()]
    by_id = {
        c.course_journal_id: c
        for c in courses(reader, year_id, {str(r["course_journal_id"]) for r in rows})
    }
    return sorted(
        (
            SubstitutionItem(
                str(r["lesson_id"]),
                by_id[str(r["course_journal_id"])],
                str(r["day"]),
                int(r["period"]),
                str(r["teacher_id"]),
            )
            for r in rows
            if str(r["course_journal_id"]) in by_id
        ),
        key=lambda s: (s.day, s.period, s.course.group_name),
    )


def substitute_of(reader: Reader, lesson_id: str) -> str:
    """The substitute who holds (or held) a lesson, or ''."""
    row = reader.get(view.SUBSTITUTIONS, (lesson_id,))
    return str(row["teacher_id"]) if row is not None else ""
