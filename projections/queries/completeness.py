"""The filling-completeness report («контроль заполнения журнала») for a deputy head:
lessons without a topic, marks entered after the deadline (and who entered them), pupils
with no mark in a period, and course journals not filled for recent school days.

Query-only: it reads the catalogue (terms, groups, membership, course journals) and the
grid's tables (lessons, marks); it keeps no tables of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain import clock
from domain.policies import JournalRegulation
from projections.store import Reader, Row
from projections.views import catalog, grid

#: Weekdays the school works (Monday = 0): the days a journal is expected to be filled.
SCHOOL_WEEKDAYS = frozenset(range(5))


@dataclass(frozen=True)
class MissingTopic:
    """A lesson held without a topic; ``overdue`` once the entry deadline has passed."""

    course_journal_id: str
    subject: str
    lesson_id: str
    day: str
    period: int
    overdue: bool


@dataclass(frozen=True)
class LateMark:
    """A mark first entered more than ``entry_deadline_days`` after its lesson
    (``days_after`` counted on the school's calendar), and who entered it."""

    course_journal_id: str
    subject: str
    lesson_id: str
    day: str
    mark_id: str
    student_id: str
    value: str
    recorded_at: str
    entered_by: str
    days_after: int


@dataclass(frozen=True)
class Unmarked:
    """A pupil of the group with no standing mark in a course journal in the period."""

    course_journal_id: str
    subject: str
    student_id: str


@dataclass(frozen=True)
class Unfilled:
    """A course journal with no lesson on any of the report's ``school_days``."""

    course_journal_id: str
    subject: str
    group_id: str
    last_lesson: str | None


@dataclass(frozen=True)
class Completeness:
    """Findings for the course journals in scope, from ``first`` to ``last`` as of
    ``as_of`` (ISO dates); ``school_days`` are the days checked for ``unfilled``."""

    first: str
    last: str
    as_of: str
    school_days: tuple[str, ...]
    missing_topics: tuple[MissingTopic, ...]
    late_marks: tuple[LateMark, ...]
    unmarked: tuple[Unmarked, ...]
    unfilled: tuple[Unfilled, ...]


def term_dates(reader: Reader, year_id: str, term: int) -> tuple[date, date]:
    """The first and last day of a term."""
    row = reader.get(catalog.TERMS, (str(year_id), term))
    if row is None:
        raise LookupError(f"no term {term}")
    return date.fromisoformat(row["starts"]), date.fromisoformat(row["ends"])


def completeness_report(
    reader: Reader,
    regulation: JournalRegulation,
    *,
    first: date,
    last: date,
    as_of: date,
    group_id: str | None = None,
    year_id: str | None = None,
    recent_days: int = 1,
) -> Completeness:
    """Completeness of the course journals of ``group_id`` (or of every group of
    ``year_id``) for lessons from ``first`` to ``last`` up to ``as_of`` (use
    ``term_dates`` for a term).

    - *missing topics*: lessons up to ``as_of`` with an empty topic;
    - *late marks*: marks first entered (corrections excluded, cancelled ones included)
      when the school-local date of ``recorded_at`` minus the lesson day exceeds
      ``entry_deadline_days``;
    - *unmarked*: pupils who belonged to the group in the period (up to ``as_of``) and
      have no standing mark (neither cancelled nor superseded) in that journal;
    - *not filled*: there is no timetable, so a journal counts as not filled when it has
      no lesson entered on any of the last ``recent_days`` school days up to and including
      ``as_of`` — school days being Monday to Friday inside a term of the year.
      ``recent_days=1`` asks "not filled for the date ``as_of``".
    """
    year, courses = _scope(reader, group_id, year_id)
    days = school_days(reader, year, as_of, recent_days)
    start, end = first.isoformat(), min(last, as_of).isoformat()
    topics: list[MissingTopic] = []
    late: list[LateMark] = []
    unmarked: list[Unmarked] = []
    unfilled: list[Unfilled] = []
    for course in courses:
        found = _journal(reader, regulation, course, (start, end), as_of, days)
        topics += found[0]
        late += found[1]
        unmarked += found[2]
        unfilled += found[3]
    return Completeness(
        start,
        last.isoformat(),
        as_of.isoformat(),
        tuple(days),
        tuple(topics),
        tuple(sorted(late, key=lambda m: (m.day, m.subject, m.recorded_at))),
        tuple(unmarked),
        tuple(unfilled),
    )


Findings = tuple[list[MissingTopic], list[LateMark], list[Unmarked], list[Unfilled]]


def _journal(
    reader: Reader,
    regulation: JournalRegulation,
    course: Row,
    span: tuple[str, str],
    as_of: date,
    days: list[str],
) -> Findings:
    """The findings of one course journal for lessons within ``span`` (ISO dates)."""
    every = reader.select(grid.LESSONS, {"course_journal_id": course["course_journal_id"]})
    lessons = sorted(
        (r for r in every if span[0] <= r["day"] <= span[1]),
        key=lambda r: (r["day"], r["period"]),
    )
    marks = reader.select(grid.MARKS, within=("lesson_id", [r["lesson_id"] for r in lessons]))
    held = {r["day"] for r in every if r["day"] <= as_of.isoformat()}
    return (
        _missing_topics(course, lessons, regulation, as_of),
        _late_marks(course, lessons, marks, regulation),
        _unmarked(reader, course, marks, *span),
        [_unfilled(course, held)] if days and not held & set(days) else [],
    )


def school_days(reader: Reader, year_id: str, as_of: date, count: int) -> list[str]:
    """The last ``count`` school days up to and including ``as_of``, newest first:
    ``SCHOOL_WEEKDAYS`` inside a term of the year (holidays fall between terms)."""
    terms = [
        (date.fromisoformat(t["starts"]), date.fromisoformat(t["ends"]))
        for t in reader.select(catalog.TERMS, {"year_id": str(year_id)})
    ]
    if not terms:
        return []
    earliest = min(starts for starts, _ in terms)
    found: list[str] = []
    day = as_of
    while len(found) < count and day >= earliest:
        if day.weekday() in SCHOOL_WEEKDAYS and any(s <= day <= e for s, e in terms):
            found.append(day.isoformat())
        day -= timedelta(days=1)
    return found


def _scope(reader: Reader, group_id: str | None, year_id: str | None) -> tuple[str, list[Row]]:
    """The school year and the course journals in scope, ordered by group and subject."""
    if group_id is not None:
        group = reader.get(catalog.GROUPS, (str(group_id),))
        if group is None:
            raise LookupError(f"no group {group_id}")
        courses = reader.select(catalog.COURSES, {"group_id": str(group_id)})
        year = str(group["year_id"])
    elif year_id is not None:
        year = str(year_id)
        courses = reader.select(catalog.COURSES, {"year_id": year})
    else:
        raise ValueError("completeness report needs a group or a school year")
    names = {
        r["group_id"]: r["name"]
        for r in reader.select(
            catalog.GROUPS, within=("group_id", {c["group_id"] for c in courses})
        )
    }
    courses.sort(key=lambda c: (names.get(c["group_id"], ""), c["group_id"], c["subject"]))
    return year, courses


def _missing_topics(
    course: Row, lessons: list[Row], regulation: JournalRegulation, as_of: date
) -> list[MissingTopic]:
    return [
        MissingTopic(
            course["course_journal_id"],
            course["subject"],
            r["lesson_id"],
            r["day"],
            r["period"],
            clock.days_between(date.fromisoformat(r["day"]), as_of)
            > regulation.entry_deadline_days,
        )
        for r in lessons
        if not (r["topic"] or "").strip()
    ]


def _late_marks(
    course: Row, lessons: list[Row], marks: list[Row], regulation: JournalRegulation
) -> list[LateMark]:
    day = {r["lesson_id"]: r["day"] for r in lessons}
    found = []
    for r in marks:
        if r["supersedes"] is not None:
            continue
        entered = datetime.fromisoformat(r["recorded_at"]).astimezone(clock.SCHOOL_TZ).date()
        after = clock.days_between(date.fromisoformat(day[r["lesson_id"]]), entered)
        if after > regulation.entry_deadline_days:
            found.append(
                LateMark(
                    course["course_journal_id"],
                    course["subject"],
                    r["lesson_id"],
                    day[r["lesson_id"]],
                    r["mark_id"],
                    r["student_id"],
                    r["value"],
                    r["recorded_at"],
                    r["entered_by"],
                    after,
                )
            )
    return found


def _unmarked(
    reader: Reader, course: Row, marks: list[Row], first: str, last: str
) -> list[Unmarked]:
    if first > last:
        return []
    marked = {r["student_id"] for r in marks if r["superseded_by"] is None and not r["cancelled"]}
    pupils = catalog.Membership(reader, course["group_id"]).between(first, last)
    return [
        Unmarked(course["course_journal_id"], course["subject"], p)
        for p in pupils
        if p not in marked
    ]


def _unfilled(course: Row, held: set[str]) -> Unfilled:
    return Unfilled(
        course["course_journal_id"],
        course["subject"],
        course["group_id"],
        max(held) if held else None,
    )
