"""The grid view: weighted averages computed by hand, corrections and cancellations."""

from __future__ import annotations

from domain import clock
from domain.lesson import MarkEntry
from projections.views import grid
from tests.school import LESSON_DAY, at
from tests.views import memory_views


def test_weighted_average_counts_current_marks_by_kind_weight(school) -> None:
    j, teacher, pupil = school.journal, school.teacher, school.pupils[0]
    first = school.hold()
    second = school.hold(period=3)
    with clock.travel(at(LESSON_DAY, 14)):
        # answer 5 (w1), test 3 (w3), independent 4 (w2) → (5 + 9 + 8) / 6 = 3.67
        j.entry.record_marks(
            first, [MarkEntry(pupil, "5", "answer"), MarkEntry(pupil, "3", "test")], teacher
        )
        j.entry.record_marks(second, [MarkEntry(pupil, "4", "independent")], teacher)
        # a cancelled 2 (homework, w1) does not count
        wrong = j.entry.record_marks(second, [MarkEntry(pupil, "2", "homework")], teacher).created[
            0
        ]
        j.entry.cancel_mark(second, wrong, "не та работа", teacher)
    page = grid.grid(memory_views(j), j.policies.grading, str(school.course_id), 1)
    assert page.averages[str(pupil)] == round(22 / 6, 2) == 3.67

    with clock.travel(at(LESSON_DAY, 15)):
        # the test 3 corrected to 5: (5 + 15 + 8) / 6 = 4.67, shown as corrected
        test_mark = next(m for m in j.queries.lesson(first).marks if m.value == "3")
        j.entry.correct_mark(first, test_mark.mark_id, "5", "test", "пересчёт баллов", teacher)
    page = grid.grid(memory_views(j), j.policies.grading, str(school.course_id), 1)
    assert page.averages[str(pupil)] == 4.67
    cells = page.marks[(str(pupil), str(first))]
    assert sorted((c.value, c.kind, c.weight, c.corrected) for c in cells) == [
        ("5", "answer", 1, False),
        ("5", "test", 3, True),
    ]
    assert [c.value for c in page.marks[(str(pupil), str(second))]] == ["4"]


def test_pass_fail_journal_has_no_average(school) -> None:
    j = school.journal
    course = j.classes.open_course_journal(
        school.class_id, "Физкультура", "pass_fail", school.admin
    ).id
    j.classes.assign_teacher(course, school.teacher, school.admin)
    with clock.travel(at(LESSON_DAY, 9)):
        lesson = j.entry.hold_lesson(course, LESSON_DAY, 5, "Бег", "", school.teacher).id
        j.entry.record_marks(lesson, [MarkEntry(school.pupils[0], "зач", "answer")], school.teacher)
    page = grid.grid(memory_views(j), j.policies.grading, str(course), 1)
    assert page.averages == {str(p): None for p in school.pupils}
    assert [c.value for c in page.marks[(str(school.pupils[0]), str(lesson))]] == ["зач"]
