"""The pedagogical council's decisions and the exam and final marks of the summary sheet:
who records them, what they need, and that the year closes only when every pupil has a
decision (or is forced with a reason, which the close records)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain import errors
from domain.journal import Journal
from domain.policies import Policies
from projections.queries.summary import summary_sheet
from projections.views import catalog, final_marks, grid
from retention.closing import undecided_pupils
from tests.school import School
from tests.unit.conftest import Rejects, on
from tests.views import processor

COUNCIL = date(2026, 5, 28)


def decide(school: School, pupils: list[UUID], decision: str = "promoted", **kw: object) -> None:
    with on(COUNCIL):
        school.journal.grades.record_decisions(
            school.class_id,
            [(p, decision) for p in pupils],
            str(kw.pop("protocol", "7")),
            kw.pop("day", COUNCIL),  # type: ignore[arg-type]
            kw.pop("actor", school.deputy),  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )


def decisions_view(journal: Journal, group: UUID) -> dict[str, final_marks.CouncilDecision]:
    store, _ = processor(journal).build_in_memory((catalog.VIEW, final_marks.VIEW))
    return final_marks.decisions(store, str(group))


def test_the_deputy_records_decisions_under_one_protocol(school: School) -> None:
    p0, p1, p2 = school.pupils
    decide(school, [p0, p1])
    decide(school, [p2], "retained", protocol="8")
    found = decisions_view(school.journal, school.class_id)
    assert {k: (v.decision, v.protocol_no) for k, v in found.items()} == {
        str(p0): ("promoted", "7"),
        str(p1): ("promoted", "7"),
        str(p2): ("retained", "8"),
    }
    assert found[str(p0)].protocol_date == COUNCIL.isoformat()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"actor": "teacher"}, errors.RoleRequired),
        ({"protocol": "  "}, errors.ProtocolRequired),
        ({"day": date(2026, 5, 29)}, errors.ProtocolDateInvalid),  # tomorrow
        ({"day": date(2025, 8, 1)}, errors.ProtocolDateInvalid),  # before the year
        ({"decision": "expelled"}, errors.UnknownDecision),
    ],
    ids=["teacher", "no protocol", "future date", "before the year", "unknown decision"],
)
def test_a_decision_is_refused_with_a_named_error_and_nothing_written(
    school: School, rejects: Rejects, change: dict[str, object], error: type
) -> None:
    kw = dict(change)
    decision = str(kw.pop("decision", "promoted"))
    if kw.get("actor") == "teacher":
        kw["actor"] = school.teacher
    with rejects(error):
        decide(school, list(school.pupils), decision, **kw)


def test_a_pupil_of_another_class_is_refused_and_none_of_the_batch_written(
    school: School, rejects: Rejects
) -> None:
    assert school.outsider is not None
    with rejects(errors.NotEnrolled):
        decide(school, [school.pupils[0], school.outsider])


def test_changing_a_decision_needs_a_reason(school: School, rejects: Rejects) -> None:
    p0 = school.pupils[0]
    decide(school, [p0], "conditional")
    with rejects(errors.ReasonRequired):
        decide(school, [p0], "promoted")
    decide(school, [p0], "promoted", reason="Задолженность ликвидирована 25.08")
    assert decisions_view(school.journal, school.class_id)[str(p0)].decision == "promoted"


def test_closing_is_refused_naming_the_pupils_without_a_decision(
    school: School, rejects: Rejects
) -> None:
    decide(school, list(school.pupils))
    store, _ = processor(school.journal).build_in_memory((catalog.VIEW, final_marks.VIEW))
    undecided = undecided_pupils(store, str(school.year_id))
    assert [(u.group, u.student_id) for u in undecided] == [("5Б", str(school.outsider))]
    with on(date(2026, 6, 30)), rejects(errors.DecisionsMissing) as info:
        school.journal.retention.close_school_year(
            school.year_id, school.deputy, undecided=[u.describe() for u in undecided]
        )
    assert info.value.details["undecided"] == [f"5Б: {school.outsider}"]
    assert "нет решения педагогического совета" in info.value.text


def test_a_forced_close_records_how_many_decisions_were_missing(school: School) -> None:
    with on(date(2026, 6, 30)):
        school.journal.retention.close_school_year(
            school.year_id,
            school.deputy,
            undecided=["5А: a", "5Б: b"],
            force=True,
            reason="Педсовет перенесён на август",
        )
    closed = school.journal.queries.history(school.year_id)[-1]
    assert closed.type == "Closed" and closed.values["undecided"] == 2
    assert closed.values["forced"] is True


def test_no_decision_once_the_year_is_closed(school: School, rejects: Rejects) -> None:
    with on(date(2026, 6, 30)):
        school.journal.retention.close_school_year(school.year_id, school.deputy)
    with on(date(2026, 7, 1)), rejects(errors.YearClosed):
        school.journal.grades.record_decision(
            school.class_id, school.pupils[0], "promoted", "9", COUNCIL, school.deputy
        )


# --- exam and final marks ----------------------------------------------------------------
def _ninth(school: School) -> tuple[UUID, UUID, UUID]:
    j = school.journal
    with on(date(2025, 8, 26)):
        group = j.classes.form_class(school.year_id, "9А", 9, school.admin).id
        course = j.classes.open_course_journal(group, "Алгебра", "five_point", school.admin).id
        j.classes.assign_teacher(course, school.teacher, school.admin)
        pupil = j.people.register_student("Орлова", "Ева", "", date(2010, 4, 4), school.admin).id
        j.classes.enrol(group, pupil, date(2025, 9, 1), school.admin)
    return group, course, pupil


def test_exam_and_final_marks_in_a_grade_with_exams(
    school: School, policies: Policies, rejects: Rejects
) -> None:
    assert 9 in policies.grading.exam_grades
    group, course, pupil = _ninth(school)
    g = school.journal.grades
    with on(date(2026, 5, 25)):
        g.set_result_mark("exam", course, pupil, "4", school.teacher)
        g.set_result_mark("final", course, pupil, "4", school.teacher)
        with rejects(errors.AlreadyExists):
            g.set_result_mark("exam", course, pupil, "5", school.teacher)
        with rejects(errors.MarkOffScale):
            g.set_result_mark("final", course, pupil, "6", school.teacher, reason="Апелляция")
        g.set_result_mark("exam", course, pupil, "5", school.deputy, reason="Апелляция принята")
    store, _ = processor(school.journal).build_in_memory((catalog.VIEW, final_marks.VIEW))
    found = final_marks.result_marks(store, str(group))
    exam = found["exam", str(pupil), str(course)]
    assert (exam.value, exam.corrected, exam.reason) == ("5", True, "Апелляция принята")
    assert found["final", str(pupil), str(course)].value == "4"
    assert final_marks.previous_result(store, str(group), "exam", str(course), str(pupil)) == "4"
    views = (catalog.VIEW, grid.VIEW, final_marks.VIEW)
    store, _ = processor(school.journal).build_in_memory(views)
    sheet = summary_sheet(store, policies.grading, policies.attendance, str(group))
    key = (str(pupil), str(course))
    assert sheet.exams and sheet.exam[key] == "5" and sheet.final[key] == "4"
    assert sheet.corrected[(*key, "exam")].reason == "Апелляция принята"
    plain = summary_sheet(store, policies.grading, policies.attendance, str(school.class_id))
    assert not plain.exams and plain.exam == {} and plain.final == plain.year


def test_no_exam_marks_in_a_grade_without_exams(school: School, rejects: Rejects) -> None:
    with on(date(2026, 5, 25)), rejects(errors.NoExams):
        school.journal.grades.set_result_mark(
            "exam", school.course_id, school.pupils[0], "5", school.teacher
        )
