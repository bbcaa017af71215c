"""The attendance report («отчёт о посещаемости»): per pupil of a class and a period, the
lessons held for them, lessons missed by code and the share missed; totals for the class.

Query-only: it reads the catalogue (membership, course journals) and the grid's tables
(lessons, attendance); it keeps no tables of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.policies import AttendancePolicy
from projections.store import Reader, Row
from projections.views import catalog, grid


@dataclass(frozen=True)
class AttendanceLine:
    """Counts for one pupil (or, with ``student_id`` None, the whole class).

    ``lessons``: lessons held while the pupil belonged to the class. ``by_code``: how many
    lessons carry each code of the policy (every code listed, zeros included). ``absent``:
    lessons with an absence code (``excused`` + ``unexcused``); ``late``: lessons with a
    code that is not an absence («ОП»). ``share``: absent / lessons to 4 places (None
    without lessons).
    """

    student_id: str | None
    lessons: int
    by_code: dict[str, int] = field(hash=False)
    absent: int
    excused: int
    unexcused: int
    late: int
    share: float | None


@dataclass(frozen=True)
class AttendanceReport:
    """A class's attendance from ``first`` to ``last`` (ISO dates, inclusive)."""

    group_id: str
    group_name: str
    first: str
    last: str
    pupils: tuple[AttendanceLine, ...]
    total: AttendanceLine


def attendance_report(
    reader: Reader, policy: AttendancePolicy, group_id: str, first: date, last: date
) -> AttendanceReport:
    """Attendance of a class from ``first`` to ``last`` (inclusive).

    A pupil is listed when they belonged to the class on some day of the period, and only
    the lessons of the class's course journals held on days they belonged count for them
    (a pupil withdrawn mid-period is not counted for lessons after withdrawal).
    """
    group = reader.get(catalog.GROUPS, (str(group_id),))
    if group is None:
        raise LookupError(f"no class {group_id}")
    start, end = first.isoformat(), last.isoformat()
    membership = catalog.Membership(reader, group_id)
    pupils = membership.between(start, end)
    lessons: dict[str, int] = dict.fromkeys(pupils, 0)
    codes: dict[str, list[str]] = {p: [] for p in pupils}
    for course in reader.select(catalog.COURSES, {"group_id": str(group_id)}):
        held = _lessons(reader, course["course_journal_id"], start, end)
        marked = reader.select(grid.ATTENDANCE, within=("lesson_id", held))
        for pupil in pupils:
            lessons[pupil] += sum(membership.on(pupil, day) for day in held.values())
        for r in marked:
            pupil, code = r["student_id"], grid.code_of(r)  # «Б» opened for those allowed
            if code and pupil in codes and membership.on(pupil, held[r["lesson_id"]]):
                codes[pupil].append(code)
    lines = tuple(_line(policy, p, lessons[p], codes[p]) for p in pupils)
    total = _line(
        policy,
        None,
        sum(lessons.values()),
        [code for p in pupils for code in codes[p]],
    )
    return AttendanceReport(str(group_id), group["name"], start, end, lines, total)


def _lessons(reader: Reader, course_journal_id: str, first: str, last: str) -> dict[str, str]:
    """The day of every lesson of a course journal from ``first`` to ``last``, by id."""
    rows: list[Row] = reader.select(grid.LESSONS, {"course_journal_id": course_journal_id})
    return {r["lesson_id"]: r["day"] for r in rows if first <= r["day"] <= last}


def _line(
    policy: AttendancePolicy, student_id: str | None, lessons: int, codes: list[str]
) -> AttendanceLine:
    by_code = dict.fromkeys(policy.codes, 0)
    excused = unexcused = late = 0
    for code in codes:
        by_code[code] = by_code.get(code, 0) + 1
        meaning = policy.codes.get(code)
        if meaning is None:
            continue  # a code no longer in the policy: listed, not counted as absent
        if not meaning.absent:
            late += 1
        elif meaning.excused:
            excused += 1
        else:
            unexcused += 1
    absent = excused + unexcused
    share = round(absent / lessons, 4) if lessons else None
    return AttendanceLine(student_id, lessons, by_code, absent, excused, unexcused, late, share)
