"""save_lesson_page: topic, attendance and marks in one command, all or nothing."""

from __future__ import annotations

from domain.errors import MarkOffScale, UnknownAttendanceCode
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on, stored


def test_page_saves_topic_attendance_and_marks_together(school):
    lesson = school.hold()
    a, b, c = school.pupils
    before = stored(school.journal)
    with on(LESSON_DAY):
        receipt = school.journal.entry.save_lesson_page(
            lesson,
            " Десятичные дроби ",
            "№ 15",
            [MarkEntry(a, "5", "answer"), MarkEntry(b, "4", "homework")],
            {c: "Б"},
            school.teacher,
        )
    info = school.journal.queries.lesson(lesson)
    assert (info.topic, info.homework) == ("Десятичные дроби", "№ 15")
    assert info.attendance == {c: "Б"}
    assert [(m.mark_id, m.student_id, m.value) for m in info.marks] == [
        (receipt.created[0], a, "5"),
        (receipt.created[1], b, "4"),
    ]
    assert stored(school.journal) == before + 4  # topic, attendance, two marks
    assert receipt.position == stored(school.journal)


def test_bad_mark_leaves_the_topic_and_attendance_unchanged(school, rejects):
    lesson = school.hold()
    a, _, c = school.pupils
    with on(LESSON_DAY), rejects(MarkOffScale):
        school.journal.entry.save_lesson_page(
            lesson, "Новая тема", "№ 99", [MarkEntry(a, "7", "answer")], {c: "Н"}, school.teacher
        )
    info = school.journal.queries.lesson(lesson)
    assert (info.topic, info.homework) == ("Дроби", "№ 12")
    assert info.attendance == {} and info.marks == ()


def test_bad_attendance_code_leaves_the_topic_unchanged(school, rejects):
    lesson = school.hold()
    a, _, c = school.pupils
    with on(LESSON_DAY), rejects(UnknownAttendanceCode):
        school.journal.entry.save_lesson_page(
            lesson, "Новая тема", "№ 99", [MarkEntry(a, "5", "answer")], {c: "?"}, school.teacher
        )
    info = school.journal.queries.lesson(lesson)
    assert (info.topic, info.marks) == ("Дроби", ())
