"""The timetable (ADR 0019): lessons scheduled from the weekly pattern inside the terms,
skipping days off; substitutions let exactly the substitute keep that one lesson; the
thematic plan's topics taken in order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import clock, ids
from domain.errors import (
    InvalidTimetable,
    LessonAlreadyHeld,
    NotCourseTeacher,
    NotScheduled,
    RoleRequired,
    ThematicPlanRejected,
    TimetableRejected,
)
from domain.lesson import Lesson, MarkEntry
from domain.scheduling import PlanRow, SlotRow
from domain.timetable import Bell, PlanItem, plan_item
from tests.unit.conftest import on

BELLS = [Bell(1, "8:30", "9:15"), Bell(2, "09:25", "10:10"), Bell(3, "10:20", "11:05")]
MONDAY = date(2025, 9, 15)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def timetabled(school):
    """5А's mathematics on Mondays (period 1) and Tuesdays (period 2) from 1 September."""
    j = school.journal
    with on(date(2025, 8, 28)):
        j.timetable.set_bells(school.year_id, BELLS, school.deputy)
        j.timetable.set_pattern(school.course_id, date(2025, 9, 1), [(0, 1), (1, 2)], school.deputy)
    return school


def test_lessons_are_scheduled_in_terms_on_pattern_days_and_skip_days_off(timetabled):
    j, school = timetabled.journal, timetabled
    with on(date(2025, 8, 29)):
        j.timetable.declare_days_off(
            school.year_id, date(2025, 9, 8), date(2025, 9, 9), "Карантин", school.deputy
        )
    lessons = j.timetable.scheduled(school.course_id)
    days = [(s.day, s.period) for s in lessons]
    assert days[:4] == [
        (date(2025, 9, 1), 1),
        (date(2025, 9, 2), 2),
        (MONDAY, 1),  # 8 and 9 September are days off
        (TUESDAY, 2),
    ]
    assert [s.number for s in lessons[:4]] == [0, 1, 2, 3]
    # nothing in the holidays between the quarters (27 October – 4 November)
    assert not [d for d, _ in days if date(2025, 10, 27) <= d <= date(2025, 11, 4)]
    assert all(d.weekday() in (0, 1) for d, _ in days)


def test_a_pattern_changed_from_a_date_keeps_the_weeks_before(timetabled):
    j, school = timetabled.journal, timetabled
    with on(date(2025, 9, 20)):
        j.timetable.set_pattern(school.course_id, date(2025, 9, 22), [(2, 3)], school.deputy)
    days = [(s.day, s.period) for s in j.timetable.scheduled(school.course_id)]
    assert (TUESDAY, 2) in days
    assert (date(2025, 9, 23), 2) not in days
    assert (date(2025, 9, 24), 3) in days


def test_bells_and_patterns_are_checked(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    with rejects(InvalidTimetable):
        j.timetable.set_bells(
            school.year_id, [Bell(1, "8:30", "9:15"), Bell(2, "9:00", "9:40")], school.deputy
        )
    with rejects(InvalidTimetable):
        j.timetable.set_pattern(school.course_id, MONDAY, [(0, 7)], school.deputy)
    with rejects(RoleRequired):
        j.timetable.set_pattern(school.course_id, MONDAY, [(0, 1)], school.teacher)


def test_holding_a_scheduled_lesson_takes_the_plans_topics_in_order(timetabled):
    j, school = timetabled.journal, timetabled
    rows = [PlanRow(2, 1, "Натуральные числа", 2, "§ 1"), PlanRow(3, 2, "Дроби", 1, "§ 2, № 5")]
    with on(date(2025, 8, 29)):
        j.timetable.import_plan(school.course_id, rows, school.deputy)
    # lesson 0 and 1 take row 1 (two hours), lesson 2 takes row 2, lesson 3 is past the plan
    with on(date(2025, 9, 2), 12):
        second = j.timetable.hold_scheduled(
            school.course_id, date(2025, 9, 2), 2, school.teacher
        ).id
    with on(date(2025, 9, 8), 12):
        third = j.timetable.hold_scheduled(school.course_id, date(2025, 9, 8), 1, school.teacher).id
    with on(date(2025, 9, 9), 12):
        fourth = j.timetable.hold_scheduled(
            school.course_id, date(2025, 9, 9), 2, school.teacher
        ).id
    topics = [
        (j.queries.lesson(x).topic, j.queries.lesson(x).homework) for x in (second, third, fourth)
    ]
    assert topics == [("Натуральные числа", "§ 1"), ("Дроби", "§ 2, № 5"), ("", "")]
    assert third == ids.lesson_id(school.course_id, date(2025, 9, 8), 1)


def test_a_lesson_not_in_the_timetable_cannot_be_held_from_it(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    with on(MONDAY, 12), rejects(NotScheduled):
        j.timetable.hold_scheduled(school.course_id, MONDAY, 2, school.teacher)
    with on(date(2025, 10, 28), 12), rejects(NotScheduled):  # holidays
        j.timetable.hold_scheduled(school.course_id, date(2025, 10, 28), 2, school.teacher)


def test_the_substitute_keeps_exactly_the_substituted_lesson(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    substitute = school.other_teacher
    with on(date(2025, 9, 12)):
        j.timetable.assign_substitute(
            school.course_id, MONDAY, 1, substitute, "Больничный", school.deputy
        )
    with on(MONDAY, 12):
        lesson = j.timetable.hold_scheduled(school.course_id, MONDAY, 1, substitute).id
        j.entry.record_marks(lesson, [MarkEntry(school.pupils[0], "5", "answer")], substitute)
        # not the next lesson of the same course
    with on(TUESDAY, 12), rejects(NotCourseTeacher):
        j.timetable.hold_scheduled(school.course_id, TUESDAY, 2, substitute)
    assert j.repository.get(lesson).substitute_id == substitute
    # the lesson is held: its substitution stays as recorded
    with on(MONDAY, 13), rejects(LessonAlreadyHeld):
        j.timetable.cancel_substitution(school.course_id, MONDAY, 1, school.deputy)
    with on(MONDAY, 13), rejects(LessonAlreadyHeld):
        j.timetable.assign_substitute(
            school.course_id, MONDAY, 1, school.teacher, "Вернулась", school.deputy
        )


def test_a_substitution_is_only_for_a_scheduled_lesson_by_a_teacher(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    with on(date(2025, 9, 12)), rejects(NotScheduled):
        j.timetable.assign_substitute(
            school.course_id, MONDAY, 3, school.other_teacher, "Больничный", school.deputy
        )
    with on(date(2025, 9, 12)), rejects(RoleRequired):
        j.timetable.assign_substitute(
            school.course_id, MONDAY, 1, school.head, "Больничный", school.deputy
        )


def test_a_cancelled_substitution_gives_the_lesson_back(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    with on(date(2025, 9, 12)):
        j.timetable.assign_substitute(
            school.course_id, MONDAY, 1, school.other_teacher, "Больничный", school.deputy
        )
        j.timetable.cancel_substitution(school.course_id, MONDAY, 1, school.deputy)
    with on(MONDAY, 12), rejects(NotCourseTeacher):
        j.timetable.hold_scheduled(school.course_id, MONDAY, 1, school.other_teacher)
    with on(MONDAY, 12):
        lesson = j.timetable.hold_scheduled(school.course_id, MONDAY, 1, school.teacher).id
    assert j.repository.get(lesson).substitute_id is None


def test_plan_rows_are_checked_all_or_nothing(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    rows = [PlanRow(2, 1, "Дроби", 1, ""), PlanRow(3, 3, "", 0, "")]
    with rejects(ThematicPlanRejected) as refused:
        j.timetable.import_plan(school.course_id, rows, school.deputy)
    problems = refused.value.problems
    assert {line for line, _ in problems} == {3}
    assert any("по порядку должен быть 2" in m for _, m in problems)
    assert any("Не указана тема" in m for _, m in problems)
    assert any("Часов должно быть" in m for _, m in problems)


def test_an_imported_timetable_names_every_clash_and_saves_nothing(timetabled, rejects):
    j, school = timetabled.journal, timetabled
    russian = j.classes.open_course_journal(
        school.class_id, "Русский язык", "five_point", school.admin
    ).id
    j.classes.assign_teacher(russian, school.teacher, school.admin)
    rows = [
        SlotRow(2, school.course_id, 2, 1),
        SlotRow(3, russian, 2, 1),  # 5А already has mathematics then (and so does its teacher)
        SlotRow(4, russian, 3, 9),  # no 9th period
    ]
    with rejects(TimetableRejected) as refused:
        j.timetable.import_timetable(school.year_id, rows, MONDAY, school.deputy)
    lines = {line for line, _ in refused.value.problems}
    assert lines == {3, 4}
    with on(date(2025, 9, 12)):
        j.timetable.import_timetable(school.year_id, rows[:1] + rows[2:2], MONDAY, school.deputy)
    days = {(s.day, s.period) for s in j.timetable.scheduled(school.course_id)}
    assert (date(2025, 9, 17), 1) in days and (TUESDAY, 2) not in days


def test_plan_item_spreads_rows_over_their_hours():
    plan = [PlanItem(1, "А", 2, ""), PlanItem(2, "Б", 1, "")]
    assert [getattr(plan_item(plan, n), "topic", None) for n in range(4)] == ["А", "А", "Б", None]


def test_a_lesson_held_before_substitutions_is_upcast_without_a_substitute():
    held = {"course_journal_id": "x", "homework_due": None}
    Lesson.Held.upcast_v2_v3(held)
    assert held["substitute_id"] is None and Lesson.Held.class_version == 3


def test_a_topic_changed_from_the_plan_is_recorded_as_today(timetabled):
    j, school = timetabled.journal, timetabled
    with on(date(2025, 8, 29)):
        j.timetable.import_plan(
            school.course_id, [PlanRow(2, 1, "Дроби", 20, "§ 1")], school.deputy
        )
    with on(MONDAY, 12):
        lesson = j.timetable.hold_scheduled(school.course_id, MONDAY, 1, school.teacher).id
    with on(MONDAY + timedelta(days=1), 10):
        j.entry.change_topic(lesson, "Дроби: повторение", "§ 1, № 3", school.teacher)
    events = list(j.repository.event_store.get(lesson))
    assert [type(e).__name__ for e in events] == ["Held", "TopicChanged"]
    assert events[0].topic == "Дроби" and events[1].topic == "Дроби: повторение"
    assert clock.local_date(events[1].timestamp) == MONDAY + timedelta(days=1)
    plan = j.repository.get(ids.thematic_plan_id(school.course_id))
    assert [i.topic for i in plan.items] == ["Дроби"]  # the plan itself is not changed
