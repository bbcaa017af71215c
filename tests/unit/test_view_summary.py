"""The summary sheet and the class journal, against hand-computed cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import pytest

from domain.journal import Journal
from domain.lesson import MarkEntry
from domain.policies import Policies
from projections.queries.class_journal import class_journal
from projections.queries.summary import PupilTotals, SubjectTotals, summary_sheet
from projections.store import MemoryStore
from projections.views import catalog, final_marks, grid
from tests.school import LESSON_DAY, School, at
from tests.unit.conftest import on
from tests.views import processor

VIEWS = (catalog.VIEW, grid.VIEW, final_marks.VIEW)
YEAR_DAY, CORRECTION_DAY = date(2026, 5, 20), date(2026, 5, 22)


def build(journal: Journal, until: datetime | None = None) -> MemoryStore:
    """The views this module needs, built in memory (up to ``until``)."""
    store, _ = processor(journal).build_in_memory(VIEWS, until=until)
    return store


@dataclass
class Sheet:
    """Ids of the scenario: the school, two more subjects, a fourth and a withdrawn pupil."""

    school: School
    russian: UUID
    pe: UUID
    late: UUID
    withdrawn: UUID

    def ids(self) -> tuple[str, ...]:
        """Pupils p0, p1, p2, p3 and the withdrawn one, as view ids."""
        return tuple(str(p) for p in (*self.school.pupils, self.late, self.withdrawn))


def _subjects_and_pupils(s: School) -> tuple[UUID, UUID, UUID, UUID]:
    j, admin = s.journal, s.admin
    with on(date(2025, 8, 26)):
        russian = j.classes.open_course_journal(s.class_id, "Русский язык", "five_point", admin).id
        pe = j.classes.open_course_journal(s.class_id, "Физкультура", "pass_fail", admin).id
        for course in (russian, pe):
            j.classes.assign_teacher(course, s.teacher, admin)
        late = j.people.register_student("Волков", "Глеб", "", date(2014, 5, 1), admin).id
        gone = j.people.register_student("Лебедев", "Марк", "", date(2014, 6, 2), admin).id
        for pupil in (late, gone):
            j.classes.enrol(s.class_id, pupil, date(2025, 9, 1), admin)
    with on(date(2026, 1, 19)):
        j.classes.withdraw(s.class_id, gone, date(2026, 1, 20), "Переезд в другой город", admin)
    return russian, pe, late, gone


@pytest.fixture
def sheet(school: School) -> Sheet:
    """Year marks (Математика / Русский язык / Физкультура):

    p0: 5 / 5 / —;  p1: 4 / 5 / зач;  p2: 2→3 (corrected) / 4 / зач;
    p3: 2 / н/а / незач;  the pupil withdrawn on 20 January: none, term marks 4 and 3.
    """
    s, j, t = school, school.journal, school.teacher
    russian, pe, late, gone = _subjects_and_pupils(s)
    p0, p1, p2 = s.pupils
    with on(date(2025, 10, 20)):
        j.grades.set_term_mark(s.course_id, 1, gone, "4", t)
        j.grades.set_term_mark(s.course_id, 1, p0, "5", t)
    with on(date(2025, 12, 25)):
        j.grades.set_term_mark(s.course_id, 2, gone, "3", t)
    marks = {
        s.course_id: [(p0, "5"), (p1, "4"), (p2, "2"), (late, "2")],
        russian: [(p0, "5"), (p1, "5"), (p2, "4"), (late, "н/а")],
        pe: [(p1, "зач"), (p2, "зач"), (late, "незач")],
    }
    with on(YEAR_DAY):
        for course, pairs in marks.items():
            for pupil, value in pairs:
                j.grades.set_year_mark(course, pupil, value, t)
    with on(CORRECTION_DAY):
        j.grades.set_year_mark(s.course_id, p2, "3", t, reason="Исправлено по итогам пересдачи")
    return Sheet(s, russian, pe, late, gone)


def test_sheet_has_every_pupil_of_the_year_and_subjects_by_name(
    sheet: Sheet, policies: Policies
) -> None:
    s = sheet.school
    result = summary_sheet(build(s.journal), policies.grading, policies.attendance, str(s.class_id))
    assert result.pupils == tuple(sorted(sheet.ids()))  # the withdrawn pupil stays
    assert str(s.outsider) not in result.pupils
    assert [(x.subject, x.scale) for x in result.subjects] == [
        ("Математика", "five_point"),
        ("Русский язык", "five_point"),
        ("Физкультура", "pass_fail"),
    ]
    assert [x.course_journal_id for x in result.subjects] == [
        str(s.course_id),
        str(sheet.russian),
        str(sheet.pe),
    ]
    assert result.term_numbers == (1, 2, 3, 4)


def test_sheet_cells_hold_year_and_term_marks(sheet: Sheet, policies: Policies) -> None:
    s = sheet.school
    p0, _, p2, _, gone = sheet.ids()
    math, pe = str(s.course_id), str(sheet.pe)
    result = summary_sheet(build(s.journal), policies.grading, policies.attendance, str(s.class_id))
    assert len(result.year) == 11
    assert result.year[p2, math] == "3"  # the corrected value
    assert result.year[p2, pe] == "зач"
    assert (p0, pe) not in result.year
    assert result.terms == {(gone, math, 1): "4", (gone, math, 2): "3", (p0, math, 1): "5"}


def test_pupil_counts_and_standing(sheet: Sheet, policies: Policies) -> None:
    s = sheet.school
    p0, p1, p2, p3, gone = sheet.ids()
    result = summary_sheet(build(s.journal), policies.grading, policies.attendance, str(s.class_id))
    t = result.pupil_totals
    #                          5  4  3  2 н/а fail n  excel  good   one3   failing
    assert t[p0] == PupilTotals(2, 0, 0, 0, 0, 0, 2, True, False, False, False)
    assert t[p1] == PupilTotals(1, 1, 0, 0, 0, 0, 3, False, True, False, False)
    assert t[p2] == PupilTotals(0, 1, 1, 0, 0, 0, 3, False, False, True, False)
    assert t[p3] == PupilTotals(0, 0, 0, 1, 1, 3, 3, False, False, False, True)
    assert t[gone] == PupilTotals(0, 0, 0, 0, 0, 0, 0, False, False, False, False)
    assert [t[p].fours_and_fives for p in (p0, p1, p2, p3)] == [True, True, False, False]


def test_subject_success_and_quality(sheet: Sheet, policies: Policies) -> None:
    s = sheet.school
    result = summary_sheet(build(s.journal), policies.grading, policies.attendance, str(s.class_id))
    totals = result.subject_totals
    # Математика 5 4 3 2: passing 3 of 4, quality («4», «5») 2 of 4.
    assert totals[str(s.course_id)] == SubjectTotals(4, 3, 2, 75.0, 50.0)
    # Русский язык 5 5 4 н/а: «н/а» does not pass.
    assert totals[str(sheet.russian)] == SubjectTotals(4, 3, 3, 75.0, 75.0)
    # Физкультура зач зач незач (p0 has none yet): 2 of 3, no quality on pass/fail.
    assert totals[str(sheet.pe)] == SubjectTotals(3, 2, None, 66.7, None)
    # Class: 4 pupils with marks; p0, p1, p2 pass everything; p0, p1 on «4» and «5».
    assert (result.success_percent, result.quality_percent) == (75.0, 50.0)


def test_sheet_as_of_before_the_correction(sheet: Sheet, policies: Policies) -> None:
    s = sheet.school
    p2, math = sheet.ids()[2], str(s.course_id)
    store = build(s.journal, until=at(CORRECTION_DAY, 9))
    result = summary_sheet(store, policies.grading, policies.attendance, str(s.class_id))
    assert result.year[p2, math] == "2"
    assert result.pupil_totals[p2].failing
    assert result.subject_totals[math] == SubjectTotals(4, 2, 2, 50.0, 50.0)


def test_unknown_class_is_a_lookup_error(school: School, policies: Policies) -> None:
    with pytest.raises(LookupError):
        summary_sheet(
            build(school.journal), policies.grading, policies.attendance, str(school.year_id)
        )


# --- class journal -------------------------------------------------------------------------
def test_class_journal_has_every_subject(sheet: Sheet, policies: Policies) -> None:
    s, j = sheet.school, sheet.school.journal
    math_lesson = s.hold()
    with on(LESSON_DAY, 9):
        russian_lesson = j.entry.hold_lesson(
            sheet.russian, LESSON_DAY, 3, "Глагол", "упр. 5", s.teacher
        )
    with on(LESSON_DAY):
        j.entry.record_marks(math_lesson, [MarkEntry(s.pupils[0], "5", "answer")], s.teacher)
        j.entry.record_marks(russian_lesson.id, [MarkEntry(s.pupils[1], "4", "test")], s.teacher)
    store = build(j)
    first = class_journal(store, policies.grading, str(s.class_id), 1)
    assert (first.name, first.term) == ("5А", 1)
    assert [g.subject for g in first.grids] == ["Математика", "Русский язык", "Физкультура"]
    math, russian, pe = first.grids
    assert [len(g.lessons) for g in first.grids] == [1, 1, 0]
    assert [c.value for c in math.marks[str(s.pupils[0]), str(math_lesson)]] == ["5"]
    assert russian.averages[str(s.pupils[1])] == 4.0
    assert pe.scale == "pass_fail"
    assert all(g.pupils == tuple(sorted(sheet.ids())) for g in first.grids)
    last = class_journal(store, policies.grading, str(s.class_id), 4)
    assert all(str(sheet.withdrawn) not in g.pupils for g in last.grids)
    assert [g.course_journal_id for g in last.grids] == [g.course_journal_id for g in first.grids]
