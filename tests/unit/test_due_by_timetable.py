"""Homework due «к следующему уроку» by the timetable (ADR 0031): the course's next
scheduled lesson after the lesson's day, holidays and days off skipped; an entered lesson
outside the timetable that comes first wins; the estimate from past weeks only without a
timetable; the weekly diary lists the homework on the day it is due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.timetable import Bell, next_lesson_day, schedule, scheduled_days
from projections.queries import timetable as timetable_query
from projections.queries.week import Due, Slot, due_dates, week
from tests.school import School
from tests.unit.conftest import on
from tests.views import memory_views

BELLS = [Bell(1, "8:30", "9:15"), Bell(2, "09:25", "10:10")]
TUE_21_OCT = date(2025, 10, 21)  # the last Tuesday of the first quarter
MON_10_NOV = date(2025, 11, 10)  # the first Monday of the second (it starts on Wed 5 Nov)


@pytest.fixture
def timetabled(school: School) -> School:
    """Mathematics on Mondays (period 1) and Tuesdays (period 2); 15–16 September off."""
    j = school.journal
    with on(date(2025, 8, 28)):
        j.timetable.set_bells(school.year_id, BELLS, school.deputy)
        j.timetable.set_pattern(school.course_id, date(2025, 9, 1), [(0, 1), (1, 2)], school.deputy)
        j.timetable.declare_days_off(
            school.year_id, date(2025, 9, 15), date(2025, 9, 16), "Карантин", school.deputy
        )
    return school


def test_the_next_lesson_day_is_the_first_scheduled_day_after():
    days = [date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 8)]
    assert next_lesson_day(days, date(2025, 9, 1)) == date(2025, 9, 2)
    assert next_lesson_day(days, date(2025, 9, 3)) == date(2025, 9, 8)
    assert next_lesson_day(days, date(2025, 9, 8)) is None


def test_with_a_timetable_the_due_date_is_the_next_scheduled_lesson_never_an_estimate():
    mon, tue = date(2025, 9, 22), date(2025, 9, 23)
    timetable = [mon, tue, mon + timedelta(days=7)]
    slots = [Slot("a", mon.isoformat(), 1, "№ 1"), Slot("b", tue.isoformat(), 2, "№ 2")]
    assert due_dates(slots, {}, timetable) == {
        "a": Due(tue.isoformat()),
        "b": Due((mon + timedelta(days=7)).isoformat()),
    }
    # past the year's last scheduled lesson: no due date, and no guess from past weeks
    assert due_dates([Slot("c", "2025-10-01", 1, "№ 3")], {}, timetable) == {}
    # the teacher's date still wins
    assert due_dates(slots[:1], {"a": "2025-09-25"}, timetable) == {"a": Due("2025-09-25")}


def test_an_entered_lesson_outside_the_timetable_before_the_next_scheduled_one_wins():
    mon, thu = date(2025, 9, 22), date(2025, 9, 25)
    slots = [Slot("a", mon.isoformat(), 1, "№ 1"), Slot("x", thu.isoformat(), 5, "")]
    assert due_dates(slots, {}, [mon, mon + timedelta(days=7)]) == {"a": Due(thu.isoformat())}


def test_days_off_and_the_holidays_between_quarters_are_skipped(timetabled: School):
    s = timetabled
    reader = memory_views(s.journal)
    days = timetable_query.lesson_days(reader, str(s.course_id))
    assert timetable_query.lesson_days(reader, str(s.other_course_id)) is None
    assert days is not None
    # Tuesday 9 September: the next Monday and Tuesday are days off
    assert next_lesson_day(days, date(2025, 9, 9)) == date(2025, 9, 22)
    # the last Tuesday of the quarter: the autumn holidays, then Monday 10 November
    assert next_lesson_day(days, TUE_21_OCT) == MON_10_NOV


def test_the_diary_shows_homework_on_the_day_the_timetable_makes_it_due(
    timetabled: School, policies
):
    s, j, t = timetabled, timetabled.journal, timetabled.teacher
    with on(TUE_21_OCT):
        j.entry.hold_lesson(s.course_id, TUE_21_OCT, 2, "Проценты", "№ 101", t)
    views = memory_views(j)
    pupil = str(s.pupils[0])
    autumn = week(views, policies.grading, pupil, TUE_21_OCT, TUE_21_OCT)
    [lesson] = autumn.days[1].lessons
    assert lesson.due == Due(MON_10_NOV.isoformat())  # not estimated: by the timetable
    november = week(views, policies.grading, pupil, MON_10_NOV, MON_10_NOV)
    assert [(h.homework, h.set_on, h.estimated) for h in november.days[0].due] == [
        ("№ 101", TUE_21_OCT.isoformat(), False)
    ]
    assert all(not d.due for d in november.days[1:])
    # the week of the holidays lists nothing due
    holidays = week(views, policies.grading, pupil, date(2025, 10, 27), TUE_21_OCT)
    assert all(not d.due for d in holidays.days)


def test_the_scheduled_days_are_the_days_schedule_gives():
    """``scheduled_days`` (due dates) agrees with ``schedule`` (lessons) on a pattern changed
    from a date: Mondays and Wednesdays, then Tuesdays from 22 September."""
    patterns = [
        (date(2025, 9, 1), frozenset({(0, 1), (2, 3)})),
        (date(2025, 9, 22), frozenset({(1, 2)})),
    ]
    days = [date(2025, 9, 1) + timedelta(days=n) for n in range(60)]
    expected = sorted({s.day for s in schedule(patterns, {}, days)})
    assert scheduled_days(patterns, days) == expected
    assert date(2025, 9, 17) in expected and date(2025, 9, 24) not in expected
    assert scheduled_days([], days) == []
