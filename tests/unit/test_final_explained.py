"""Term and year marks that explain themselves (issue 18 §2, ADR 0024): the explanation
computed from the inputs, the rounding rule, the reason when the mark differs, the version
of ``grading.toml`` kept with the event, and corrections made later shown beside it without
rewriting it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from uuid import UUID

import pytest

from domain import ids
from domain.errors import (
    AlreadyExists,
    FinalMarkDiffers,
    MarkNotFound,
    NotCourseTeacher,
    ReasonRequired,
    TermMarksMissing,
)
from domain.explain import Input, check_why, explain, round_average
from domain.grades import TermGrades, YearGrades
from domain.journal import Journal
from domain.lesson import MarkEntry
from domain.policies import Policies
from projections.queries import explain as explain_query
from projections.store import MemoryStore
from projections.views import catalog, final_marks, grid
from tests.school import LESSON_DAY, School, build_school
from tests.unit.conftest import Rejects, new_journal, on
from tests.views import processor

VIEWS = (catalog.VIEW, grid.VIEW, final_marks.VIEW)
WHY = "Не сдана зачётная работа"
SET_DAY, LATER = date(2025, 10, 20), date(2025, 10, 22)


def build(journal: Journal) -> MemoryStore:
    store, _ = processor(journal).build_in_memory(VIEWS)
    return store


class ViewInputs:
    """The ``FinalInputs`` port over views built in memory (as bootstrap wires the real
    ones)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def term_inputs(self, course_journal_id: UUID, term: int) -> Mapping[UUID, Sequence[Input]]:
        return explain_query.term_inputs(build(self.journal), str(course_journal_id), term)

    def year_inputs(self, course_journal_id: UUID) -> Mapping[UUID, Sequence[Input]]:
        return explain_query.year_inputs(build(self.journal), str(course_journal_id))


def _with_hash(policies: Policies, **changes: object) -> Policies:
    grading = dataclasses.replace(policies.grading, content_hash="ab" * 32, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(policies, grading=grading)


@pytest.fixture
def wired(policies: Policies) -> School:
    """The unit school with the inputs port wired and a known grading.toml hash; pupil 0
    has «5» (answer, ×1) and «3» (test, ×3) on the lesson day: (5 + 9) / 4 = 3,5."""
    journal = new_journal(_with_hash(policies))
    school = build_school(journal)
    journal.final_inputs = ViewInputs(journal)
    lesson = school.hold()
    with on(LESSON_DAY, 16):
        school.marks = journal.entry.record_marks(  # type: ignore[attr-defined]
            lesson,
            [MarkEntry(school.pupils[0], "5", "answer"), MarkEntry(school.pupils[0], "3", "test")],
            school.teacher,
        ).created
    school.lesson = lesson  # type: ignore[attr-defined]
    return school


# --- the computation, pure ----------------------------------------------------------------
def test_the_weighted_average_uses_the_weights_of_the_kinds(policies: Policies) -> None:
    grading = _with_hash(policies).grading
    found = explain(
        grading,
        "five_point",
        [
            Input("a", "5", "answer", "2025-09-16"),
            Input("b", "3", "test", "2025-09-20"),
            Input("c", "4", "dictation", "2025-09-25"),
        ],
    )
    # (5·1 + 3·3 + 4·2) / (1 + 3 + 2) = 22 / 6
    assert found.average == Fraction(22, 6)
    assert (found.total, found.weights, found.average_text) == (22, 6, "3.67")
    assert [c.weight for c in found.inputs] == [1, 3, 2]
    assert found.rounded == "4" and found.policy == "ab" * 32 and found.round_up_from == "0.5"


def test_the_rounding_rule_comes_from_the_policy() -> None:
    assert round_average(Fraction(9, 2), "0.5") == 5
    assert round_average(Fraction(9, 2), "0.6") == 4
    assert round_average(Fraction(46, 10), "0.6") == 5
    assert round_average(Fraction(449, 100), "0.5") == 4
    assert round_average(Fraction(4), "0.5") == 4


def test_values_outside_the_average_are_listed_but_not_counted(policies: Policies) -> None:
    grading = policies.grading
    found = explain(grading, "five_point", [Input("a", "н/а", "answer"), Input("b", "4", "test")])
    assert [c.counted for c in found.inputs] == [False, True]
    assert found.average == 4 and found.rounded == "4"
    nothing = explain(grading, "pass_fail", [Input("a", "зач", "answer")])
    assert nothing.average is None and nothing.rounded == "" and not nothing.differs("незач")
    empty = explain(grading, "five_point", [])
    assert empty.average is None and not empty.differs("н/а")


def test_a_year_mark_counts_each_term_mark_once(policies: Policies) -> None:
    found = explain(
        policies.grading,
        "five_point",
        [Input(f"term:{n}", v, "term") for n, v in enumerate(("4", "3", "3", "3"), 1)],
    )
    assert (found.total, found.weights, found.rounded) == (13, 4, "3")


def test_the_explanation_survives_its_event_state(policies: Policies) -> None:
    found = explain(
        _with_hash(policies).grading,
        "five_point",
        [Input("a", "5", "answer", "2025-09-16"), Input("b", "4", "test", "2025-09-17")],
    )
    again = type(found).from_state(found.to_state())
    assert again == found


def test_a_reason_is_required_only_when_the_mark_differs(policies: Policies) -> None:
    grading = policies.grading
    found = explain(grading, "five_point", [Input("a", "4", "answer"), Input("b", "5", "answer")])
    assert found.rounded == "5"
    assert check_why(grading, found, "5", "", 5) == ""
    with pytest.raises(FinalMarkDiffers) as info:
        check_why(grading, found, "4", "", 5)
    assert "«4»" in info.value.text and "4,50" in info.value.text and "«5»" in info.value.text
    with pytest.raises(FinalMarkDiffers):
        check_why(grading, found, "4", "нет", 5)  # shorter than the regulation's minimum
    assert check_why(grading, found, "4", f"  {WHY} ", 5) == WHY
    relaxed = dataclasses.replace(grading, reason_when_differs=False)
    assert check_why(relaxed, found, "4", "", 5) == ""
    assert check_why(relaxed, found, "4", WHY, 5) == WHY  # given, it is still kept


# --- the domain: commands, events, upcasting ----------------------------------------------
def test_a_term_mark_other_than_the_rounded_average_needs_a_reason(
    wired: School, rejects: Rejects
) -> None:
    j, p0 = wired.journal, wired.pupils[0]
    with on(SET_DAY), rejects(FinalMarkDiffers) as info:
        j.grades.set_term_mark(wired.course_id, 1, p0, "3", wired.teacher)
    assert "3,50" in info.value.text
    with on(SET_DAY):
        j.grades.set_term_mark(wired.course_id, 1, p0, "3", wired.teacher, why=WHY)
        j.grades.set_term_mark(wired.course_id, 1, wired.pupils[1], "н/а", wired.teacher)
    events = [e for e in j.events.get(wired_grades(wired)) if isinstance(e, TermGrades.TermMarkSet)]
    first = events[0]
    assert first.why == WHY and first.basis is not None
    assert first.basis["rounded"] == "4" and first.basis["average"] == "7/2"
    assert first.basis["policy"] == "ab" * 32
    inputs = first.basis["inputs"]
    assert isinstance(inputs, list)
    assert sorted(i[:4] for i in inputs) == sorted(
        [
            [str(wired.marks[0]), "5", "answer", 1],  # type: ignore[attr-defined]
            [str(wired.marks[1]), "3", "test", 3],  # type: ignore[attr-defined]
        ]
    )
    # a pupil without marks: nothing to round, no reason needed
    assert events[1].basis is not None and events[1].basis["average"] == ""


def wired_grades(school: School) -> UUID:
    return TermGrades.create_id(school.course_id, 1)


def test_the_rounded_average_needs_no_reason(wired: School) -> None:
    with on(SET_DAY):
        wired.journal.grades.set_term_mark(wired.course_id, 1, wired.pupils[0], "4", wired.teacher)
    found = final_marks.explanation(
        build(wired.journal), str(wired.course_id), 1, str(wired.pupils[0])
    )
    assert found is not None and found.current.why == "" and found.current.value == "4"


def test_the_policy_may_not_ask_for_a_reason(policies: Policies) -> None:
    journal = new_journal(_with_hash(policies, reason_when_differs=False))
    school = build_school(journal)
    journal.final_inputs = ViewInputs(journal)
    lesson = school.hold()
    with on(LESSON_DAY, 16):
        journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
    with on(SET_DAY):
        journal.grades.set_term_mark(school.course_id, 1, school.pupils[0], "4", school.teacher)
    found = final_marks.explanation(build(journal), str(school.course_id), 1, str(school.pupils[0]))
    assert found is not None and found.current.basis is not None
    assert found.current.basis.differs("4") and found.current.why == ""


def test_a_correction_keeps_its_reason_and_a_fresh_explanation(
    wired: School, rejects: Rejects
) -> None:
    j, p0 = wired.journal, wired.pupils[0]
    with on(SET_DAY):
        j.grades.set_term_mark(wired.course_id, 1, p0, "4", wired.teacher)
    with on(LATER), rejects(ReasonRequired):
        j.grades.set_term_mark(wired.course_id, 1, p0, "5", wired.teacher, reason=" ")
    with on(LATER):
        j.grades.set_term_mark(wired.course_id, 1, p0, "5", wired.teacher, reason=WHY)
    found = final_marks.explanation(build(j), str(wired.course_id), 1, str(p0))
    assert found is not None
    assert [(s.what, s.value) for s in found.settings] == [("set", "4"), ("corrected", "5")]
    assert found.current.reason == WHY and found.current.basis is not None
    assert found.current.basis.rounded == "4"


def test_corrections_after_the_setting_show_beside_it_and_never_rewrite_it(
    wired: School,
) -> None:
    j, p0 = wired.journal, wired.pupils[0]
    marks = wired.marks  # type: ignore[attr-defined]
    with on(SET_DAY):
        j.grades.set_term_mark(wired.course_id, 1, p0, "4", wired.teacher)
    with on(LATER):
        j.entry.correct_mark(
            wired.lesson,  # type: ignore[attr-defined]
            marks[1],
            "5",
            "test",
            "Пересдача контрольной",
            wired.deputy,
        )
    found = final_marks.explanation(build(j), str(wired.course_id), 1, str(p0))
    assert found is not None
    basis = found.current.basis
    assert basis is not None
    # the explanation as of the setting: «3» of the test still counted, 3,5 → «4»
    assert sorted(i.value for i in basis.inputs) == ["3", "5"] and basis.rounded == "4"
    assert [(c.ref, c.before, c.after, c.reason) for c in found.later] == [
        (str(marks[1]), "3", "5", "Пересдача контрольной")
    ]


def test_a_year_mark_is_computed_from_the_term_marks(wired: School, rejects: Rejects) -> None:
    j, p0, course = wired.journal, wired.pupils[0], wired.course_id
    for term, value in ((1, "4"), (2, "3"), (3, "3"), (4, "3")):
        with on(date(2025, 10, 20) if term == 1 else date(2026, 3, 1)):
            j.grades.set_term_mark(course, term, p0, value, wired.teacher, why=WHY)
    with on(date(2026, 5, 20)), rejects(FinalMarkDiffers):
        j.grades.set_year_mark(course, p0, "4", wired.teacher)
    with on(date(2026, 5, 20)):
        j.grades.set_year_mark(course, p0, "4", wired.teacher, why=WHY)
    with on(date(2026, 5, 22)):
        j.grades.set_term_mark(course, 4, p0, "4", wired.deputy, reason="Пересмотр отметки")
    found = final_marks.explanation(build(j), str(course), None, str(p0))
    assert found is not None and found.term is None
    basis = found.current.basis
    assert basis is not None and basis.rounded == "3" and found.current.why == WHY
    assert [(i.ref, i.value, i.weight) for i in basis.inputs] == [
        ("term:1", "4", 1),
        ("term:2", "3", 1),
        ("term:3", "3", 1),
        ("term:4", "3", 1),
    ]
    assert [(c.term, c.before, c.after) for c in found.later] == [(4, "3", "4")]


def test_version_1_events_are_upcast_without_an_explanation() -> None:
    for cls in (TermGrades.TermMarkSet, YearGrades.YearMarkSet):
        state: dict[str, object] = {"student_id": "x", "value": "4", "actor": "y"}
        cls.upcast_v1_v2(state)
        assert state["basis"] is None and state["why"] == "" and cls.class_version == 2
    for fixed in (TermGrades.TermMarkCorrected, YearGrades.YearMarkCorrected):
        state = {"student_id": "x", "value": "4", "reason": "r", "approver": None, "actor": "y"}
        fixed.upcast_v1_v2(state)
        assert state["basis"] is None and fixed.class_version == 2


def test_a_mark_set_before_explanations_reads_not_recorded() -> None:
    store = MemoryStore()
    store.upsert(
        final_marks.EXPLANATIONS,
        {
            "course_journal_id": "c",
            "term": 1,
            "student_id": "p",
            "at": "2025-10-20T12:00:00+00:00",
            "what": "set",
            "value": "4",
            "basis": None,
            "why": "",
            "reason": "",
            "set_by": "t",
        },
    )
    found = final_marks.explanation(store, "c", 1, "p")
    assert found is not None and found.current.basis is None and found.later == ()


# --- year marks need the term marks (ADR 0032) ----------------------------------------------
def _stored(journal: Journal) -> int:
    return journal.recorder.max_notification_id() or 0


def test_a_year_mark_needs_a_mark_for_every_term_of_the_pupils_year(wired: School) -> None:
    j, p0, course = wired.journal, wired.pupils[0], wired.course_id
    for term in (1, 3):
        with on(SET_DAY if term == 1 else date(2026, 3, 1)):
            j.grades.set_term_mark(course, term, p0, "4", wired.teacher, why=WHY)
    before = _stored(j)
    with on(date(2026, 5, 20)), pytest.raises(TermMarksMissing) as refused:
        j.grades.set_year_mark(course, p0, "4", wired.teacher)
    assert refused.value.text == (
        "Годовая отметка выставляется по отметкам за учебные периоды: нет отметки за "
        "«2 четверть», «4 четверть». Сначала выставьте их (не аттестован за период — «н/а»)."
    )
    assert refused.value.details["student_id"] == str(p0)
    assert _stored(j) == before
    # «н/а» is a term mark: it allows the year mark and stays out of the average
    with on(date(2026, 3, 1)):
        j.grades.set_term_mark(course, 2, p0, "н/а", wired.teacher)
    with on(date(2026, 5, 20)):
        j.grades.set_term_mark(course, 4, p0, "5", wired.teacher)
        j.grades.set_year_mark(course, p0, "4", wired.teacher, why=WHY)  # 13 / 3 → «4»
    found = final_marks.explanation(build(j), str(course), None, str(p0))
    assert found is not None and found.current.basis is not None
    assert [(i.ref, i.counted) for i in found.current.basis.inputs] == [
        ("term:1", True),
        ("term:2", False),
        ("term:3", True),
        ("term:4", True),
    ]
    assert found.current.basis.rounded == "4" and found.current.why == ""


def test_a_pupil_who_came_later_needs_the_marks_of_their_terms_only(wired: School) -> None:
    j, course = wired.journal, wired.course_id
    with on(date(2026, 1, 12)):
        late = j.people.register_student("Новикова", "Алиса", "", date(2014, 5, 5), wired.admin).id
        j.classes.enrol(wired.class_id, late, date(2026, 1, 12), wired.admin)
    with on(date(2026, 5, 20)):
        j.grades.set_term_mark(course, 3, late, "5", wired.teacher)
        with pytest.raises(TermMarksMissing, match="«4 четверть»"):
            j.grades.set_year_mark(course, late, "5", wired.teacher)
        j.grades.set_term_mark(course, 4, late, "5", wired.teacher)
        j.grades.set_year_mark(course, late, "5", wired.teacher)
    assert final_marks.course_year_marks(build(j), str(course))[str(late)].value == "5"


def test_term_and_year_marks_of_one_save_are_one_transaction(wired: School) -> None:
    """The last term's mark and the year mark in one command: the year mark counts the term
    mark set with it; when the year mark is refused, the term mark is not written either."""
    j, p0, course = wired.journal, wired.pupils[0], wired.course_id
    for term, value in ((1, "4"), (2, "3"), (3, "3")):
        with on(SET_DAY if term == 1 else date(2026, 3, 1)):
            j.grades.set_term_mark(course, term, p0, value, wired.teacher, why=WHY)
    before = _stored(j)
    with on(date(2026, 5, 20)), pytest.raises(FinalMarkDiffers):  # 4, 3, 3, 4 → 3,50 → «4»
        j.grades.set_final_marks(course, 4, [(p0, "4", "")], [(p0, "3", "")], wired.teacher)
    assert _stored(j) == before
    with on(date(2026, 5, 20)):
        j.grades.set_final_marks(
            course, 4, [(p0, "4", "")], [(p0, "3", "")], wired.teacher, None, {p0: WHY}
        )
    store = build(j)
    assert final_marks.term_marks(store, str(course), 4)[str(p0)].value == "4"
    found = final_marks.explanation(store, str(course), None, str(p0))
    assert found is not None and found.current.basis is not None
    assert found.current.basis.average_text == "3.50" and found.current.why == WHY


def test_term_and_year_marks_are_set_and_corrected_alike(wired: School) -> None:
    """One implementation (``domain/grades.py``): the same refusals, in the same words but
    the mark's name."""
    j, p0, course = wired.journal, wired.pupils[0], wired.course_id
    for term in (1, 2, 3, 4):
        with on(SET_DAY if term == 1 else date(2026, 3, 1)):
            j.grades.set_term_mark(course, term, p0, "4", wired.teacher, why=WHY)
            j.grades.set_term_mark(course, term, wired.pupils[1], "н/а", wired.teacher)
    with on(date(2026, 5, 20)):
        j.grades.set_year_mark(course, p0, "4", wired.teacher)
        with pytest.raises(AlreadyExists, match=r"^Четвертная отметка уже выставлена"):
            j.grades.set_term_mark(course, 1, p0, "5", wired.teacher)
        with pytest.raises(AlreadyExists, match=r"^Годовая отметка уже выставлена"):
            j.grades.set_year_mark(course, p0, "5", wired.teacher)
        with pytest.raises(MarkNotFound, match=r"^Четвертная отметка ещё не выставлена"):
            j.grades.set_term_mark(course, 1, wired.pupils[2], "5", wired.teacher, reason=WHY)
        with pytest.raises(MarkNotFound, match=r"^Годовая отметка ещё не выставлена"):
            j.grades.set_year_mark(course, wired.pupils[1], "5", wired.teacher, reason=WHY)
        with pytest.raises(NotCourseTeacher):
            j.grades.set_year_mark(course, p0, "5", wired.other_teacher, reason=WHY)
        j.grades.set_year_mark(course, p0, "5", wired.deputy, reason=WHY)
    year = j.load(YearGrades, ids.year_grades_id(wired.class_id, wired.year_id))
    mark = year.marks[(course, p0)]
    assert (mark.value, mark.corrected, mark.reason) == ("5", True, WHY)
