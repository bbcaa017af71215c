"""Attendance: free changes within the entry window, reasoned corrections after it."""

from __future__ import annotations

from datetime import timedelta

from domain.errors import (
    EntryDeadlinePassed,
    LessonNotYetHeld,
    NotEnrolled,
    ReasonRequired,
    UnknownAttendanceCode,
)
from tests.school import LESSON_DAY
from tests.unit.conftest import on, stored

LATE = LESSON_DAY + timedelta(days=5)


def test_teacher_changes_codes_freely_within_the_window(school):
    lesson = school.hold()
    a, b, _ = school.pupils
    j = school.journal
    with on(LESSON_DAY):
        j.entry.mark_attendance(lesson, {a: "Н", b: "ОП"}, school.teacher)
    assert j.queries.lesson(lesson).attendance == {a: "Н", b: "ОП"}
    with on(LESSON_DAY + timedelta(days=1)):
        j.entry.mark_attendance(lesson, {a: "Б"}, school.teacher)
    assert j.queries.lesson(lesson).attendance == {a: "Б", b: "ОП"}
    with on(LESSON_DAY + timedelta(days=3)):
        j.entry.mark_attendance(lesson, {b: ""}, school.teacher)
    assert j.queries.lesson(lesson).attendance == {a: "Б"}
    assert [e.type for e in j.queries.history(lesson)].count("AttendanceMarked") == 4


def test_marking_the_same_code_again_stores_nothing(school):
    lesson = school.hold()
    a = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.entry.mark_attendance(lesson, {a: "Н"}, school.teacher)
        before = stored(school.journal)
        receipt = school.journal.entry.mark_attendance(
            lesson, {a: "Н", school.pupils[1]: ""}, school.teacher
        )
    assert stored(school.journal) == before
    assert receipt.position == 0


def test_unknown_attendance_code_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(UnknownAttendanceCode) as info:
        school.journal.entry.mark_attendance(lesson, {school.pupils[0]: "X"}, school.teacher)
    assert info.value.details["code"] == "X"


def test_attendance_batch_with_one_bad_code_stores_nothing(school, rejects):
    lesson = school.hold()
    a, b, c = school.pupils
    with on(LESSON_DAY), rejects(UnknownAttendanceCode):
        school.journal.entry.mark_attendance(lesson, {a: "Н", b: "н", c: "Б"}, school.teacher)
    assert school.journal.queries.lesson(lesson).attendance == {}


def test_attendance_for_a_pupil_not_enrolled_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.mark_attendance(lesson, {school.outsider: "Н"}, school.teacher)


def test_attendance_for_a_future_lesson_is_rejected(school, rejects):
    with on(LESSON_DAY, 9):
        lesson = school.journal.entry.hold_lesson(
            school.course_id, LESSON_DAY + timedelta(days=1), 1, "Углы", "", school.teacher
        ).id
    with on(LESSON_DAY), rejects(LessonNotYetHeld):
        school.journal.entry.mark_attendance(lesson, {school.pupils[0]: "Н"}, school.deputy)


def test_teacher_may_not_mark_attendance_after_the_window(school, rejects):
    lesson = school.hold()
    with on(LATE), rejects(EntryDeadlinePassed):
        school.journal.entry.mark_attendance(lesson, {school.pupils[0]: "Н"}, school.teacher)


def test_teacher_may_not_correct_attendance_after_the_window_even_with_reason(school, rejects):
    lesson = school.hold()
    with on(LATE), rejects(EntryDeadlinePassed):
        school.journal.entry.correct_attendance(
            lesson, school.pupils[0], "Б", "Справка от врача", school.teacher
        )


def test_attendance_correction_needs_a_reason(school, rejects):
    lesson = school.hold()
    with on(LATE), rejects(ReasonRequired):
        school.journal.entry.correct_attendance(lesson, school.pupils[0], "Б", "", school.deputy)


def test_deputy_corrects_attendance_after_the_window_with_a_reason(school):
    lesson = school.hold()
    a = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.entry.mark_attendance(lesson, {a: "Н"}, school.teacher)
    with on(LATE):
        school.journal.entry.correct_attendance(lesson, a, "Б", "Справка от врача", school.deputy)
    assert school.journal.queries.lesson(lesson).attendance == {a: "Б"}
    entry = school.journal.queries.history(lesson)[-1]
    assert (entry.type, entry.actor, entry.reason, entry.values["code"]) == (
        "AttendanceCorrected",
        school.deputy,
        "Справка от врача",
        "Б",
    )


def test_attendance_correction_to_present_clears_the_code(school):
    lesson = school.hold()
    a = school.pupils[0]
    with on(LESSON_DAY):
        school.journal.entry.mark_attendance(lesson, {a: "Н"}, school.teacher)
    with on(LATE):
        school.journal.entry.correct_attendance(lesson, a, "", "Был на уроке", school.deputy)
    assert school.journal.queries.lesson(lesson).attendance == {}


def test_attendance_correction_with_unknown_code_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LATE), rejects(UnknownAttendanceCode):
        school.journal.entry.correct_attendance(
            lesson, school.pupils[0], "Z", "Справка от врача", school.deputy
        )


def test_attendance_correction_for_a_future_lesson_is_rejected(school, rejects):
    with on(LESSON_DAY, 9):
        lesson = school.journal.entry.hold_lesson(
            school.course_id, LESSON_DAY + timedelta(days=7), 1, "Углы", "", school.teacher
        ).id
    with on(LESSON_DAY), rejects(LessonNotYetHeld):
        school.journal.entry.correct_attendance(
            lesson, school.pupils[0], "Н", "Прогул урока", school.deputy
        )
