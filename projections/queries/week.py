"""The weekly diary («дневник на неделю»): Monday to Saturday of one week — each day's
lessons with topic, homework set, the pupil's marks (kind and date) and absences, and the
homework **due** that day; and the «на завтра» day.

Due date (ADR 0017, ADR 0031): the date the teacher set; else, for a course with a
timetable, its next lesson after the lesson's day — by the timetable (terms, holidays and
days off skipped) or an entered lesson outside it, whichever comes first; without a
timetable, the subject's next entered lesson on a later day, else the next day of the week
on which the subject was taught in the two weeks up to the lesson (an estimate, flagged).

Query-only, like ``diary``: it reads the catalogue and the grid's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from domain.policies import GradingPolicy
from domain.timetable import next_lesson_day
from projections.queries import diary as diary_query
from projections.queries import timetable as timetable_query
from projections.store import Reader, Row
from projections.views import catalog, grid

#: Days of the school week shown: Monday (0) to Saturday (5).
SCHOOL_DAYS = 6
#: How far back the subject's days of the week are taken from, to estimate a due date.
PATTERN_DAYS = 14


@dataclass(frozen=True)
class Due:
    """When a homework is due; ``estimated`` when no next lesson is entered yet."""

    day: str
    estimated: bool = False


@dataclass(frozen=True)
class Slot:
    """What the due-date rule needs of a lesson."""

    lesson_id: str
    day: str
    period: int
    homework: str


def due_dates(
    slots: Sequence[Slot], explicit: dict[str, str], timetable: Sequence[date] | None = None
) -> dict[str, Due]:
    """The due date of every homework among one subject's lessons ``slots``.

    ``explicit`` holds the due dates the teacher set, by lesson id. ``timetable`` holds
    the days the course's timetable schedules a lesson (in order; None: no timetable).
    Otherwise the homework is due at the course's next lesson on a later day: the earlier
    of the next scheduled day and the next entered lesson. Only without a timetable, when
    no later lesson is entered yet, on the next day of the week (Monday–Saturday) on which
    the subject was taught in the ``PATTERN_DAYS`` up to the lesson (``estimated``). A
    homework with none of these gets none.
    """
    ordered = sorted(slots, key=lambda s: (s.day, s.period))
    found: dict[str, Due] = {}
    for index, slot in enumerate(ordered):
        if not slot.homework:
            continue
        if slot.lesson_id in explicit:
            found[slot.lesson_id] = Due(explicit[slot.lesson_id])
            continue
        later = next((s.day for s in ordered[index + 1 :] if s.day > slot.day), None)
        if timetable is not None:
            planned = next_lesson_day(timetable, date.fromisoformat(slot.day))
            days = [d for d in (later, planned.isoformat() if planned else None) if d]
            if days:
                found[slot.lesson_id] = Due(min(days))
            continue
        if later is not None:
            found[slot.lesson_id] = Due(later)
            continue
        guess = _next_weekday(slot.day, [s.day for s in ordered[: index + 1]])
        if guess is not None:
            found[slot.lesson_id] = Due(guess, estimated=True)
    return found


def _next_weekday(day: str, taught: Iterable[str]) -> str | None:
    start = date.fromisoformat(day)
    recent = {
        d.weekday()
        for d in map(date.fromisoformat, taught)
        if start - timedelta(days=PATTERN_DAYS) < d <= start
    }
    for ahead in range(1, 8):
        candidate = start + timedelta(days=ahead)
        if candidate.weekday() in recent and candidate.weekday() < SCHOOL_DAYS:
            return candidate.isoformat()
    return None


@dataclass(frozen=True)
class WeekLesson:
    """One lesson of the day: the pupil's marks and attendance code, and the homework set
    with its due date."""

    lesson_id: str
    course_journal_id: str
    subject: str
    period: int
    topic: str
    homework: str
    due: Due | None
    marks: tuple[diary_query.DiaryMark, ...]
    attendance: str


@dataclass(frozen=True)
class DueHomework:
    """A homework due on a day, set at the lesson of ``set_on``."""

    subject: str
    homework: str
    set_on: str
    estimated: bool


@dataclass(frozen=True)
class WeekDay:
    """One school day: its lessons in period order and the homework due."""

    day: str
    lessons: tuple[WeekLesson, ...]
    due: tuple[DueHomework, ...]


@dataclass(frozen=True)
class Week:
    """A pupil's week (Monday to Saturday) and the school day after ``today``."""

    student_id: str
    monday: str
    days: tuple[WeekDay, ...]
    tomorrow: WeekDay


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def next_school_day(day: date) -> date:
    """The school day after ``day`` (Saturday → Monday)."""
    ahead = day + timedelta(days=1)
    return ahead + timedelta(days=1) if ahead.weekday() == SCHOOL_DAYS else ahead


def week(
    reader: Reader, grading: GradingPolicy, student_id: str, monday: date, today: date
) -> Week:
    """The week of ``student_id`` starting on ``monday`` (any day of it is accepted), with
    the «на завтра» day after ``today``. Only lessons on days the pupil belonged to the
    class or group count; homework is listed on its due date (``due_dates``)."""
    first = monday_of(monday)
    tomorrow = next_school_day(today)
    last = max(first + timedelta(days=SCHOOL_DAYS - 1), tomorrow)
    sid = str(student_id)
    start = min(first, tomorrow) - timedelta(days=PATTERN_DAYS * 4)
    periods = diary_query._periods(reader, sid, start.isoformat(), last.isoformat())
    courses = reader.select(catalog.COURSES, within=("group_id", periods))
    subject = {c["course_journal_id"]: c["subject"] for c in courses}
    group_of = {c["course_journal_id"]: c["group_id"] for c in courses}
    rows = reader.select(grid.LESSONS, within=("course_journal_id", subject))
    explicit = {
        r["lesson_id"]: r["due"]
        for r in reader.select(
            grid.HOMEWORK_DUE, within=("lesson_id", [r["lesson_id"] for r in rows])
        )
    }
    due: dict[str, Due] = {}
    for cid in subject:
        slots = [
            Slot(r["lesson_id"], r["day"], int(r["period"]), r["homework"])
            for r in rows
            if r["course_journal_id"] == cid
        ]
        due.update(due_dates(slots, explicit, timetable_query.lesson_days(reader, cid)))
    mine = {
        r["lesson_id"]: r
        for r in rows
        if diary_query._member(periods[group_of[r["course_journal_id"]]], r["day"])
    }
    marks, codes = diary_query._entries(reader, sid, mine)
    standing = diary_query._standing(marks)
    code = {r["lesson_id"]: r["code"] for r in codes}

    def day_of(day: date) -> WeekDay:
        iso = day.isoformat()
        lessons = sorted(
            (r for r in mine.values() if r["day"] == iso),
            key=lambda r: (int(r["period"]), subject[r["course_journal_id"]]),
        )
        return WeekDay(
            iso,
            tuple(
                WeekLesson(
                    r["lesson_id"],
                    r["course_journal_id"],
                    subject[r["course_journal_id"]],
                    int(r["period"]),
                    r["topic"],
                    r["homework"],
                    due.get(r["lesson_id"]),
                    tuple(
                        diary_query._mark(m, iso, grading) for m in standing.get(r["lesson_id"], ())
                    ),
                    code.get(r["lesson_id"], ""),
                )
                for r in lessons
            ),
            _due_on(iso, mine, due, subject, periods, group_of),
        )

    days = tuple(day_of(first + timedelta(days=k)) for k in range(SCHOOL_DAYS))
    return Week(sid, first.isoformat(), days, day_of(tomorrow))


def _due_on(
    day: str,
    lessons: dict[str, Row],
    due: dict[str, Due],
    subject: dict[str, str],
    periods: diary_query.Periods,
    group_of: dict[str, str],
) -> tuple[DueHomework, ...]:
    """Homework due on ``day`` for the classes and groups the pupil belongs to that day."""
    found = [
        DueHomework(subject[r["course_journal_id"]], r["homework"], r["day"], due[lid].estimated)
        for lid, r in lessons.items()
        if lid in due
        and due[lid].day == day
        and diary_query._member(periods[group_of[r["course_journal_id"]]], day)
    ]
    found.sort(key=lambda h: (h.subject, h.set_on))
    return tuple(found)
