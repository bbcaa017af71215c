"""The attendance and filling-completeness reports, against hand-computed cases.

One week of 5А (15–21.09.2025, lessons Tue 16 – Fri 19) plus Monday 22.09: mathematics on
16 (p2), 17 (p1, no topic), 18 (p2), 19 (p1, no topic) and 22 (p1); Russian on 16 (p3).
Pupil c is withdrawn from 18.09. The deputy enters a mark for 16.09 at 01:00 on 20.09
(school time; still 19.09 in UTC) — four school-calendar days late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain import clock
from domain.lesson import MarkEntry
from projections.queries.attendance import AttendanceLine, attendance_report
from projections.queries.completeness import (
    LateMark,
    MissingTopic,
    Unfilled,
    Unmarked,
    completeness_report,
    school_days,
    term_dates,
)
from projections.views import catalog, grid
from tests.school import School
from tests.unit.conftest import on
from tests.views import memory_views, processor

D16, D17, D18, D19, D22 = (date(2025, 9, d) for d in (16, 17, 18, 19, 22))
WEEK = (date(2025, 9, 15), date(2025, 9, 21))
REASON = "Ошибка при вводе"
LATE_ENTRY = datetime(2025, 9, 20, 1, 0, tzinfo=clock.SCHOOL_TZ)


@dataclass
class Week:
    """Ids of the scenario."""

    school: School
    russian: UUID
    lessons: dict[str, UUID]
    late_mark: UUID

    @property
    def a(self) -> str:
        return str(self.school.pupils[0])

    @property
    def b(self) -> str:
        return str(self.school.pupils[1])

    @property
    def c(self) -> str:
        return str(self.school.pupils[2])


def _lessons(s: School, russian: UUID) -> dict[str, UUID]:
    j, t = s.journal, s.teacher
    found = {"math16": s.hold(D16, 2), "math18": s.hold(D18, 2)}
    for name, day in (("math17", D17), ("math19", D19)):
        with on(day, 9):
            found[name] = j.entry.hold_lesson(s.course_id, day, 1, "", "", t).id
    with on(D16, 9):
        found["ru16"] = j.entry.hold_lesson(russian, D16, 3, "Диктант", "упр. 5", t).id
    with on(D22, 9):
        found["math22"] = j.entry.hold_lesson(s.course_id, D22, 1, "Повторение", "", t).id
    return found


def _attendance(s: School, ls: dict[str, UUID]) -> None:
    j, t = s.journal, s.teacher
    a, b, c = s.pupils
    with on(D16):
        j.entry.mark_attendance(ls["math16"], {a: "Н"}, t)
        j.entry.mark_attendance(ls["ru16"], {a: "ОП"}, t)
    with on(D17):
        j.entry.mark_attendance(ls["math17"], {a: "Б", c: "Н"}, t)
    with on(D17, 18):
        j.classes.withdraw(s.class_id, c, D18, "Переезд в другой город", s.admin)
    with on(D18):
        j.entry.mark_attendance(ls["math18"], {b: "УП"}, t)
    with on(D19):
        j.entry.mark_attendance(ls["math19"], {b: "Н"}, t)
    with on(D19, 16):  # a mistake, corrected to "present": not counted
        j.entry.correct_attendance(ls["math19"], b, "", REASON, t)
    with on(D22):  # outside the week
        j.entry.mark_attendance(ls["math22"], {a: "Н"}, t)


def _marks(s: School, ls: dict[str, UUID]) -> UUID:
    j, t = s.journal, s.teacher
    a, b, _ = s.pupils
    with on(D16):
        five = j.entry.record_marks(ls["ru16"], [MarkEntry(a, "5", "answer")], t).created[0]
    with on(D17):
        j.entry.cancel_mark(ls["ru16"], five, REASON, t)
    with on(D19):  # three days after the lesson: the last day of the deadline
        j.entry.record_marks(ls["math16"], [MarkEntry(a, "4", "answer")], t)
    with clock.travel(LATE_ENTRY):
        return j.entry.record_marks(ls["math16"], [MarkEntry(b, "4", "answer")], s.deputy).created[
            0
        ]


@pytest.fixture
def week(school: School) -> Week:
    with on(date(2025, 8, 26)):
        russian = school.journal.classes.open_course_journal(
            school.class_id, "Русский язык", "five_point", school.admin
        ).id
        school.journal.classes.assign_teacher(russian, school.teacher, school.admin)
    lessons = _lessons(school, russian)
    _attendance(school, lessons)
    late = _marks(school, lessons)
    return Week(school, russian, lessons, late)


# --- attendance ------------------------------------------------------------------------
def codes(n: int = 0, b: int = 0, up: int = 0, op: int = 0) -> dict[str, int]:
    return {"Н": n, "Б": b, "УП": up, "ОП": op}


def test_attendance_per_pupil(week, policies):
    """a: 5 lessons, Н + Б absent (1 unexcused, 1 excused), late once: 2/5. b: УП 1/5 (the
    corrected Н does not count). c, withdrawn from 18.09: 3 lessons (16 ×2, 17), Н: 1/3."""
    s = week.school
    report = attendance_report(memory_views(s.journal), policies.attendance, str(s.class_id), *WEEK)
    assert (report.group_name, report.first, report.last) == ("5А", "2025-09-15", "2025-09-21")
    lines = {line.student_id: line for line in report.pupils}
    assert set(lines) == {week.a, week.b, week.c}
    assert lines[week.a] == AttendanceLine(week.a, 5, codes(n=1, b=1, op=1), 2, 1, 1, 1, 0.4)
    assert lines[week.b] == AttendanceLine(week.b, 5, codes(up=1), 1, 1, 0, 0, 0.2)
    assert lines[week.c] == AttendanceLine(week.c, 3, codes(n=1), 1, 0, 1, 0, 0.3333)


def test_attendance_totals_for_the_class(week, policies):
    """13 pupil-lessons (5 + 5 + 3), 4 absences (Н ×2, Б, УП): 4/13 = 0.3077."""
    s = week.school
    report = attendance_report(memory_views(s.journal), policies.attendance, str(s.class_id), *WEEK)
    assert report.total == AttendanceLine(None, 13, codes(n=2, b=1, up=1, op=1), 4, 2, 2, 1, 0.3077)


def test_withdrawn_pupil_is_not_listed_after_withdrawal(week, policies):
    s = week.school
    report = attendance_report(
        memory_views(s.journal), policies.attendance, str(s.class_id), D22, D22
    )
    assert [line.student_id for line in report.pupils] == sorted([week.a, week.b])
    assert report.total == AttendanceLine(None, 2, codes(n=1), 1, 0, 1, 0, 0.5)


def test_period_without_lessons_has_no_share(week, policies):
    s = week.school
    store, _ = processor(s.journal).build_in_memory((catalog.VIEW, grid.VIEW))
    sunday = date(2025, 9, 21)
    report = attendance_report(store, policies.attendance, str(s.class_id), sunday, sunday)
    assert report.total == AttendanceLine(None, 0, codes(), 0, 0, 0, 0, None)


# --- completeness ----------------------------------------------------------------------
def report(week: Week, policies, *, recent: int = 1, as_of: date = D22, year: bool = False):
    s = week.school
    first, last = term_dates(memory_views(s.journal), str(s.year_id), 1)
    scope = {"year_id": str(s.year_id)} if year else {"group_id": str(s.class_id)}
    return completeness_report(
        memory_views(s.journal),
        policies.journal,
        first=first,
        last=last,
        as_of=as_of,
        recent_days=recent,
        **scope,
    )


def test_lessons_without_a_topic(week, policies):
    """17.09 is 5 days before 22.09 (overdue, deadline 3); 19.09 is 3 days (not yet)."""
    found = report(week, policies)
    math = str(week.school.course_id)
    assert (found.first, found.last, found.as_of) == ("2025-09-01", "2025-10-26", "2025-09-22")
    assert found.missing_topics == (
        MissingTopic(math, "Математика", str(week.lessons["math17"]), "2025-09-17", 1, True),
        MissingTopic(math, "Математика", str(week.lessons["math19"]), "2025-09-19", 1, False),
    )


def test_marks_entered_after_the_deadline_with_who_entered_them(week, policies):
    """The deputy's mark at 01:00 on 20.09 school time is 4 days late (in UTC it is still
    19.09, which would be 3 — on time). The teacher's mark on 19.09 is exactly on time."""
    found = report(week, policies)
    s = week.school
    assert found.late_marks == (
        LateMark(
            str(s.course_id),
            "Математика",
            str(week.lessons["math16"]),
            "2025-09-16",
            str(week.late_mark),
            week.b,
            "4",
            LATE_ENTRY.astimezone(UTC).isoformat(),
            str(s.deputy),
            4,
        ),
    )


def test_pupils_with_no_mark_in_the_term(week, policies):
    """Mathematics: only c (withdrawn, but a member during the term). Russian: a's only
    mark was cancelled, so all three."""
    found = report(week, policies)
    math, ru = str(week.school.course_id), str(week.russian)
    assert found.unmarked == (
        Unmarked(math, "Математика", week.c),
        *(Unmarked(ru, "Русский язык", p) for p in sorted([week.a, week.b, week.c])),
    )


def test_journals_not_filled_for_the_date(week, policies):
    """22.09: mathematics has a lesson, Russian (last lesson 16.09) has none."""
    found = report(week, policies)
    assert found.school_days == ("2025-09-22",)
    assert found.unfilled == (
        Unfilled(str(week.russian), "Русский язык", str(week.school.class_id), "2025-09-16"),
    )


def test_journals_not_filled_in_the_last_school_days(week, policies):
    """Three school days back from 22.09 skip the weekend: 22, 19, 18 — Russian still
    unfilled; five days reach 16.09, when it had a lesson."""
    found = report(week, policies, recent=3)
    assert found.school_days == ("2025-09-22", "2025-09-19", "2025-09-18")
    assert [u.subject for u in found.unfilled] == ["Русский язык"]
    assert report(week, policies, recent=5).unfilled == ()


def test_year_scope_covers_every_class(week, policies):
    """The whole year adds 5Б: its mathematics has no lessons and one unmarked pupil."""
    found = report(week, policies, year=True)
    s = week.school
    assert [(u.subject, u.last_lesson) for u in found.unfilled] == [
        ("Русский язык", "2025-09-16"),
        ("Математика", None),
    ]
    assert found.unfilled[1].group_id == str(s.other_class_id)
    assert Unmarked(str(s.other_course_id), "Математика", str(s.outsider)) in found.unmarked
    assert len(found.missing_topics) == 2


def test_as_of_limits_the_report(week, policies):
    """As of Thursday 18.09 the lesson of 19.09 is not counted yet, and the 17.09 one is
    not overdue (1 day)."""
    found = report(week, policies, as_of=D18)
    assert [(t.day, t.overdue) for t in found.missing_topics] == [("2025-09-17", False)]
    assert found.school_days == ("2025-09-18",)
    assert found.unfilled == (
        Unfilled(str(week.russian), "Русский язык", str(week.school.class_id), "2025-09-16"),
    )


def test_school_days_skip_weekends_and_holidays(week):
    """3.11.2025 falls in the holidays after the first term (ends Sunday 26.10)."""
    s = week.school
    days = school_days(memory_views(s.journal), str(s.year_id), date(2025, 11, 3), 2)
    assert days == ["2025-10-24", "2025-10-23"]
