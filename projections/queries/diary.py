"""The pupil's diary («дневник»): marks by subject with weighted averages, attendance and
homework, and what is new since a given moment (a parent's last visit).

Query-only: it reads the catalogue (membership, course journals) and the grid's tables
(lessons, marks, attendance); it keeps no tables of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain import clock
from domain.policies import GradingPolicy
from projections.store import Reader, Row
from projections.views import catalog, final_marks, grid

Periods = dict[str, list[tuple[str, str | None]]]


@dataclass(frozen=True)
class DiaryMark:
    """A mark that stands; ``corrected`` when it replaced an earlier one."""

    mark_id: str
    day: str
    value: str
    kind: str
    kind_title: str
    weight: int
    corrected: bool


@dataclass(frozen=True)
class DiaryAttendance:
    """An attendance code of one lesson («Н», «Б», «УП», «ОП»)."""

    day: str
    period: int
    code: str


@dataclass(frozen=True)
class DiaryHomework:
    """The homework set at a lesson."""

    day: str
    period: int
    topic: str
    homework: str


@dataclass(frozen=True)
class DiarySubject:
    """One course journal the pupil belongs to: a class subject or an extracurricular
    group's sessions (a pupil who changed class sees each class's journal separately)."""

    course_journal_id: str
    subject: str
    group_id: str
    group_name: str
    group_kind: str
    scale: str
    marks: tuple[DiaryMark, ...]
    average: float | None
    attendance: tuple[DiaryAttendance, ...]
    homework: tuple[DiaryHomework, ...]


@dataclass(frozen=True)
class DiaryNews:
    """Something that changed after ``since``. ``what`` is ``mark`` (recorded),
    ``corrected`` (``previous`` holds the replaced value), ``cancelled``, ``attendance``
    (``value`` is the code), ``homework`` (``value`` is the homework text) or ``final`` (a
    term mark of term ``term``, or the year mark when ``term`` is 0, set or — ``previous``
    "*" — corrected; ``day`` is the day it was set). ``ref`` is the mark's id (marks), the
    lesson's (attendance, homework) or ``final:<course journal>:<term>``."""

    at: str
    what: str
    course_journal_id: str
    subject: str
    day: str
    value: str
    previous: str = ""
    ref: str = field(default="", compare=False)
    term: int = 0


@dataclass(frozen=True)
class Diary:
    """A pupil's diary for a range of dates (ISO), with news since ``since``."""

    student_id: str
    first: str
    last: str
    since: str | None
    subjects: tuple[DiarySubject, ...]
    news: tuple[DiaryNews, ...]


def diary(
    reader: Reader,
    grading: GradingPolicy,
    student_id: str,
    *,
    year_id: str | None = None,
    first: date | None = None,
    last: date | None = None,
    since: datetime | None = None,
) -> Diary:
    """The diary of ``student_id`` for a school year (``year_id``) and/or a date range
    (``first``..``last``, inclusive; within the year when both are given).

    Subjects are the course journals of every class and extracurricular group the pupil
    belonged to during the range; only lessons on days of membership count. News (empty
    when ``since`` is None): current marks recorded or corrected after ``since``, marks
    cancelled after it, attendance codes marked after it, and lessons whose topic or
    homework was entered or changed after it (when they have homework). ``since`` must
    be timezone-aware.
    """
    start, end = _range(reader, year_id, first, last)
    sid = str(student_id)
    periods = _periods(reader, sid, start, end)
    courses = [
        c
        for c in reader.select(catalog.COURSES, within=("group_id", periods))
        if year_id is None or c["year_id"] == str(year_id)
    ]
    lessons = _lessons(reader, courses, periods, start, end)
    marks, codes = _entries(reader, sid, lessons)
    names = _group_names(reader, periods)
    standing = _standing(marks)
    code = {r["lesson_id"]: r["code"] for r in codes}
    subjects = [
        _subject(c, names.get(c["group_id"], ""), lessons, standing, code, grading) for c in courses
    ]
    subjects.sort(key=lambda s: (s.group_kind != "class", s.subject, s.group_name))
    if since is None:
        return Diary(sid, start, end, None, tuple(subjects), ())
    news = _news(lessons, courses, marks, codes, since)
    news += _final_news(reader, sid, courses, since)
    news.sort(key=lambda n: (datetime.fromisoformat(n.at), n.subject, n.day, n.what, n.value))
    return Diary(sid, start, end, since.isoformat(), tuple(subjects), tuple(news))


def _entries(
    reader: Reader, student_id: str, lessons: dict[str, Row]
) -> tuple[list[Row], list[Row]]:
    """The pupil's marks (every state) and attendance codes at ``lessons``."""
    marks = reader.select(grid.MARKS, {"student_id": student_id})
    codes = reader.select(grid.ATTENDANCE, {"student_id": student_id})
    return (
        [r for r in marks if r["lesson_id"] in lessons],
        [
            {**r, "code": code}
            for r in codes
            if r["lesson_id"] in lessons and (code := grid.code_of(r))
        ],
    )


def _standing(marks: list[Row]) -> dict[str, list[Row]]:
    """Standing marks by lesson, in the order they were recorded."""
    found: dict[str, list[Row]] = {}
    for r in sorted(marks, key=lambda r: str(r["recorded_at"])):
        if _stands(r):
            found.setdefault(r["lesson_id"], []).append(r)
    return found


def _range(
    reader: Reader, year_id: str | None, first: date | None, last: date | None
) -> tuple[str, str]:
    start, end = (first.isoformat() if first else None), (last.isoformat() if last else None)
    if year_id is not None:
        year = reader.get(catalog.YEARS, (str(year_id),))
        if year is None:
            raise LookupError(f"no school year {year_id}")
        start, end = (
            max(start or year["starts"], year["starts"]),
            min(end or year["ends"], year["ends"]),
        )
    if start is None or end is None:
        raise ValueError("diary needs a school year or both ends of a date range")
    return start, end


def _periods(reader: Reader, student_id: str, first: str, last: str) -> Periods:
    """The pupil's membership periods by group, for groups joined during the range."""
    periods: Periods = {}
    for row in reader.select(catalog.MEMBERS, {"student_id": student_id}):
        if row["since"] <= last and (row["until"] is None or row["until"] > first):
            periods.setdefault(row["group_id"], []).append((row["since"], row["until"]))
    return periods


def _member(periods: Iterable[tuple[str, str | None]], day: str) -> bool:
    return any(since <= day and (until is None or day < until) for since, until in periods)


def _lessons(
    reader: Reader, courses: list[Row], periods: Periods, first: str, last: str
) -> dict[str, Row]:
    group_of = {c["course_journal_id"]: c["group_id"] for c in courses}
    rows = reader.select(grid.LESSONS, within=("course_journal_id", group_of))
    rows.sort(key=lambda r: (r["day"], r["period"]))
    return {
        r["lesson_id"]: r
        for r in rows
        if first <= r["day"] <= last
        and _member(periods[group_of[r["course_journal_id"]]], r["day"])
    }


def _group_names(reader: Reader, group_ids: Iterable[str]) -> dict[str, str]:
    return {
        r["group_id"]: r["name"]
        for r in reader.select(catalog.GROUPS, within=("group_id", group_ids))
    }


def _subject(
    course: Row,
    group_name: str,
    lessons: dict[str, Row],
    standing: dict[str, list[Row]],
    code: dict[str, str],
    grading: GradingPolicy,
) -> DiarySubject:
    """One course journal's part of the diary; ``lessons`` are in (day, period) order,
    ``standing`` holds the pupil's standing marks by lesson, ``code`` attendance codes."""
    cid = course["course_journal_id"]
    mine = [r for r in lessons.values() if r["course_journal_id"] == cid]
    shown = tuple(
        _mark(m, r["day"], grading) for r in mine for m in standing.get(r["lesson_id"], ())
    )
    cells = [grid.Cell(m.mark_id, m.value, m.kind, m.weight, m.corrected) for m in shown]
    return DiarySubject(
        cid,
        course["subject"],
        course["group_id"],
        group_name,
        course["group_kind"],
        course["scale"],
        shown,
        grid.weighted_average(cells, grading, course["scale"]),
        tuple(
            DiaryAttendance(r["day"], r["period"], code[r["lesson_id"]])
            for r in mine
            if r["lesson_id"] in code
        ),
        tuple(
            DiaryHomework(r["day"], r["period"], r["topic"], r["homework"])
            for r in mine
            if r["homework"]
        ),
    )


def _stands(row: Row) -> bool:
    return row["superseded_by"] is None and not row["cancelled"]


def _mark(row: Row, day: str, grading: GradingPolicy) -> DiaryMark:
    kind = grading.kinds.get(row["kind"])
    return DiaryMark(
        row["mark_id"],
        day,
        row["value"],
        row["kind"],
        kind.title if kind else row["kind"],
        kind.weight if kind else 1,
        row["supersedes"] is not None,
    )


def _final_news(
    reader: Reader, student_id: str, courses: list[Row], since: datetime
) -> list[DiaryNews]:
    """Term and year marks of the pupil in ``courses`` set or corrected after ``since``."""
    subject = {c["course_journal_id"]: c["subject"] for c in courses}
    found = []
    for key, mark in final_marks.of_pupil(reader, student_id).items():
        course, term = key
        if course in subject and _after(mark.set_at, since):
            day = clock.local_date(datetime.fromisoformat(mark.set_at)).isoformat()
            found.append(
                DiaryNews(
                    mark.set_at,
                    "final",
                    course,
                    subject[course],
                    day,
                    mark.value,
                    "*" if mark.corrected else "",
                    f"final:{course}:{term}",
                    term,
                )
            )
    return found


def _after(moment: Any, since: datetime) -> bool:
    return moment is not None and datetime.fromisoformat(str(moment)) > since


def _news(
    lessons: dict[str, Row],
    courses: list[Row],
    marks: list[Row],
    codes: list[Row],
    since: datetime,
) -> list[DiaryNews]:
    subject = {c["course_journal_id"]: c["subject"] for c in courses}
    value = {r["mark_id"]: r["value"] for r in marks}

    def item(
        at: Any, what: str, lesson_id: str, text: str, previous: str = "", ref: str = ""
    ) -> DiaryNews:
        lesson = lessons[lesson_id]
        cid = lesson["course_journal_id"]
        return DiaryNews(
            str(at), what, cid, subject[cid], lesson["day"], text, previous, ref or lesson_id
        )

    news = []
    for r in marks:
        if r["cancelled"] and _after(r["changed_at"], since):
            news.append(
                item(r["changed_at"], "cancelled", r["lesson_id"], r["value"], "", r["mark_id"])
            )
        elif _stands(r) and _after(r["recorded_at"], since):
            what = "mark" if r["supersedes"] is None else "corrected"
            previous = value.get(r["supersedes"], "") if r["supersedes"] else ""
            news.append(
                item(r["recorded_at"], what, r["lesson_id"], r["value"], previous, r["mark_id"])
            )
    for r in codes:
        if _after(r["marked_at"], since):
            news.append(item(r["marked_at"], "attendance", r["lesson_id"], r["code"]))
    for r in lessons.values():
        if r["homework"] and _after(r["changed_at"], since):
            news.append(item(r["changed_at"], "homework", r["lesson_id"], r["homework"]))
    news.sort(key=lambda n: (datetime.fromisoformat(n.at), n.subject, n.day, n.what, n.value))
    return news
