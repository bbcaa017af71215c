"""Late entry by request: past the entry deadline a teacher asks the deputy head; once
approved, the teacher may make entries for that lesson for ``late_entry_days`` more days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import ids
from domain.errors import (
    ApproverRoleRequired,
    EntryDeadlinePassed,
    LateEntryNotNeeded,
    NotCourseTeacher,
    PendingLateEntryExists,
    RequestAlreadyDecided,
    SubmissionTaken,
)
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY
from tests.unit.conftest import on

REASON = "Болела, не успела внести"
LATE = LESSON_DAY + timedelta(days=10)  # the deadline (3 days) has passed


@pytest.fixture
def lesson(school):
    return school.hold()


def ask(school, lesson, day=LATE, actor=None, request_id=None):
    with on(day):
        return school.journal.entry.request_late_entry(
            lesson, REASON, actor or school.teacher, request_id
        ).created[0]


def enter(school, lesson, day, value="5"):
    with on(day):
        return school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], value, "answer")], school.teacher
        )


def test_past_the_deadline_entries_are_refused_with_a_hint(school, lesson, rejects):
    with on(LATE), rejects(EntryDeadlinePassed) as refused:
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
    assert "Запросите" in refused.value.text


def test_approved_request_lets_the_teacher_enter_for_the_window(school, lesson, rejects):
    req = ask(school, lesson)
    with on(LATE, 16):
        school.journal.entry.approve_late_entry(lesson, req, school.deputy)
    enter(school, lesson, LATE + timedelta(days=2))  # late_entry_days = 2: still allowed
    with on(LATE + timedelta(days=2)):
        school.journal.entry.change_topic(lesson, "Дроби", "№ 13", school.teacher)
        school.journal.entry.mark_attendance(lesson, {school.pupils[1]: "Н"}, school.teacher)
    types = [e.type for e in school.journal.queries.history(lesson)]
    assert types[1:4] == ["LateEntryRequested", "LateEntryApproved", "MarkRecorded"]
    with on(LATE + timedelta(days=3)), rejects(EntryDeadlinePassed):  # the window is over
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[1], "4", "answer")], school.teacher
        )


def test_the_grant_is_the_requesting_teachers_only(school, lesson, rejects):
    req = ask(school, lesson)
    with on(LATE, 16):
        school.journal.entry.approve_late_entry(lesson, req, school.deputy)
    with on(LATE, 17), rejects(NotCourseTeacher):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.other_teacher
        )


def test_rejected_request_leaves_the_lesson_closed(school, lesson, rejects):
    req = ask(school, lesson)
    with on(LATE, 16):
        school.journal.entry.reject_late_entry(lesson, req, "Нет оснований", school.deputy)
    with on(LATE, 17), rejects(EntryDeadlinePassed):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
    with on(LATE, 17), rejects(RequestAlreadyDecided):
        school.journal.entry.approve_late_entry(lesson, req, school.head)


def test_request_rules(school, lesson, rejects):
    with on(LESSON_DAY + timedelta(days=1)), rejects(LateEntryNotNeeded):  # still in time
        school.journal.entry.request_late_entry(lesson, REASON, school.teacher)
    with on(LATE), rejects(NotCourseTeacher):
        school.journal.entry.request_late_entry(lesson, REASON, school.other_teacher)
    req = ask(school, lesson)
    with on(LATE), rejects(PendingLateEntryExists):
        school.journal.entry.request_late_entry(lesson, REASON, school.teacher)
    with on(LATE), rejects(ApproverRoleRequired):
        school.journal.entry.approve_late_entry(lesson, req, school.teacher)


def test_late_entry_roles_need_no_request(school, rejects):
    with on(LESSON_DAY, 9):
        school.journal.classes.assign_teacher(school.course_id, school.deputy, school.admin)
    lesson = school.hold()
    # the deputy may enter late anyway: a request is not needed
    with on(LATE), rejects(LateEntryNotNeeded):
        school.journal.entry.request_late_entry(lesson, REASON, school.deputy)


def test_resent_request_and_approval_are_answered_as_the_first(school, lesson, rejects):
    req_id = ids.submitted_request_id(lesson, "c" * 32, "late-entry")
    assert ask(school, lesson, request_id=req_id) == req_id
    assert ask(school, lesson, request_id=req_id) == req_id
    with on(LATE, 16):
        school.journal.entry.approve_late_entry(lesson, req_id, school.deputy)
        school.journal.entry.approve_late_entry(lesson, req_id, school.deputy)
    types = [e.type for e in school.journal.queries.history(lesson)]
    assert types == ["Held", "LateEntryRequested", "LateEntryApproved"]
    with on(LATE), rejects(SubmissionTaken):
        school.journal.entry.request_late_entry(lesson, "Другая причина", school.teacher, req_id)


def test_a_lesson_not_entered_in_time_is_for_the_deputy(school, rejects):
    """No lesson, nothing to request on: the message says who enters it instead."""
    with on(LATE), rejects(EntryDeadlinePassed) as refused:
        school.journal.entry.hold_lesson(
            school.course_id, LESSON_DAY, 3, "Дроби", "", school.teacher
        )
    assert "вносит заместитель директора" in refused.value.text
    assert "Запросите" not in refused.value.text
