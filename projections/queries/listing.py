"""Lists the pages start from: school years and terms, course journals with their classes,
a day's lessons. Read from the catalogue and grid views; no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from domain.policies import GradingPolicy
from projections.store import Reader, Row
from projections.views import catalog
from projections.views import grid as grid_view


@dataclass(frozen=True)
class CourseItem:
    """A course journal as lists show it."""

    course_journal_id: str
    subject: str
    group_id: str
    group_name: str
    group_kind: str
    year_id: str
    teachers: tuple[str, ...]


@dataclass(frozen=True)
class TermItem:
    """A term of a school year."""

    number: int
    title: str
    starts: str
    ends: str
    closed: bool


def current_year(reader: Reader, today: date) -> dict[str, object] | None:
    """The school year that contains ``today``, else the latest one."""
    years = sorted(reader.select(catalog.YEARS), key=lambda r: str(r["starts"]))
    day = today.isoformat()
    within = [y for y in years if str(y["starts"]) <= day <= str(y["ends"])]
    found = within or years
    return found[-1] if found else None


def terms(reader: Reader, year_id: str) -> list[TermItem]:
    """The terms of a school year, in order."""
    rows = sorted(reader.select(catalog.TERMS, {"year_id": year_id}), key=lambda r: r["number"])
    return [
        TermItem(int(r["number"]), r["title"], r["starts"], r["ends"], bool(r["closed"]))
        for r in rows
    ]


def term_on(reader: Reader, year_id: str, day: date) -> int:
    """The term containing ``day``, or the last term that started before it (else 1)."""
    found = 1
    for term in terms(reader, year_id):
        if term.starts <= day.isoformat():
            found = term.number
    return found


def courses(reader: Reader, year_id: str, only: Iterable[str] | None = None) -> list[CourseItem]:
    """Course journals of a year (all, or ``only`` these), by class then subject."""
    rows = reader.select(catalog.COURSES, {"year_id": year_id})
    if only is not None:
        wanted = set(only)
        rows = [r for r in rows if r["course_journal_id"] in wanted]
    groups = {
        g["group_id"]: g
        for g in reader.select(catalog.GROUPS, within=("group_id", [r["group_id"] for r in rows]))
    }
    teachers: dict[str, list[str]] = {}
    ids = [r["course_journal_id"] for r in rows]
    for t in reader.select(catalog.TEACHERS, within=("course_journal_id", ids)):
        teachers.setdefault(t["course_journal_id"], []).append(str(t["teacher_id"]))
    items = [
        CourseItem(
            r["course_journal_id"],
            r["subject"],
            r["group_id"],
            groups[r["group_id"]]["name"] if r["group_id"] in groups else "",
            r["group_kind"],
            r["year_id"],
            tuple(sorted(teachers.get(r["course_journal_id"], []))),
        )
        for r in rows
    ]
    return sorted(items, key=lambda c: (c.group_kind != "class", _class_order(c), c.subject))


def course(reader: Reader, course_journal_id: str) -> CourseItem | None:
    """One course journal as lists show it, or None."""
    row = reader.get(catalog.COURSES, (course_journal_id,))
    if row is None:
        return None
    found = courses(reader, str(row["year_id"]), [course_journal_id])
    return found[0] if found else None


def _class_order(course: CourseItem) -> tuple[int, str]:
    digits = "".join(ch for ch in course.group_name if ch.isdigit())
    return (int(digits) if digits else 99, course.group_name)


def groups(
    reader: Reader, year_id: str, only: Iterable[str] | None = None
) -> list[dict[str, object]]:
    """Classes and groups of a year (all, or ``only`` these), classes first, by grade."""
    rows = reader.select(catalog.GROUPS, {"year_id": year_id})
    if only is not None:
        wanted = set(only)
        rows = [r for r in rows if r["group_id"] in wanted]
    return sorted(rows, key=lambda r: (r["kind"] != "class", int(r["grade"] or 0), r["name"]))


def known_person(reader: Reader, person_id: str) -> bool:
    """True when the catalogue holds this person (pupil, guardian or staff)."""
    return reader.get(catalog.PERSONS, (person_id,)) is not None


def group(reader: Reader, group_id: str) -> dict[str, object] | None:
    """One class or group (name, kind, year, class teacher), or None."""
    return reader.get(catalog.GROUPS, (group_id,))


def years(reader: Reader) -> list[dict[str, object]]:
    """Every school year, the latest first."""
    return sorted(reader.select(catalog.YEARS), key=lambda r: str(r["starts"]), reverse=True)


@dataclass(frozen=True)
class LessonSheet:
    """One lesson as its form shows it: the pupils of that day, their marks and attendance."""

    lesson: grid_view.GridLesson
    course_journal_id: str
    scale: str
    pupils: tuple[str, ...]
    marks: dict[str, tuple[grid_view.Cell, ...]] = field(hash=False)
    attendance: dict[str, str] = field(hash=False)
    pending: frozenset[str] = frozenset()  # marks with a correction request waiting
    #: Per standing mark: its author and when the first mark of its chain of corrections
    #: was entered (the author's own correction window runs from there).
    origins: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    #: The homework's due date the teacher set (ГГГГ-ММ-ДД); "" when it is due at the
    #: subject's next lesson (ADR 0017).
    homework_due: str = ""


def lesson_sheet(reader: Reader, grading: GradingPolicy, lesson_id: str) -> LessonSheet:
    """The lesson's form data; ``LookupError`` when there is no such lesson."""
    row = reader.get(grid_view.LESSONS, (lesson_id,))
    if row is None:
        raise LookupError(f"no lesson {lesson_id}")
    course = reader.get(catalog.COURSES, (row["course_journal_id"],))
    if course is None:
        raise LookupError(f"no course journal {row['course_journal_id']}")
    day = str(row["day"])
    membership = catalog.Membership(reader, course["group_id"])
    pupils = tuple(membership.between(day, day))
    term = term_on(reader, str(course["year_id"]), date.fromisoformat(day))
    grid = grid_view.grid(reader, grading, row["course_journal_id"], term)
    requests = reader.select(grid_view.REQUESTS, {"lesson_id": lesson_id})
    return LessonSheet(
        grid_view.GridLesson(lesson_id, day, int(row["period"]), row["topic"], row["homework"]),
        row["course_journal_id"],
        course["scale"],
        pupils,
        {p: grid.marks.get((p, lesson_id), ()) for p in pupils},
        {p: grid.attendance[(p, lesson_id)] for p in pupils if (p, lesson_id) in grid.attendance},
        frozenset(str(r["mark_id"]) for r in requests if r["state"] == "pending"),
        _origins(reader.select(grid_view.MARKS, {"lesson_id": lesson_id})),
        str((reader.get(grid_view.HOMEWORK_DUE, (lesson_id,)) or {}).get("due") or ""),
    )


def _origins(rows: list[Row]) -> dict[str, tuple[str, str]]:
    """Standing mark → (author, when its chain's first mark was entered)."""
    by_id = {str(r["mark_id"]): r for r in rows}
    found = {}
    for r in rows:
        if r["superseded_by"] is not None or r["cancelled"]:
            continue
        first = r
        while first["supersedes"] is not None and str(first["supersedes"]) in by_id:
            first = by_id[str(first["supersedes"])]
        found[str(r["mark_id"])] = (str(r["author"] or ""), str(first["recorded_at"] or ""))
    return found
