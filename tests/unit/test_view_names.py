"""Names for display read many people in one query, with the same answers as one by one;
a grid row lists a pupil's cells in lesson order."""

from __future__ import annotations

from uuid import uuid4

from domain import clock
from domain.lesson import MarkEntry
from projections.views import catalog, grid
from tests.school import LESSON_DAY, at
from tests.views import PlainSealer, memory_views


def test_display_names_match_display_name_including_destroyed_and_unknown(school) -> None:
    sealer = PlainSealer()
    reader = memory_views(school.journal, sealer=sealer)
    shredded = school.pupils[1]
    sealer.destroyed.add(f"person/{shredded}")
    people = [*school.pupils, school.outsider, uuid4()]
    for short in (False, True):
        names = catalog.display_names(reader, sealer, people, short=short)
        assert names == {
            str(p): catalog.display_name(reader, sealer, p, short=short) for p in people
        }
    assert names[str(shredded)] == names[str(people[-1])] == catalog.DESTROYED
    assert names[str(school.pupils[0])] not in ("", catalog.DESTROYED)


def test_grid_row_lists_marks_and_attendance_in_lesson_order(school) -> None:
    j, teacher, pupil = school.journal, school.teacher, school.pupils[0]
    first, second = school.hold(), school.hold(period=3)
    with clock.travel(at(LESSON_DAY, 14)):
        j.entry.record_marks(second, [MarkEntry(pupil, "4", "answer")], teacher)
        j.entry.mark_attendance(first, {pupil: "Н"}, teacher)
    page = grid.grid(memory_views(j), j.policies.grading, str(school.course_id), 1)
    row = page.row(str(pupil))
    assert [lesson.lesson_id for lesson in page.lessons] == [str(first), str(second)]
    assert [([c.value for c in cells], code) for cells, code in row] == [([], "Н"), (["4"], "")]
