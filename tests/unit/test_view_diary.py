"""The pupil's diary: marks by subject with weighted averages, attendance, homework, and
what is new since a visit — against hand-computed cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest

from domain.lesson import MarkEntry
from projections.queries.diary import (
    DiaryAttendance,
    DiaryHomework,
    DiaryMark,
    DiaryNews,
    diary,
)
from tests.school import School, at
from tests.unit.conftest import on
from tests.views import memory_views

D16, D17, D18, D19 = (date(2025, 9, d) for d in (16, 17, 18, 19))
REASON = "Ошибка при вводе"
#: The parent's last visit: the evening of 18 September, school time.
VISIT = at(D18, 20)


@dataclass
class Scenario:
    """The school plus an extracurricular group (robotics) the first pupil attends."""

    school: School
    robo_group: UUID
    robo: UUID
    math16: UUID
    math17: UUID
    robo18: UUID
    marks: dict[str, UUID]


def _robotics(s: School) -> tuple[UUID, UUID]:
    j, admin = s.journal, s.admin
    with on(date(2025, 8, 26)):
        group = j.classes.form_activity_group(s.year_id, "robo", "Робототехника", admin).id
        j.classes.add_member(group, s.pupils[0], date(2025, 9, 1), admin)
        course = j.classes.open_course_journal(group, "Робототехника", "pass_fail", admin).id
        j.classes.assign_teacher(course, s.other_teacher, admin)
    return group, course


def _before_the_visit(s: School, robo: UUID) -> tuple[UUID, UUID, UUID, dict[str, UUID]]:
    """Math on 16.09 (5 answer, 3 test) and 17.09 (4 dictation, 2 answer; a is late);
    robotics on 18.09. The other pupil gets a 2 that must not show in a's diary."""
    j, a, b = s.journal, s.pupils[0], s.pupils[1]
    math16 = s.hold(D16, 2)
    math17 = s.hold(D17, 1)
    robo18 = s.hold(D18, 7, course=robo)
    with on(D16):
        five, test, _ = j.entry.record_marks(
            math16,
            [MarkEntry(a, "5", "answer"), MarkEntry(a, "3", "test"), MarkEntry(b, "2", "answer")],
            s.teacher,
        ).created
    with on(D17):
        dictation, two = j.entry.record_marks(
            math17, [MarkEntry(a, "4", "dictation"), MarkEntry(a, "2", "answer")], s.teacher
        ).created
        j.entry.mark_attendance(math17, {a: "ОП"}, s.teacher)
    return math16, math17, robo18, {"five": five, "test": test, "two": two, "dict": dictation}


def _after_the_visit(s: Scenario) -> None:
    """19.09: the test 3 corrected to 4 (10:00), the 2 cancelled (11:00), homework for
    17.09 changed (12:00), robotics: «зач» (13:00) and «Б» (14:00)."""
    j, t, a = s.school.journal, s.school.teacher, s.school.pupils[0]
    with on(D19, 10):
        j.entry.correct_mark(s.math16, s.marks["test"], "4", "test", REASON, t)
    with on(D19, 11):
        j.entry.cancel_mark(s.math17, s.marks["two"], REASON, t)
    with on(D19, 12):
        j.entry.change_topic(s.math17, "Углы", "стр. 40", t)
    with on(D19, 13):
        j.entry.record_marks(s.robo18, [MarkEntry(a, "зач", "project")], s.school.other_teacher)
    with on(D19, 14):
        j.entry.mark_attendance(s.robo18, {a: "Б"}, s.school.other_teacher)


@pytest.fixture
def scenario(school: School) -> Scenario:
    group, robo = _robotics(school)
    math16, math17, robo18, marks = _before_the_visit(school, robo)
    built = Scenario(school, group, robo, math16, math17, robo18, marks)
    _after_the_visit(built)
    return built


def test_subjects_are_class_journals_then_extracurricular_groups(scenario, policies):
    s = scenario.school
    found = diary(
        memory_views(s.journal), policies.grading, str(s.pupils[0]), year_id=str(s.year_id)
    )
    assert [(x.subject, x.group_name, x.group_kind) for x in found.subjects] == [
        ("Математика", "5А", "class"),
        ("Робототехника", "Робототехника", "activity"),
    ]
    assert (found.first, found.last) == ("2025-09-01", "2026-05-31")


def test_pupil_not_in_the_group_does_not_see_its_sessions(scenario, policies):
    s = scenario.school
    found = diary(
        memory_views(s.journal), policies.grading, str(s.pupils[2]), year_id=str(s.year_id)
    )
    assert [x.subject for x in found.subjects] == ["Математика"]
    assert found.subjects[0].marks == ()
    assert found.subjects[0].average is None


def test_marks_and_weighted_average(scenario, policies):
    """Standing marks: 5 (answer, ×1), 4 (test corrected from 3, ×3), 4 (dictation, ×2);
    the cancelled 2 is gone: (5 + 12 + 8) / 6 = 4.1666… → 4.17."""
    s, m = scenario.school, scenario.marks
    found = diary(
        memory_views(s.journal), policies.grading, str(s.pupils[0]), year_id=str(s.year_id)
    )
    math, robo = found.subjects
    five, corrected, dictation = math.marks
    assert five == DiaryMark(
        str(m["five"]), "2025-09-16", "5", "answer", "Ответ на уроке", 1, False
    )
    assert corrected.mark_id != str(m["test"])
    assert (corrected.day, corrected.value, corrected.kind_title, corrected.weight) == (
        "2025-09-16",
        "4",
        "Контрольная работа",
        3,
    )
    assert corrected.corrected is True
    assert dictation == DiaryMark(
        str(m["dict"]), "2025-09-17", "4", "dictation", "Диктант", 2, False
    )
    assert str(m["two"]) not in {x.mark_id for x in math.marks}
    assert math.average == 4.17
    assert [(x.value, x.weight) for x in robo.marks] == [("зач", 3)]
    assert robo.average is None  # pass/fail: no average


def test_attendance_and_homework_by_lesson_date(scenario, policies):
    s = scenario.school
    found = diary(
        memory_views(s.journal), policies.grading, str(s.pupils[0]), year_id=str(s.year_id)
    )
    math, robo = found.subjects
    assert math.attendance == (DiaryAttendance("2025-09-17", 1, "ОП"),)
    assert robo.attendance == (DiaryAttendance("2025-09-18", 7, "Б"),)
    assert math.homework == (
        DiaryHomework("2025-09-16", 2, "Дроби", "№ 12"),
        DiaryHomework("2025-09-17", 1, "Углы", "стр. 40"),
    )
    assert robo.homework == (DiaryHomework("2025-09-18", 7, "Дроби", "№ 12"),)


def test_news_since_the_last_visit(scenario, policies):
    s = scenario.school
    math, robo = str(s.course_id), str(scenario.robo)
    found = diary(
        memory_views(s.journal),
        policies.grading,
        str(s.pupils[0]),
        year_id=str(s.year_id),
        since=VISIT,
    )
    assert found.since == VISIT.isoformat()
    assert found.news == (
        DiaryNews(at(D19, 10).isoformat(), "corrected", math, "Математика", "2025-09-16", "4", "3"),
        DiaryNews(at(D19, 11).isoformat(), "cancelled", math, "Математика", "2025-09-17", "2"),
        DiaryNews(at(D19, 12).isoformat(), "homework", math, "Математика", "2025-09-17", "стр. 40"),
        DiaryNews(at(D19, 13).isoformat(), "mark", robo, "Робототехника", "2025-09-18", "зач"),
        DiaryNews(at(D19, 14).isoformat(), "attendance", robo, "Робототехника", "2025-09-18", "Б"),
    )


def test_news_since_before_the_robotics_session_includes_it(scenario, policies):
    """A visit on 18.09 at 8:00: the robotics session (held at 9:00 with homework) and
    the 18.09 happenings are new; the marks of 16–17.09 are not."""
    s = scenario.school
    found = diary(
        memory_views(s.journal),
        policies.grading,
        str(s.pupils[0]),
        year_id=str(s.year_id),
        since=at(D18, 8),
    )
    assert [(n.what, n.day, n.value) for n in found.news] == [
        ("homework", "2025-09-18", "№ 12"),
        ("corrected", "2025-09-16", "4"),
        ("cancelled", "2025-09-17", "2"),
        ("homework", "2025-09-17", "стр. 40"),
        ("mark", "2025-09-18", "зач"),
        ("attendance", "2025-09-18", "Б"),
    ]


def test_no_news_without_since(scenario, policies):
    s = scenario.school
    found = diary(
        memory_views(s.journal), policies.grading, str(s.pupils[0]), year_id=str(s.year_id)
    )
    assert found.since is None
    assert found.news == ()


def test_date_range_limits_marks_and_average(scenario, policies):
    """From 17.09 only the dictation 4 stands in mathematics: average 4.0."""
    s = scenario.school
    found = diary(
        memory_views(s.journal),
        policies.grading,
        str(s.pupils[0]),
        first=D17,
        last=date(2025, 9, 30),
    )
    math = found.subjects[0]
    assert [x.value for x in math.marks] == ["4"]
    assert math.average == 4.0
    assert [h.day for h in math.homework] == ["2025-09-17"]


def test_extracurricular_sessions_only_while_a_member(scenario, policies):
    """Removed from robotics on 18.09 (first day away): its session that day is not hers,
    so the group's journal drops out of a diary from 18.09."""
    s = scenario.school
    with on(D19, 16):
        s.journal.classes.remove_member(
            scenario.robo_group, s.pupils[0], D18, "По заявлению", s.admin
        )
    found = diary(memory_views(s.journal), policies.grading, str(s.pupils[0]), first=D18, last=D19)
    assert [x.subject for x in found.subjects] == ["Математика"]


def test_diary_needs_a_year_or_a_range(scenario, policies):
    s = scenario.school
    with pytest.raises(ValueError, match="date range"):
        diary(memory_views(s.journal), policies.grading, str(s.pupils[0]), first=D17)
