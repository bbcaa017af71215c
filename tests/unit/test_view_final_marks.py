"""The term and year marks view: marks as they stand, corrections flagged, as-of replay."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.journal import Journal
from projections.store import MemoryStore
from projections.views import catalog, final_marks, grid
from projections.views.final_marks import FinalMark, term_marks, year_marks
from tests.school import School, at
from tests.unit.conftest import on
from tests.views import processor

VIEWS = (catalog.VIEW, grid.VIEW, final_marks.VIEW)
REASON = "Пересчёт после пересдачи"
SET_DAY, CORRECTION_DAY = date(2025, 10, 20), date(2025, 10, 23)


def build(journal: Journal, until: datetime | None = None) -> MemoryStore:
    """The views this module needs, built in memory (up to ``until``)."""
    store, _ = processor(journal).build_in_memory(VIEWS, until=until)
    return store


@pytest.fixture
def marked(school: School) -> School:
    """Term 1 mathematics: pupil 0 «4» then corrected to «5» by the teacher, pupil 1 «3»;
    term 2: pupil 0 «5»; the other class: its pupil «4»."""
    j, course, (p0, p1, _) = school.journal, school.course_id, school.pupils
    with on(SET_DAY):
        j.grades.set_term_mark(course, 1, p0, "4", school.teacher)
        j.grades.set_term_mark(course, 1, p1, "3", school.teacher)
        assert school.outsider is not None
        j.grades.set_term_mark(
            school.other_course_id, 1, school.outsider, "4", school.other_teacher
        )
    with on(date(2025, 12, 25)):
        j.grades.set_term_mark(course, 2, p0, "5", school.teacher)
    with on(CORRECTION_DAY):
        j.grades.set_term_mark(course, 1, p0, "5", school.teacher, reason=REASON)
    return school


def test_term_marks_show_the_corrected_value(marked: School) -> None:
    s = marked
    p0, p1 = (str(p) for p in s.pupils[:2])
    course, teacher = str(s.course_id), str(s.teacher)
    marks = term_marks(build(s.journal), course, 1)
    assert marks == {
        p0: FinalMark(
            course, p0, 1, "5", True, REASON, teacher, at(CORRECTION_DAY).isoformat(), None
        ),
        p1: FinalMark(course, p1, 1, "3", False, "", teacher, at(SET_DAY).isoformat(), None),
    }


def test_terms_and_course_journals_are_kept_apart(marked: School) -> None:
    s = marked
    store = build(s.journal)
    assert {p: m.value for p, m in term_marks(store, str(s.course_id), 2).items()} == {
        str(s.pupils[0]): "5"
    }
    assert {p: m.value for p, m in term_marks(store, str(s.other_course_id), 1).items()} == {
        str(s.outsider): "4"
    }
    assert term_marks(store, str(s.course_id), 3) == {}


def test_as_of_before_the_correction_shows_the_old_value(marked: School) -> None:
    s = marked
    p0 = str(s.pupils[0])
    before = term_marks(build(s.journal, until=at(CORRECTION_DAY, 9)), str(s.course_id), 1)
    assert (before[p0].value, before[p0].corrected, before[p0].reason) == ("4", False, "")
    after = term_marks(build(s.journal, until=at(CORRECTION_DAY, 16)), str(s.course_id), 1)
    assert (after[p0].value, after[p0].corrected) == ("5", True)


def test_year_mark_corrected_by_deputy_names_the_approver(school: School) -> None:
    s, (p0, p1, _) = school, school.pupils
    j, course = s.journal, s.course_id
    with on(date(2026, 5, 20)):
        j.grades.set_year_mark(course, p0, "2", s.teacher)
        j.grades.set_year_mark(course, p1, "5", s.teacher)
    with on(date(2026, 5, 22)):
        j.grades.set_year_mark(course, p0, "3", s.deputy, reason=REASON)
    marks = year_marks(build(j), str(s.class_id))
    key = (str(p0), str(course))
    assert marks[key] == FinalMark(
        str(course),
        str(p0),
        None,
        "3",
        True,
        REASON,
        str(s.deputy),
        at(date(2026, 5, 22)).isoformat(),
        str(s.deputy),
    )
    assert marks[str(p1), str(course)].value == "5"
    assert not marks[str(p1), str(course)].corrected
    assert len(marks) == 2
    old = year_marks(build(j, until=at(date(2026, 5, 21))), str(s.class_id))
    assert (old[key].value, old[key].corrected, old[key].approver) == ("2", False, None)
    assert year_marks(build(j), str(s.other_class_id)) == {}


def test_not_attested_is_a_final_mark(school: School) -> None:
    s, p2 = school, school.pupils[2]
    with on(date(2025, 10, 24)):
        s.journal.grades.set_term_mark(s.course_id, 1, p2, "н/а", s.teacher)
    assert term_marks(build(s.journal), str(s.course_id), 1)[str(p2)].value == "н/а"
