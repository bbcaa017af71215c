"""Recording marks: the scale, kinds of work, enrolment on the date, the entry window."""

from __future__ import annotations

from datetime import date, timedelta

from domain import ids
from domain.errors import (
    EntryDeadlinePassed,
    LessonNotYetHeld,
    MarkIdTaken,
    MarkOffScale,
    NotCourseTeacher,
    NotEnrolled,
    UnknownMarkKind,
)
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on, stored


def current_values(school, lesson_id):
    return sorted(
        (m.student_id, m.value, m.kind)
        for m in school.journal.queries.lesson(lesson_id).marks
        if m.current
    )


def test_record_marks_stores_one_event_per_mark_with_the_actor(school):
    lesson = school.hold()
    a, b, _ = school.pupils
    before = stored(school.journal)
    with on(LESSON_DAY):
        receipt = school.journal.entry.record_marks(
            lesson, [MarkEntry(a, "5", "answer"), MarkEntry(b, "3", "test")], school.teacher
        )
    assert stored(school.journal) == before + 2
    assert len(receipt.created) == 2
    info = school.journal.queries.lesson(lesson)
    assert [(m.mark_id, m.student_id, m.value, m.kind, m.author) for m in info.marks] == [
        (receipt.created[0], a, "5", "answer", school.teacher),
        (receipt.created[1], b, "3", "test", school.teacher),
    ]
    assert all(m.current for m in info.marks)


def test_mark_off_the_scale_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(MarkOffScale) as info:
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "6", "answer")], school.teacher
        )
    assert info.value.details["value"] == "6"


def test_value_of_another_scale_is_off_this_scale(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(MarkOffScale):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "зач", "answer")], school.teacher
        )


def test_unknown_mark_kind_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(UnknownMarkKind) as info:
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "essay")], school.teacher
        )
    assert info.value.details["kind"] == "essay"


def test_pupil_of_another_class_is_not_enrolled(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.outsider, "4", "answer")], school.teacher
        )


def test_pupil_withdrawn_before_the_lesson_is_not_enrolled(school, rejects):
    pupil = school.pupils[0]
    with on(LESSON_DAY - timedelta(days=6)):
        school.journal.classes.withdraw(
            school.class_id, pupil, LESSON_DAY - timedelta(days=5), "Переезд", school.admin
        )
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.record_marks(lesson, [MarkEntry(pupil, "4", "answer")], school.teacher)


def test_pupil_withdrawn_on_the_lesson_date_is_not_enrolled(school, rejects):
    pupil = school.pupils[0]
    with on(LESSON_DAY, 8):
        school.journal.classes.withdraw(school.class_id, pupil, LESSON_DAY, "Переезд", school.admin)
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.record_marks(lesson, [MarkEntry(pupil, "4", "answer")], school.teacher)


def test_pupil_withdrawn_the_day_after_is_still_enrolled_on_the_lesson_date(school):
    pupil = school.pupils[0]
    with on(LESSON_DAY, 8):
        school.journal.classes.withdraw(
            school.class_id, pupil, LESSON_DAY + timedelta(days=1), "Переезд", school.admin
        )
    lesson = school.hold()
    with on(LESSON_DAY):
        school.journal.entry.record_marks(lesson, [MarkEntry(pupil, "4", "answer")], school.teacher)
    assert current_values(school, lesson) == [(pupil, "4", "answer")]


def test_pupil_enrolled_after_the_lesson_date_is_not_enrolled(school, rejects):
    with on(LESSON_DAY, 8):
        newcomer = school.journal.people.register_student(
            "Новиков", "Лев", "", date(2014, 5, 5), school.admin
        ).id
        school.journal.classes.enrol(
            school.class_id, newcomer, LESSON_DAY + timedelta(days=1), school.admin
        )
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(newcomer, "4", "answer")], school.teacher
        )


def test_pupil_enrolled_on_the_lesson_date_is_enrolled(school):
    with on(LESSON_DAY, 8):
        newcomer = school.journal.people.register_student(
            "Новиков", "Лев", "", date(2014, 5, 5), school.admin
        ).id
        school.journal.classes.enrol(school.class_id, newcomer, LESSON_DAY, school.admin)
    lesson = school.hold()
    with on(LESSON_DAY):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(newcomer, "4", "answer")], school.teacher
        )
    assert current_values(school, lesson) == [(newcomer, "4", "answer")]


def test_teacher_may_enter_on_the_last_day_of_the_deadline(school):
    lesson = school.hold()
    with on(LESSON_DAY + timedelta(days=3), 23):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.teacher
        )
    assert len(school.journal.queries.lesson(lesson).marks) == 1


def test_teacher_entry_after_the_deadline_is_rejected(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY + timedelta(days=4), 0), rejects(EntryDeadlinePassed) as info:
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.teacher
        )
    assert info.value.details["days"] == 4


def test_deputy_may_enter_after_the_deadline(school):
    lesson = school.hold()
    with on(LESSON_DAY + timedelta(days=20)):
        receipt = school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.deputy
        )
    [mark] = school.journal.queries.lesson(lesson).marks
    assert (mark.mark_id, mark.author) == (receipt.created[0], school.deputy)


def test_marks_for_a_lesson_in_the_future_are_rejected(school, rejects):
    later = LESSON_DAY + timedelta(days=2)
    with on(LESSON_DAY, 9):  # a teacher may plan a lesson ahead
        lesson = school.journal.entry.hold_lesson(
            school.course_id, later, 1, "Углы", "", school.teacher
        ).id
    with on(LESSON_DAY), rejects(LessonNotYetHeld):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.teacher
        )


def test_late_entry_role_does_not_allow_marks_for_a_future_lesson(school, rejects):
    later = LESSON_DAY + timedelta(days=2)
    with on(LESSON_DAY, 9):
        lesson = school.journal.entry.hold_lesson(
            school.course_id, later, 1, "Углы", "", school.teacher
        ).id
    with on(LESSON_DAY), rejects(LessonNotYetHeld):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.deputy
        )


def test_teacher_of_another_journal_may_not_record(school, rejects):
    lesson = school.hold()
    with on(LESSON_DAY), rejects(NotCourseTeacher):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "answer")], school.other_teacher
        )


def test_grid_with_one_off_scale_mark_records_nothing(school, rejects):
    lesson = school.hold()
    a, b, c = school.pupils
    grid = [MarkEntry(a, "5", "answer"), MarkEntry(b, "0", "answer"), MarkEntry(c, "4", "test")]
    with on(LESSON_DAY), rejects(MarkOffScale):
        school.journal.entry.record_marks(lesson, grid, school.teacher)
    assert school.journal.queries.lesson(lesson).marks == ()


def test_grid_with_one_pupil_not_enrolled_records_nothing(school, rejects):
    lesson = school.hold()
    a, b, _ = school.pupils
    grid = [
        MarkEntry(a, "5", "answer"),
        MarkEntry(b, "4", "answer"),
        MarkEntry(school.outsider, "4", "answer"),
    ]
    with on(LESSON_DAY), rejects(NotEnrolled):
        school.journal.entry.record_marks(lesson, grid, school.teacher)
    assert school.journal.queries.lesson(lesson).marks == ()


def test_grid_with_one_unknown_kind_records_nothing(school, rejects):
    lesson = school.hold()
    a, b, _ = school.pupils
    grid = [MarkEntry(a, "5", "answer"), MarkEntry(b, "4", "oral")]
    with on(LESSON_DAY), rejects(UnknownMarkKind):
        school.journal.entry.record_marks(lesson, grid, school.teacher)
    assert school.journal.queries.lesson(lesson).marks == ()


def test_a_mark_sent_again_with_its_id_is_recorded_once(school, rejects):
    """The lesson form names its new marks (``ids.submitted_mark_id``): the same form sent
    again after a lost answer does not record its marks twice; the id with other contents is
    refused."""
    lesson = school.hold()
    a, b, _ = school.pupils
    mark_id = ids.submitted_mark_id(lesson, "k" * 32, a)
    entry = MarkEntry(a, "5", "answer", mark_id)
    with on(LESSON_DAY):
        first = school.journal.entry.record_marks(lesson, [entry], school.teacher)
        before = stored(school.journal)
        again = school.journal.entry.record_marks(
            lesson, [entry, MarkEntry(b, "4", "answer")], school.teacher
        )
        assert stored(school.journal) == before + 1  # only b's mark is new
        with rejects(MarkIdTaken):
            school.journal.entry.record_marks(
                lesson, [MarkEntry(a, "3", "answer", mark_id)], school.teacher
            )
    assert first.created == (mark_id,) and again.created[0] == mark_id
    assert current_values(school, lesson) == sorted([(a, "5", "answer"), (b, "4", "answer")])
