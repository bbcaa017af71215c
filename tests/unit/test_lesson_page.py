"""save_lesson_page: topic, attendance and marks in one command, all or nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.errors import MarkOffScale, UnknownAttendanceCode
from domain.lesson import MarkEntry
from domain.policies import AttendancePolicy
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


def _topics_since(journal, position: int) -> list[str]:
    notes = journal.recorder.select_notifications(start=position + 1, limit=10**6)
    return [n.topic.rpartition(".")[2] for n in notes]


def test_unchanged_attendance_records_no_event(school):
    """The page sends every pupil's code; only a changed one is recorded (the web passes
    them all, the lesson decides)."""
    lesson = school.hold()
    _, b, c = school.pupils
    with on(LESSON_DAY):
        school.journal.entry.save_lesson_page(lesson, "Дроби", "№ 12", [], {c: "Б"}, school.teacher)
        before = stored(school.journal)
        school.journal.entry.save_lesson_page(
            lesson, "Дроби", "№ 12", [], {b: "Н", c: "Б"}, school.teacher
        )
        assert _topics_since(school.journal, before) == ["AttendanceMarked"]
        before = stored(school.journal)
        school.journal.entry.save_lesson_page(
            lesson, "Новая тема", "№ 12", [], {b: "Н", c: "Б"}, school.teacher
        )
    assert _topics_since(school.journal, before) == ["TopicChanged"]
    assert school.journal.queries.lesson(lesson).attendance == {b: "Н", c: "Б"}


def test_a_code_dropped_from_the_regulation_since_does_not_refuse_the_page(school):
    """An unchanged code is left out before any check: the page with a code the
    regulation no longer has saves its other entries (a new entry of that code is refused)."""
    lesson = school.hold()
    a, _, c = school.pupils
    with on(LESSON_DAY):
        school.journal.entry.save_lesson_page(lesson, "Дроби", "", [], {c: "Б"}, school.teacher)
    policies = school.journal.policies
    codes = {k: v for k, v in policies.attendance.codes.items() if k != "Б"}
    school.journal.policies = replace(policies, attendance=AttendancePolicy(codes))
    try:
        with on(LESSON_DAY):
            school.journal.entry.save_lesson_page(
                lesson, "Новая тема", "", [], {c: "Б"}, school.teacher
            )
            assert school.journal.queries.lesson(lesson).topic == "Новая тема"
            with pytest.raises(UnknownAttendanceCode):
                school.journal.entry.save_lesson_page(
                    lesson, "Дроби", "", [], {a: "Б"}, school.teacher
                )
    finally:
        school.journal.policies = policies
