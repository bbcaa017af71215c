"""The weekly diary: the due-date rule of homework (ADR 0017), the week's assembly from the
views, and the due date as a versioned event field (v1 events upcast)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import errors
from domain.lesson import Lesson, MarkEntry
from projections.queries.week import Due, Slot, due_dates, monday_of, next_school_day, week
from tests.school import School
from tests.unit.conftest import on
from tests.views import memory_views

MON = date(2025, 9, 15)
TUE, WED, THU, FRI, SAT = (MON + timedelta(days=k) for k in range(1, 6))


def slot(lesson: str, day: date, homework: str = "стр. 5", period: int = 1) -> Slot:
    return Slot(lesson, day.isoformat(), period, homework)


def test_homework_is_due_at_the_subjects_next_lesson_on_a_later_day():
    slots = [slot("a", MON, period=1), slot("b", MON, "", period=2), slot("c", THU, "")]
    assert due_dates(slots, {}) == {"a": Due(THU.isoformat())}


def test_a_due_date_set_by_the_teacher_wins():
    slots = [slot("a", MON), slot("b", TUE, "")]
    assert due_dates(slots, {"a": FRI.isoformat()}) == {"a": Due(FRI.isoformat())}


def test_without_a_next_lesson_the_due_date_is_estimated_from_the_weeks_before():
    """Mathematics on Mondays and Wednesdays: Wednesday's homework is due next Monday."""
    last_week = [slot(f"w{k}", d - timedelta(days=7), "") for k, d in enumerate((MON, WED))]
    slots = [*last_week, slot("m", MON, ""), slot("w", WED)]
    assert due_dates(slots, {}) == {"w": Due((MON + timedelta(days=7)).isoformat(), True)}


def test_a_lone_lesson_sets_homework_for_the_same_weekday_next_week_and_never_a_sunday():
    assert due_dates([slot("a", SAT)], {}) == {
        "a": Due((SAT + timedelta(days=7)).isoformat(), True)
    }
    assert due_dates([slot("a", SAT, "")], {}) == {}


def test_school_days_run_monday_to_saturday():
    assert monday_of(SAT) == MON and monday_of(MON) == MON
    assert next_school_day(FRI) == SAT and next_school_day(SAT) == MON + timedelta(days=7)


def test_the_due_date_must_follow_the_lesson(school: School, rejects):
    with on(MON), rejects(errors.HomeworkDueTooEarly):
        school.journal.entry.hold_lesson(
            school.course_id, MON, 1, "Дроби", "№ 1", school.teacher, homework_due=MON
        )


def test_the_due_date_is_kept_when_a_form_without_it_changes_the_homework(school: School):
    j, t = school.journal, school.teacher
    with on(MON):
        lesson = j.entry.hold_lesson(
            school.course_id, MON, 1, "Дроби", "№ 1", t, homework_due=THU
        ).id
        j.entry.change_topic(lesson, "Дроби", "№ 1, 2", t)
    assert j.queries.lesson(lesson).homework == "№ 1, 2"
    loaded = j.repository.get(lesson)
    assert isinstance(loaded, Lesson) and loaded.homework_due == THU
    with on(MON, 16):
        j.entry.change_topic(lesson, "Дроби", "№ 1, 2", t, homework_due=None)
    assert j.repository.get(lesson).homework_due is None


def test_version_1_events_are_upcast_without_a_due_date():
    held = {"course_journal_id": "x", "homework": "№ 1"}
    Lesson.Held.upcast_v1_v2(held)
    changed = {"topic": "Дроби", "homework": "№ 1"}
    Lesson.TopicChanged.upcast_v1_v2(changed)
    assert held["homework_due"] is None and changed["homework_due"] is None
    # Held is version 3 since ADR 0019 (the substitute): tests/unit/test_timetable.py
    assert Lesson.Held.class_version >= 2 and Lesson.TopicChanged.class_version == 2


@pytest.fixture
def week_school(school: School) -> School:
    """Mathematics Mon (2nd and 3rd period, one homework due Thursday by the teacher) and
    Tue; a 5 for the test on Tuesday; the first pupil absent on Monday; the other class's
    lesson on Wednesday."""
    j, t, a = school.journal, school.teacher, school.pupils[0]
    with on(MON):
        mon = j.entry.hold_lesson(school.course_id, MON, 3, "Проценты", "№ 7", t).id
        j.entry.hold_lesson(school.course_id, MON, 2, "Дроби", "Доклад", t, homework_due=THU)
        j.entry.mark_attendance(mon, {a: "Н"}, t)
    with on(TUE):
        tue = j.entry.hold_lesson(school.course_id, TUE, 1, "Углы", "", t).id
        j.entry.record_marks(tue, [MarkEntry(a, "5", "test")], t)
    school.hold(WED, 1, course=school.other_course_id)
    return school


def test_the_week_lists_each_days_lessons_marks_absences_and_homework_due(
    week_school: School, policies
):
    s = week_school
    found = week(memory_views(s.journal), policies.grading, str(s.pupils[0]), WED, MON)
    assert found.monday == MON.isoformat()
    assert [d.day for d in found.days] == [(MON + timedelta(days=k)).isoformat() for k in range(6)]
    mon, tue, wed, thu = found.days[:4]
    assert [(x.period, x.topic, x.attendance) for x in mon.lessons] == [
        (2, "Дроби", ""),
        (3, "Проценты", "Н"),
    ]
    assert [x.due for x in mon.lessons] == [Due(THU.isoformat()), Due(TUE.isoformat())]
    assert [(h.subject, h.homework, h.set_on) for h in tue.due] == [
        ("Математика", "№ 7", MON.isoformat())
    ]
    [lesson] = tue.lessons
    assert [(m.value, m.kind_title, m.day) for m in lesson.marks] == [
        ("5", "Контрольная работа", TUE.isoformat())
    ]
    assert wed.lessons == () and wed.due == ()  # the other class's lesson is not hers
    assert [h.homework for h in thu.due] == ["Доклад"]
    assert found.tomorrow.day == TUE.isoformat() and found.tomorrow.due == tue.due


def test_a_classmate_sees_the_lessons_without_her_marks(week_school: School, policies):
    s = week_school
    found = week(memory_views(s.journal), policies.grading, str(s.pupils[1]), MON, MON)
    assert [m for d in found.days for x in d.lessons for m in x.marks] == []
    assert [x.attendance for x in found.days[0].lessons] == ["", ""]
