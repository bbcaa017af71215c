"""The approval queue's queries: pending requests joined with their mark, lesson, course
journal and class, oldest first; the latest decisions, newest first; one request by id."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.lesson import MarkEntry
from projections.queries import approvals
from tests.school import LESSON_DAY
from tests.unit.conftest import on
from tests.views import memory_views


def _requests(journal, school):
    """Three requests on two lessons of 5А: a correction, a cancellation, another one."""
    s = school
    first, second = s.hold(), s.hold(period=3)
    with on(LESSON_DAY, 16):
        for lesson in (first, second):
            entries = [MarkEntry(s.pupils[0], "3", "answer"), MarkEntry(s.pupils[1], "5", "test")]
            journal.entry.record_marks(lesson, entries, s.teacher)
    marks = {
        (lesson, m.student_id): m.mark_id
        for lesson in (first, second)
        for m in journal.queries.lesson(lesson).marks
    }
    asks = [
        (first, s.pupils[0], "4", date(2025, 9, 29)),
        (first, s.pupils[1], "", date(2025, 9, 30)),
        (second, s.pupils[0], "5", date(2025, 10, 1)),
    ]
    for lesson, pupil, value, day in asks:
        with on(day, 10):
            journal.entry.request_correction(
                lesson, marks[(lesson, pupil)], value, "answer", "Пересчёт баллов", s.teacher
            )
    return first, second, marks


def test_pending_requests_carry_what_the_approver_decides_on(journal, school):
    first, second, marks = _requests(journal, school)
    found = approvals.pending(memory_views(journal))
    assert [(r.lesson_id, r.old_value, r.value) for r in found] == [
        (str(first), "3", "4"),
        (str(first), "5", ""),
        (str(second), "3", "5"),
    ]
    one = found[0]
    assert one.student_id == str(school.pupils[0])
    assert one.mark_id == str(marks[(first, school.pupils[0])])
    assert (one.subject, one.group_name, one.group_id) == ("Математика", "5А", str(school.class_id))
    assert (one.day, one.period, one.old_kind) == ("2025-09-16", 2, "answer")
    assert (one.reason, one.requested_by, one.state) == (
        "Пересчёт баллов",
        str(school.teacher),
        "pending",
    )
    assert one.requested_at.startswith("2025-09-29")


def test_decisions_leave_the_queue_and_list_newest_first(journal, school):
    first, second, _ = _requests(journal, school)
    views = memory_views(journal)
    ids = [r.request_id for r in approvals.pending(views)]
    with on(date(2025, 10, 2), 9):
        journal.entry.approve_correction(first, UUID(ids[0]), school.deputy)
    with on(date(2025, 10, 2), 11):
        journal.entry.reject_correction(second, UUID(ids[2]), "Оценено верно", school.head)
    views = memory_views(journal)
    assert [r.request_id for r in approvals.pending(views)] == [ids[1]]
    latest = approvals.decided(views, 10)
    assert [(r.request_id, r.state) for r in latest] == [
        (ids[2], "rejected"),
        (ids[0], "approved"),
    ]
    assert latest[0].decision_reason == "Оценено верно"
    assert latest[0].decided_by == str(school.head)
    assert latest[1].old_value == "3"  # the value it replaced, still shown after approval
    assert [r.request_id for r in approvals.decided(views, 1)] == [ids[2]]
    assert approvals.request(views, ids[0]).state == "approved"
    assert approvals.request(views, "no-such-request") is None


def test_the_correction_and_late_entry_queues_are_read_apart(journal, school):
    """One way of reading a queue serves both: each reads its own requests only."""
    first, _, _ = _requests(journal, school)
    late_lesson = school.hold(period=4)
    with on(date(2025, 10, 1), 12):
        late = journal.entry.request_late_entry(late_lesson, "Курсы", school.teacher).created[0]
    with on(date(2025, 10, 2), 9):
        journal.entry.approve_late_entry(late_lesson, late, school.deputy)
    views = memory_views(journal)
    corrections = [r.request_id for r in approvals.pending(views)]
    assert len(corrections) == 3 and str(late) not in corrections
    assert approvals.late_pending(views) == [] and approvals.decided(views, 10) == []
    [decided] = approvals.late_decided(views, 10)
    assert (decided.request_id, decided.state, decided.lesson_id) == (
        str(late),
        "approved",
        str(late_lesson),
    )
    assert approvals.late_request(views, str(late)) == decided
    assert approvals.request(views, str(late)) is None
    assert approvals.late_request(views, corrections[0]) is None
    assert approvals.late_for_lesson(views, str(late_lesson)) == [decided]
    assert approvals.late_for_lesson(views, str(first)) == []
