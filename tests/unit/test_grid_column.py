"""A grid column (one lesson typed into the journal grid) is saved in one transaction under
the rules of the lesson form: new marks, corrections and cancellations of the marks the cell
showed (with a reason), attendance; a refused cell names its pupil and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ColumnRefused, EntryDeadlinePassed
from domain.lesson import ColumnCell, MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on

REASON = "Ошибка при вводе"


def cell(pupil, marks=(), shown=(), attendance=""):
    return ColumnCell(pupil, tuple(shown), tuple(marks), attendance)


def standing(school, lesson):
    info = school.journal.queries.lesson(lesson)
    return info, {(m.student_id, m.value, m.kind) for m in info.marks if m.current}


def test_several_marks_a_cell_and_attendance_in_one_command(school):
    lesson = school.hold()
    first, second = school.pupils[:2]
    with on(LESSON_DAY):
        receipt = school.journal.entry.save_column(
            lesson,
            [cell(first, [("5", None), ("4", "test")]), cell(second, attendance="Н")],
            "answer",
            "",
            school.teacher,
        )
    info, marks = standing(school, lesson)
    assert marks == {(first, "5", "answer"), (first, "4", "test")}
    assert info.attendance == {second: "Н"}
    assert len(receipt.created) == 2


def test_a_changed_shown_mark_is_corrected_a_dropped_one_cancelled(school):
    lesson = school.hold()
    pupil = school.pupils[0]
    with on(LESSON_DAY):
        made = school.journal.entry.record_marks(
            lesson,
            [MarkEntry(pupil, "3", "answer"), MarkEntry(pupil, "2", "answer")],
            school.teacher,
        ).created
        school.journal.entry.save_column(
            lesson, [cell(pupil, [("4", None)], shown=made)], "test", REASON, school.teacher
        )
    info, marks = standing(school, lesson)
    # «4» in the place of «3» keeps its kind; «2» left out is cancelled; both with the reason
    assert marks == {(pupil, "4", "answer")}
    by_id = {m.mark_id: m for m in info.marks}
    assert by_id[made[1]].cancelled and by_id[made[1]].reason == REASON
    assert next(m for m in info.marks if m.current).reason == REASON


def test_refused_cells_are_named_and_nothing_is_written(school):
    lesson = school.hold()
    first, second, third = school.pupils[:3]
    with on(LESSON_DAY):
        made = school.journal.entry.record_marks(
            lesson, [MarkEntry(second, "3", "answer")], school.teacher
        ).created
        before = school.journal.queries.lesson(lesson).version
        with pytest.raises(ColumnRefused) as refused:
            school.journal.entry.save_column(
                lesson,
                [
                    cell(first, [("5", None)], attendance="ОП"),  # fine on its own
                    cell(second, [("4", None)], shown=made),  # a correction without a reason
                    cell(third, [("7", None)]),  # off the scale
                ],
                "answer",
                "",
                school.teacher,
            )
    assert set(refused.value.problems) == {str(second), str(third)}
    assert "причину" in refused.value.problems[str(second)]
    assert "«7»" in refused.value.problems[str(third)]
    assert school.journal.queries.lesson(lesson).version == before


def test_the_same_column_sent_again_is_answered_as_the_first(school):
    lesson = school.hold()
    pupil = school.pupils[0]
    column = [cell(pupil, [("5", None), ("4", None)])]
    with on(LESSON_DAY):
        first = school.journal.entry.save_column(
            lesson, column, "answer", "", school.teacher, key="a" * 32
        )
        again = school.journal.entry.save_column(
            lesson, column, "answer", "", school.teacher, key="a" * 32
        )
    assert first.created == again.created
    assert len(standing(school, lesson)[1]) == 2


def test_past_the_deadline_the_column_is_refused_as_the_lesson_form(school):
    lesson = school.hold()
    with on(LESSON_DAY + timedelta(days=10)), pytest.raises(EntryDeadlinePassed):
        school.journal.entry.save_column(
            lesson, [cell(school.pupils[0], [("5", None)])], "answer", "", school.teacher
        )
