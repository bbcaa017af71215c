"""Closed terms lock every entry; re-opening needs a reason and an order number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import (
    AlreadyExists,
    MarkNotFound,
    MarkOffScale,
    NotCourseTeacher,
    NotEnrolled,
    OrderNumberRequired,
    PeriodClosed,
    ReasonRequired,
    RoleRequired,
    TermNotClosed,
)
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on, stored

REASON = "Ошибка при вводе"
ORDER = "№ 45-о от 17.09.2025"


@pytest.fixture
def closed(school):
    """A lesson with a mark and an absence in term 1, then term 1 closed by the deputy."""
    lesson = school.hold()
    with on(LESSON_DAY, 15):
        mark = school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "3", "answer")], school.teacher
        ).created[0]
        school.journal.entry.mark_attendance(lesson, {school.pupils[1]: "Н"}, school.teacher)
    with on(LESSON_DAY, 16):
        school.journal.school.close_term(school.year_id, 1, school.deputy)
    return lesson, mark


def test_closed_term_refuses_new_marks(school, closed, rejects):
    lesson, _ = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[1], "4", "answer")], school.teacher
        )


def test_closed_term_refuses_late_entries_by_the_deputy(school, closed, rejects):
    lesson, _ = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[1], "4", "answer")], school.deputy
        )


def test_closed_term_refuses_corrections(school, closed, rejects):
    lesson, mark = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.correct_mark(lesson, mark, "4", "answer", REASON, school.teacher)


def test_closed_term_refuses_cancellations_by_the_deputy(school, closed, rejects):
    lesson, mark = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.cancel_mark(lesson, mark, REASON, school.deputy)


def test_closed_term_refuses_attendance(school, closed, rejects):
    lesson, _ = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.mark_attendance(lesson, {school.pupils[1]: ""}, school.teacher)


def test_closed_term_refuses_attendance_corrections(school, closed, rejects):
    lesson, _ = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.correct_attendance(
            lesson, school.pupils[1], "Б", REASON, school.deputy
        )


def test_closed_term_refuses_topic_changes(school, closed, rejects):
    lesson, _ = closed
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.change_topic(lesson, "Другая тема", "", school.teacher)


def test_closed_term_refuses_new_lessons(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.entry.hold_lesson(
            school.course_id, LESSON_DAY, 5, "Тема", "", school.teacher
        )


def test_closed_term_refuses_term_marks(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "4", school.teacher
        )


def test_closed_term_refuses_term_mark_corrections(school, rejects):
    with on(LESSON_DAY, 15):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "4", school.teacher
        )
    with on(LESSON_DAY, 16):
        school.journal.school.close_term(school.year_id, 1, school.deputy)
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "5", school.teacher, reason=REASON
        )


def test_other_terms_stay_open_while_one_is_closed(school, closed):
    day = date(2025, 11, 11)
    lesson = school.hold(day=day)
    with on(day):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
    assert len(school.journal.queries.lesson(lesson).marks) == 1


def test_closing_a_closed_term_again_is_rejected(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(PeriodClosed):
        school.journal.school.close_term(school.year_id, 1, school.head)


def test_only_period_roles_close_terms(school, rejects):
    for actor in (school.teacher, school.admin):
        with on(LESSON_DAY), rejects(RoleRequired):
            school.journal.school.close_term(school.year_id, 1, actor)


# --- re-opening ------------------------------------------------------------------------
def test_reopening_needs_a_reason(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(ReasonRequired):
        school.journal.school.reopen_term(school.year_id, 1, "  ", ORDER, school.deputy)


def test_reopening_needs_an_order_number(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(OrderNumberRequired):
        school.journal.school.reopen_term(school.year_id, 1, REASON, "  ", school.deputy)


def test_only_period_roles_reopen_terms(school, closed, rejects):
    with on(LESSON_DAY, 17), rejects(RoleRequired):
        school.journal.school.reopen_term(school.year_id, 1, REASON, ORDER, school.teacher)


def test_reopening_an_open_term_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(TermNotClosed):
        school.journal.school.reopen_term(school.year_id, 1, REASON, ORDER, school.deputy)


def test_after_reopening_entries_work_again(school, closed):
    lesson, mark = closed
    j = school.journal
    with on(LESSON_DAY, 17):
        j.school.reopen_term(school.year_id, 1, REASON, ORDER, school.deputy)
    reopened = j.queries.history(school.year_id)[-1]
    assert (reopened.type, reopened.actor, reopened.reason, reopened.values["order_no"]) == (
        "TermReopened",
        school.deputy,
        REASON,
        ORDER,
    )
    with on(LESSON_DAY, 18):
        j.entry.record_marks(lesson, [MarkEntry(school.pupils[1], "4", "answer")], school.teacher)
        j.entry.correct_mark(lesson, mark, "5", "answer", REASON, school.teacher)
        j.entry.mark_attendance(lesson, {school.pupils[1]: ""}, school.teacher)
        j.entry.change_topic(lesson, "Другая тема", "", school.teacher)
        j.grades.set_term_mark(school.course_id, 1, school.pupils[0], "5", school.teacher)
    info = j.queries.lesson(lesson)
    assert sorted(m.value for m in info.marks if m.current) == ["4", "5"]
    assert info.attendance == {}
    assert info.topic == "Другая тема"


# --- term marks ------------------------------------------------------------------------
def test_term_mark_set_twice_without_reason_is_rejected(school, rejects):
    pupil = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.grades.set_term_mark(school.course_id, 1, pupil, "4", school.teacher)
    with on(LESSON_DAY, 16), rejects(AlreadyExists):
        school.journal.grades.set_term_mark(school.course_id, 1, pupil, "5", school.teacher)


def test_term_mark_correction_with_reason_replaces_the_value(school):
    pupil = school.pupils[0]
    with on(LESSON_DAY):
        grades = school.journal.grades.set_term_mark(
            school.course_id, 1, pupil, "4", school.teacher
        ).id
    with on(LESSON_DAY, 16):
        school.journal.grades.set_term_mark(
            school.course_id, 1, pupil, "5", school.teacher, reason=REASON
        )
    set_, corrected = school.journal.queries.history(grades)[-2:]
    assert (set_.type, set_.values["value"]) == ("TermMarkSet", "4")
    assert (corrected.type, corrected.values["value"], corrected.reason) == (
        "TermMarkCorrected",
        "5",
        REASON,
    )


def test_term_mark_correction_of_a_missing_mark_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(MarkNotFound):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "5", school.teacher, reason=REASON
        )


def test_term_mark_correction_needs_a_real_reason(school, rejects):
    pupil = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.grades.set_term_mark(school.course_id, 1, pupil, "4", school.teacher)
    with on(LESSON_DAY, 16), rejects(ReasonRequired):
        school.journal.grades.set_term_mark(
            school.course_id, 1, pupil, "5", school.teacher, reason="  "
        )


def test_term_mark_may_be_not_attested(school):
    with on(LESSON_DAY):
        grades = school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "н/а", school.teacher
        ).id
    assert school.journal.queries.history(grades)[-1].values["value"] == "н/а"


def test_term_mark_off_the_scale_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(MarkOffScale):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "6", school.teacher
        )


def test_term_mark_for_a_pupil_of_another_class_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.outsider, "4", school.teacher
        )


def test_term_mark_by_a_teacher_of_another_journal_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(NotCourseTeacher):
        school.journal.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "4", school.other_teacher
        )


def test_term_mark_for_a_pupil_withdrawn_before_the_term_is_rejected(school, rejects):
    pupil = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.classes.withdraw(
            school.class_id, pupil, LESSON_DAY - timedelta(days=1), "Переезд", school.admin
        )
    # still a member during term 1 (Sept 1-15), but never in term 2
    with on(date(2025, 12, 20)), rejects(NotEnrolled):
        school.journal.grades.set_term_mark(school.course_id, 2, pupil, "4", school.teacher)
    before = stored(school.journal)
    with on(date(2025, 10, 20)):
        school.journal.grades.set_term_mark(school.course_id, 1, pupil, "4", school.teacher)
    assert stored(school.journal) > before
