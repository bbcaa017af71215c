"""Corrections keep the original: direct corrections, cancellations, requests and approvals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import ids
from domain.errors import (
    ApproverRoleRequired,
    Conflict,
    CorrectionChangesNothing,
    CorrectionNeedsApproval,
    MarkAlreadyCancelled,
    MarkOffScale,
    NotCourseTeacher,
    NotMarkAuthor,
    PendingRequestExists,
    ReasonRequired,
    RequestAlreadyDecided,
    SelfApprovalForbidden,
    SubmissionTaken,
)
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on

REASON = "Ошибка при вводе"


@pytest.fixture
def marked(school):
    """A lesson with one mark «3» by the teacher for the first pupil; returns (lesson, mark)."""
    lesson = school.hold()
    with on(LESSON_DAY):
        receipt = school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "3", "answer")], school.teacher
        )
    return lesson, receipt.created[0]


def by_id(info):
    return {m.mark_id: m for m in info.marks}


# --- direct correction -----------------------------------------------------------------
def test_correction_keeps_the_original_in_history(school, marked):
    lesson, old = marked
    version_before = school.journal.queries.lesson(lesson).version
    with on(LESSON_DAY, 16):
        new = school.journal.entry.correct_mark(
            lesson, old, "4", "answer", REASON, school.teacher
        ).created[0]
    history = school.journal.queries.history(lesson)
    assert [e.type for e in history] == ["Held", "MarkRecorded", "MarkCorrected"]
    recorded, corrected = history[1], history[2]
    assert recorded.values["mark_id"] == old and recorded.values["value"] == "3"
    assert recorded.actor == school.teacher
    assert corrected.actor == school.teacher
    assert corrected.reason == REASON
    assert corrected.values["supersedes"] == old
    assert corrected.values["mark_id"] == new
    assert corrected.values["value"] == "4"
    assert corrected.values["approver"] is None

    then = by_id(school.journal.queries.lesson(lesson, version=version_before))
    assert list(then) == [old]
    assert then[old].value == "3" and then[old].current

    now = by_id(school.journal.queries.lesson(lesson))
    assert not now[old].current and not now[old].cancelled
    assert now[new].current and now[new].value == "4"
    assert now[new].supersedes == old and now[new].reason == REASON
    assert now[new].student_id == school.pupils[0]


def test_cancellation_keeps_the_mark_as_cancelled(school, marked):
    lesson, old = marked
    with on(LESSON_DAY, 16):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher)
    [mark] = school.journal.queries.lesson(lesson).marks
    assert (mark.mark_id, mark.cancelled, mark.current, mark.reason) == (old, True, False, REASON)
    assert school.journal.queries.history(lesson)[-1].type == "MarkCancelled"


def test_correction_without_reason_is_rejected(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(ReasonRequired):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", "   ", school.teacher)


def test_correction_with_too_short_reason_is_rejected(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(ReasonRequired):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", " abcd ", school.teacher)


def test_cancellation_without_reason_is_rejected(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(ReasonRequired):
        school.journal.entry.cancel_mark(lesson, old, "", school.teacher)


def test_correction_to_a_value_off_the_scale_is_rejected(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(MarkOffScale):
        school.journal.entry.correct_mark(lesson, old, "5+", "answer", REASON, school.teacher)


def test_teacher_may_not_correct_another_teachers_mark(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 10):
        school.journal.classes.assign_teacher(school.course_id, school.other_teacher, school.admin)
    with on(LESSON_DAY, 16), rejects(NotMarkAuthor):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.other_teacher)


def test_teacher_may_not_cancel_another_teachers_mark(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 10):
        school.journal.classes.assign_teacher(school.course_id, school.other_teacher, school.admin)
    with on(LESSON_DAY, 16), rejects(NotMarkAuthor):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.other_teacher)


def test_teacher_not_keeping_the_journal_may_not_correct(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(NotCourseTeacher):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.other_teacher)


def test_author_may_correct_on_the_last_own_correction_day(school, marked):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=7), 23):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.teacher)
    assert [m.value for m in school.journal.queries.lesson(lesson).marks if m.current] == ["4"]


def test_author_correction_after_own_correction_days_needs_approval(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=8), 0), rejects(CorrectionNeedsApproval):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.teacher)


def test_author_cancellation_after_own_correction_days_needs_approval(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=8)), rejects(CorrectionNeedsApproval):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher)


def test_deputy_corrects_directly_after_the_window_and_is_the_approver(school, marked):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=30)):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.deputy)
    entry = school.journal.queries.history(lesson)[-1]
    assert (entry.type, entry.actor, entry.values["approver"]) == (
        "MarkCorrected",
        school.deputy,
        school.deputy,
    )


def test_superseded_mark_may_not_be_corrected_again(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16):
        school.journal.entry.correct_mark(lesson, old, "4", "answer", REASON, school.teacher)
    with on(LESSON_DAY, 17), rejects(Conflict):
        school.journal.entry.correct_mark(lesson, old, "5", "answer", REASON, school.teacher)


def test_cancelled_mark_may_not_be_cancelled_again(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher)
    with on(LESSON_DAY, 17), rejects(MarkAlreadyCancelled):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher)


# --- requests --------------------------------------------------------------------------
def request(school, lesson, mark, value="4", day_offset=10, actor=None):
    with on(LESSON_DAY + timedelta(days=day_offset)):
        return school.journal.entry.request_correction(
            lesson, mark, value, "answer", REASON, actor or school.teacher
        ).created[0]


def test_approved_request_corrects_the_mark_for_the_requesting_teacher(school, marked):
    lesson, old = marked
    req = request(school, lesson, old)
    info = school.journal.queries.lesson(lesson)
    assert info.pending_requests == (req,)
    assert [m.value for m in info.marks if m.current] == ["3"]
    version_before = info.version

    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.approve_correction(lesson, req, school.deputy)

    history = school.journal.queries.history(lesson)
    assert [e.type for e in history[-3:]] == [
        "CorrectionRequested",
        "CorrectionApproved",
        "MarkCorrected",
    ]
    approved, corrected = history[-2], history[-1]
    assert approved.actor == school.deputy
    assert corrected.actor == school.teacher
    assert corrected.values["approver"] == school.deputy
    assert corrected.values["request_id"] == req
    assert corrected.values["supersedes"] == old
    assert corrected.reason == REASON

    then = by_id(school.journal.queries.lesson(lesson, version=version_before))
    assert then[old].current and then[old].value == "3"
    now = school.journal.queries.lesson(lesson)
    assert now.pending_requests == ()
    marks = by_id(now)
    assert not marks[old].current
    [new] = [m for m in marks.values() if m.current]
    assert (new.value, new.supersedes) == ("4", old)


def test_approved_cancel_request_cancels_the_mark(school, marked):
    lesson, old = marked
    req = request(school, lesson, old, value="")
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.approve_correction(lesson, req, school.head)
    [mark] = school.journal.queries.lesson(lesson).marks
    assert mark.cancelled and not mark.current
    entry = school.journal.queries.history(lesson)[-1]
    assert (entry.type, entry.actor, entry.values["approver"]) == (
        "MarkCancelled",
        school.teacher,
        school.head,
    )


def test_rejected_request_leaves_the_mark_standing(school, marked):
    lesson, old = marked
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.reject_correction(lesson, req, "Оценка верна", school.deputy)
    info = school.journal.queries.lesson(lesson)
    assert [(m.mark_id, m.value, m.current) for m in info.marks] == [(old, "3", True)]
    assert info.pending_requests == ()
    entry = school.journal.queries.history(lesson)[-1]
    assert (entry.type, entry.actor, entry.reason) == (
        "CorrectionRejected",
        school.deputy,
        "Оценка верна",
    )


def test_rejection_needs_a_reason(school, marked, rejects):
    lesson, old = marked
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)), rejects(ReasonRequired):
        school.journal.entry.reject_correction(lesson, req, "", school.deputy)


def test_request_needs_a_reason(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=10)), rejects(ReasonRequired):
        school.journal.entry.request_correction(lesson, old, "4", "answer", "", school.teacher)


def test_approver_may_not_approve_own_request(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 10):
        school.journal.classes.assign_teacher(school.course_id, school.deputy, school.admin)
    req = request(school, lesson, old, actor=school.deputy)
    with on(LESSON_DAY + timedelta(days=11)), rejects(SelfApprovalForbidden):
        school.journal.entry.approve_correction(lesson, req, school.deputy)
    assert school.journal.queries.lesson(lesson).pending_requests == (req,)


def test_teacher_may_not_approve_a_request(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 10):
        school.journal.classes.assign_teacher(school.course_id, school.other_teacher, school.admin)
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)), rejects(ApproverRoleRequired):
        school.journal.entry.approve_correction(lesson, req, school.other_teacher)


def test_teacher_may_not_reject_a_request(school, marked, rejects):
    lesson, old = marked
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)), rejects(ApproverRoleRequired):
        school.journal.entry.reject_correction(lesson, req, "Оценка верна", school.teacher)


def test_request_may_not_be_approved_twice(school, marked, rejects):
    lesson, old = marked
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.approve_correction(lesson, req, school.deputy)
    with on(LESSON_DAY + timedelta(days=11), 16), rejects(RequestAlreadyDecided):
        school.journal.entry.approve_correction(lesson, req, school.head)


def test_rejected_request_may_not_be_approved(school, marked, rejects):
    lesson, old = marked
    req = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.reject_correction(lesson, req, "Оценка верна", school.deputy)
    with on(LESSON_DAY + timedelta(days=11), 16), rejects(RequestAlreadyDecided):
        school.journal.entry.approve_correction(lesson, req, school.deputy)


def test_second_pending_request_for_one_mark_is_rejected(school, marked, rejects):
    lesson, old = marked
    request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=10), 16), rejects(PendingRequestExists):
        school.journal.entry.request_correction(lesson, old, "5", "answer", REASON, school.teacher)


def test_new_request_allowed_once_the_previous_was_rejected(school, marked):
    lesson, old = marked
    first = request(school, lesson, old)
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.reject_correction(lesson, first, "Оценка верна", school.deputy)
    second = request(school, lesson, old, value="5", day_offset=12)
    assert school.journal.queries.lesson(lesson).pending_requests == (second,)


def test_chained_own_corrections_do_not_extend_the_own_correction_window(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=7)):
        newer = school.journal.entry.correct_mark(
            lesson, old, "4", "answer", REASON, school.teacher
        ).created[0]
    with on(LESSON_DAY + timedelta(days=14)), rejects(CorrectionNeedsApproval):
        school.journal.entry.correct_mark(lesson, newer, "5", "answer", REASON, school.teacher)


# --- a correction changes something; a resent form is answered as the first -----------
def test_correction_to_the_same_value_is_refused(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16), rejects(CorrectionChangesNothing) as refused:
        school.journal.entry.correct_mark(lesson, old, "3", "answer", REASON, school.teacher)
    assert "«3»" in refused.value.text


def test_correction_of_the_kind_only_is_accepted(school, marked):
    lesson, old = marked
    with on(LESSON_DAY, 16):
        new = school.journal.entry.correct_mark(
            lesson, old, "3", "test", REASON, school.teacher
        ).created[0]
    assert by_id(school.journal.queries.lesson(lesson))[new].kind == "test"


def test_request_for_the_same_value_is_refused(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY + timedelta(days=10)), rejects(CorrectionChangesNothing):
        school.journal.entry.request_correction(lesson, old, "3", "answer", REASON, school.teacher)


def test_resent_correction_is_answered_as_the_first(school, marked):
    lesson, old = marked
    new_id = ids.submitted_correction_id(lesson, "a" * 32, old)
    with on(LESSON_DAY, 16):
        first = school.journal.entry.correct_mark(
            lesson, old, "4", "answer", REASON, school.teacher, new_id
        )
        again = school.journal.entry.correct_mark(
            lesson, old, "4", "answer", REASON, school.teacher, new_id
        )
    assert first.created == again.created == (new_id,)
    types = [e.type for e in school.journal.queries.history(lesson)]
    assert types == ["Held", "MarkRecorded", "MarkCorrected"]


def test_resent_correction_with_other_contents_is_refused(school, marked, rejects):
    lesson, old = marked
    new_id = ids.submitted_correction_id(lesson, "a" * 32, old)
    with on(LESSON_DAY, 16):
        school.journal.entry.correct_mark(
            lesson, old, "4", "answer", REASON, school.teacher, new_id
        )
    with on(LESSON_DAY, 16), rejects(SubmissionTaken):
        school.journal.entry.correct_mark(
            lesson, old, "5", "answer", REASON, school.teacher, new_id
        )


def test_resent_cancellation_is_answered_as_the_first(school, marked, rejects):
    lesson, old = marked
    with on(LESSON_DAY, 16):
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher, resent=True)
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher, resent=True)
    types = [e.type for e in school.journal.queries.history(lesson)]
    assert types == ["Held", "MarkRecorded", "MarkCancelled"]
    with on(LESSON_DAY, 16), rejects(MarkAlreadyCancelled):  # without a form key: refused
        school.journal.entry.cancel_mark(lesson, old, REASON, school.teacher)


def test_resent_request_and_decision_are_answered_as_the_first(school, marked):
    lesson, old = marked
    req_id = ids.submitted_request_id(lesson, "b" * 32, str(old))
    with on(LESSON_DAY + timedelta(days=10)):
        for _ in range(2):
            got = school.journal.entry.request_correction(
                lesson, old, "4", "answer", REASON, school.teacher, req_id
            )
            assert got.created == (req_id,)
    with on(LESSON_DAY + timedelta(days=11)):
        school.journal.entry.approve_correction(lesson, req_id, school.deputy)
        school.journal.entry.approve_correction(lesson, req_id, school.deputy)
    types = [e.type for e in school.journal.queries.history(lesson)]
    assert types == [
        "Held",
        "MarkRecorded",
        "CorrectionRequested",
        "CorrectionApproved",
        "MarkCorrected",
    ]
