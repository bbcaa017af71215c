"""Views on a real store (SQLite and PostgreSQL): read-your-writes, incremental equals
rebuild equals as-of, and as-of answers about corrections and withdrawals."""

from __future__ import annotations

from datetime import date

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at, build_school
from tests.views import snapshot


def test_a_command_then_a_query_sees_its_own_write(running: System) -> None:
    school = build_school(running.journal)
    lesson = school.hold()
    with clock.travel(at(LESSON_DAY, 14)):
        receipt = running.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "4", "test")], school.teacher
        )
    assert running.views.wait_for(receipt.position, timeout=10)
    grid = running.views.reads.journal.grid(str(school.course_id), 1)
    cells = grid.marks[(str(school.pupils[0]), str(lesson))]
    assert [(c.value, c.kind, c.weight) for c in cells] == [("4", "test", 3)]
    assert grid.averages[str(school.pupils[0])] == 4.0


def test_incremental_views_equal_a_rebuild_and_the_as_of_replay(running: System) -> None:
    school = build_school(running.journal)
    j = running.journal
    lesson = school.hold()
    with clock.travel(at(LESSON_DAY, 14)):
        marks = j.entry.record_marks(
            lesson, [MarkEntry(p, "5", "answer") for p in school.pupils], school.teacher
        ).created
        j.entry.correct_mark(lesson, marks[0], "3", "answer", "ошибка ввода", school.teacher)
        j.entry.cancel_mark(lesson, marks[1], "выставлена по ошибке", school.teacher)
        last = j.entry.mark_attendance(lesson, {school.pupils[2]: "Б"}, school.teacher)
    assert running.views.wait_for(last.position, timeout=10)
    with running.views.reader() as reader:
        incremental = snapshot(reader, running.views.sealer)
    with running.views.reader(as_of=clock.now()) as memory:
        replayed = snapshot(memory, running.views.sealer)
    running.views.rebuild()
    with running.views.reader() as reader:
        rebuilt = snapshot(reader, running.views.sealer)
    assert incremental == rebuilt == replayed
    assert len(incremental["v_marks"]) == 4


def test_as_of_shows_a_corrected_mark_before_and_after(running: System) -> None:
    school = build_school(running.journal)
    j = running.journal
    lesson = school.hold(date(2025, 9, 10))
    with clock.travel(at(date(2025, 9, 10), 14)):
        mark = j.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "2", "test")], school.teacher
        ).created[0]
    with clock.travel(at(date(2025, 9, 12), 14)):  # the correction is made on the 12th
        j.entry.correct_mark(lesson, mark, "3", "test", "пересмотр работы", school.teacher)
    key = (str(school.pupils[0]), str(lesson))
    before = running.views.reads.journal.grid(
        str(school.course_id), 1, as_of=at(date(2025, 9, 11), 12)
    )
    after = running.views.reads.journal.grid(
        str(school.course_id), 1, as_of=at(date(2025, 9, 13), 12)
    )
    assert [(c.value, c.corrected) for c in before.marks[key]] == [("2", False)]
    assert [(c.value, c.corrected) for c in after.marks[key]] == [("3", True)]


def test_a_withdrawn_pupil_leaves_the_grids_after_the_withdrawal_only(running: System) -> None:
    school = build_school(running.journal)
    j = running.journal
    leaver = school.pupils[2]
    with clock.travel(at(date(2025, 10, 1), 9)):
        last = j.classes.withdraw(
            school.class_id, leaver, date(2025, 10, 1), "переезд", school.admin
        )
    assert running.views.wait_for(last.position, timeout=10)
    term1 = running.views.reads.journal.grid(str(school.course_id), 1)
    term2 = running.views.reads.journal.grid(str(school.course_id), 2)
    assert str(leaver) in term1.pupils  # was in the class for part of the first term
    assert str(leaver) not in term2.pupils
    earlier = running.views.reads.journal.grid(
        str(school.course_id), 2, as_of=at(date(2025, 9, 30), 12)
    )
    assert str(leaver) in earlier.pupils  # before the withdrawal was recorded
