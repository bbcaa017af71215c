"""``Lesson``: one lesson (or extracurricular session) with its topic, marks and attendance.

Nothing recorded is ever changed in place: a correction is a new ``MarkCorrected`` event that
supersedes the earlier mark, carrying its author, reason and approver; the original stays in
the history. Every rule lives in the public command methods; the ``@event`` methods only
apply what was decided (they also run on replay, where no rule may fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Literal
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.base import Aggregate
from domain.rules import EntryContext

LESSON_KINDS = ("lesson", "extracurricular")


class Keep(Enum):
    """``Keep.DUE``: leave the homework's due date as it is (a form without the field)."""

    DUE = "keep"


def check_homework_due(day: date, due: date | None) -> None:
    """Rule: homework is due after the lesson that sets it (``HomeworkDueTooEarly``)."""
    if due is not None and due <= day:
        raise errors.HomeworkDueTooEarly()


@dataclass
class Mark:
    """One mark as it stands; ``superseded_by`` / ``cancelled`` once corrected."""

    mark_id: UUID
    student_id: UUID
    value: str
    kind: str
    author: UUID
    recorded_at: datetime
    supersedes: UUID | None = None
    superseded_by: UUID | None = None
    cancelled: bool = False
    reason: str = ""
    approver: UUID | None = None
    #: When the first mark of this chain of corrections was entered: the author's own
    #: correction window runs from here, so chained corrections cannot extend it.
    entered_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.entered_at is None:
            self.entered_at = self.recorded_at

    @property
    def current(self) -> bool:
        """Neither corrected nor cancelled."""
        return self.superseded_by is None and not self.cancelled


@dataclass
class CorrectionRequest:
    """A teacher's request to correct (``value``) or cancel (``value == ""``) a mark."""

    request_id: UUID
    mark_id: UUID
    value: str
    kind: str
    reason: str
    requested_by: UUID
    requested_at: datetime
    state: str = "pending"  # pending → approved | rejected


@dataclass(frozen=True)
class MarkEntry:
    """One mark to record: a pupil, a value on the scale, a kind of work.

    ``mark_id`` makes the entry idempotent: the client derives it from the form it sent
    (``ids.submitted_mark_id``), so a form sent again after a lost answer finds its mark
    already recorded instead of recording it twice. Without it a new id is drawn."""

    student_id: UUID
    value: str
    kind: str
    mark_id: UUID | None = None


class Lesson(Aggregate):
    """A lesson of a course journal on a date and period («урок»)."""

    @staticmethod
    def create_id(course_journal_id: UUID, day: date, period: int, **_: object) -> UUID:
        return ids.lesson_id(course_journal_id, day, period)

    class Held(Aggregate.Created):
        """The lesson was entered; version 2 carries the homework's due date (None: the
        subject's next lesson, ADR 0017)."""

        class_version = 2
        course_journal_id: UUID
        day: date
        period: int
        kind: str
        topic: str
        homework: str
        series: str
        actor: UUID
        homework_due: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["homework_due"] = None

    @event(Held)
    def __init__(
        self,
        course_journal_id: UUID,
        day: date,
        period: int,
        kind: str,
        topic: str,
        homework: str,
        series: str,
        actor: UUID,
        homework_due: date | None = None,
    ) -> None:
        self.course_journal_id, self.day, self.period, self.kind = (
            course_journal_id,
            day,
            period,
            kind,
        )
        self.topic, self.homework, self.homework_due = topic, homework, homework_due
        self.series = series
        self.marks: dict[UUID, Mark] = {}
        self.attendance: dict[UUID, str] = {}
        self.requests: dict[UUID, CorrectionRequest] = {}

    # --- queries -------------------------------------------------------------------------
    def current_marks(self) -> list[Mark]:
        """Marks that stand (not corrected, not cancelled), in entry order."""
        return [m for m in self.marks.values() if m.current]

    def mark(self, mark_id: UUID) -> Mark:
        """Return mark ``mark_id`` or raise ``MarkNotFound``."""
        try:
            return self.marks[mark_id]
        except KeyError:
            raise errors.MarkNotFound(mark_id=str(mark_id)) from None

    # --- commands ------------------------------------------------------------------------
    def change_topic(
        self,
        ctx: EntryContext,
        topic: str,
        homework: str,
        homework_due: date | Literal[Keep.DUE] | None = Keep.DUE,
    ) -> None:
        """Set the lesson's topic and homework (may be planned ahead of the date), and the
        homework's due date when given (None: the subject's next lesson)."""
        ctx.check_unlocked()
        ctx.check_writer()
        if not ctx.may_enter_late and self.day <= ctx.today:
            ctx.check_entry_window(self.day)
        due = self.homework_due if homework_due is Keep.DUE else homework_due
        check_homework_due(self.day, due)
        if (topic.strip(), homework.strip(), due) != (self.topic, self.homework, self.homework_due):
            self._topic_changed(
                topic=topic.strip(), homework=homework.strip(), actor=ctx.actor.id, homework_due=due
            )

    def record_marks(self, ctx: EntryContext, entries: list[MarkEntry]) -> list[UUID]:
        """Record new marks; all entries are checked before any is recorded. An entry whose
        ``mark_id`` is recorded already (the same form sent again) is not recorded twice;
        the same id with other contents is ``MarkIdTaken``."""
        ctx.check_unlocked()
        ctx.check_writer()
        ctx.check_entry_window(self.day)
        scale = ctx.policies.grading.scale(ctx.scale)
        for entry in entries:
            ctx.check_enrolled(entry.student_id)
            scale.check(entry.value)
            ctx.policies.grading.kind(entry.kind)
            if entry.mark_id is not None and entry.mark_id in self.marks:
                first = self.marks[entry.mark_id]
                if (first.student_id, first.value, first.kind) != (
                    entry.student_id,
                    entry.value,
                    entry.kind,
                ):
                    raise errors.MarkIdTaken(mark_id=str(entry.mark_id))
        new_ids = []
        for entry in entries:
            if entry.mark_id is not None and entry.mark_id in self.marks:
                new_ids.append(entry.mark_id)  # recorded by the first sending of the form
                continue
            mark_id = entry.mark_id or uuid4()
            self._mark_recorded(
                mark_id=mark_id,
                student_id=entry.student_id,
                value=entry.value,
                kind=entry.kind,
                actor=ctx.actor.id,
            )
            new_ids.append(mark_id)
        return new_ids

    def mark_attendance(self, ctx: EntryContext, codes: dict[UUID, str]) -> None:
        """Set attendance codes for pupils (``""`` = present) within the entry window.

        After the window, changes go through ``correct_attendance`` with a reason.
        """
        ctx.check_unlocked()
        ctx.check_writer()
        ctx.check_entry_window(self.day)
        for student_id, code in codes.items():
            ctx.check_enrolled(student_id)
            if code:
                ctx.policies.attendance.check(code)
        for student_id, code in codes.items():
            if self.attendance.get(student_id, "") != code:
                self._attendance_marked(student_id=student_id, code=code, actor=ctx.actor.id)

    def correct_attendance(
        self, ctx: EntryContext, student_id: UUID, code: str, reason: str
    ) -> None:
        """Correct a pupil's attendance with a reason (any time while the period is open)."""
        ctx.check_unlocked()
        ctx.check_writer()
        text = ctx.reason(reason)
        ctx.check_enrolled(student_id)
        if code:
            ctx.policies.attendance.check(code)
        ctx.check_entry_window(self.day)  # late-entry roles: only "not in the future"
        self._attendance_corrected(
            student_id=student_id, code=code, reason=text, actor=ctx.actor.id
        )

    def correct_mark(
        self, ctx: EntryContext, mark_id: UUID, value: str, kind: str, reason: str
    ) -> UUID:
        """Supersede a mark with a new value; returns the new mark's id."""
        mark = self._correctable(ctx, mark_id)
        text = ctx.reason(reason)
        self._check_new_value(ctx, value, kind)
        approver = self._direct_correction_approver(ctx, mark)
        new_id = uuid4()
        self._mark_corrected(
            mark_id=new_id,
            supersedes=mark_id,
            value=value,
            kind=kind,
            reason=text,
            approver=approver,
            request_id=None,
            actor=ctx.actor.id,
        )
        return new_id

    def cancel_mark(self, ctx: EntryContext, mark_id: UUID, reason: str) -> None:
        """Cancel a mark given by mistake (it stays in the history as cancelled)."""
        mark = self._correctable(ctx, mark_id)
        text = ctx.reason(reason)
        approver = self._direct_correction_approver(ctx, mark)
        self._mark_cancelled(
            mark_id=mark_id, reason=text, approver=approver, request_id=None, actor=ctx.actor.id
        )

    def request_correction(
        self, ctx: EntryContext, mark_id: UUID, value: str, kind: str, reason: str
    ) -> UUID:
        """Ask an approver to correct (or, with ``value == ""``, cancel) a mark."""
        mark = self._correctable(ctx, mark_id)
        if not ctx.is_teacher:
            raise errors.NotCourseTeacher()
        text = ctx.reason(reason)
        if value:
            self._check_new_value(ctx, value, kind)
        if any(r.mark_id == mark.mark_id and r.state == "pending" for r in self.requests.values()):
            raise errors.PendingRequestExists()
        request_id = uuid4()
        self._correction_requested(
            request_id=request_id,
            mark_id=mark_id,
            value=value,
            kind=kind,
            reason=text,
            actor=ctx.actor.id,
        )
        return request_id

    def approve_correction(self, ctx: EntryContext, request_id: UUID) -> None:
        """Approve a pending request: the mark is corrected (or cancelled) at once."""
        request = self._pending_request(ctx, request_id)
        mark = self._correctable(ctx, request.mark_id, as_approver=True)
        self._correction_approved(request_id=request_id, actor=ctx.actor.id)
        if request.value:
            self._mark_corrected(
                mark_id=uuid4(),
                supersedes=mark.mark_id,
                value=request.value,
                kind=request.kind,
                reason=request.reason,
                approver=ctx.actor.id,
                request_id=request_id,
                actor=request.requested_by,
            )
        else:
            self._mark_cancelled(
                mark_id=mark.mark_id,
                reason=request.reason,
                approver=ctx.actor.id,
                request_id=request_id,
                actor=request.requested_by,
            )

    def reject_correction(self, ctx: EntryContext, request_id: UUID, reason: str) -> None:
        """Reject a pending request with a reason; the mark stands."""
        self._pending_request(ctx, request_id)
        text = ctx.reason(reason)
        self._correction_rejected(request_id=request_id, reason=text, actor=ctx.actor.id)

    # --- rule helpers --------------------------------------------------------------------
    def _correctable(self, ctx: EntryContext, mark_id: UUID, *, as_approver: bool = False) -> Mark:
        ctx.check_unlocked()
        mark = self.mark(mark_id)
        if mark.cancelled:
            raise errors.MarkAlreadyCancelled()
        if mark.superseded_by is not None:
            raise errors.Conflict("Отметка уже исправлена; исправляйте действующую отметку.")
        if not as_approver and not (ctx.is_teacher or ctx.is_approver):
            raise errors.NotCourseTeacher()
        return mark

    def _direct_correction_approver(self, ctx: EntryContext, mark: Mark) -> UUID | None:
        """Who approves a direct correction: the approver themself, or no one (own, in time)."""
        if ctx.is_approver:
            return ctx.actor.id
        if mark.author != ctx.actor.id:
            raise errors.NotMarkAuthor()
        entered = mark.entered_at or mark.recorded_at
        age = clock.days_between(entered.astimezone(clock.SCHOOL_TZ).date(), ctx.today)
        if age > ctx.policies.journal.own_correction_days:
            raise errors.CorrectionNeedsApproval(days=age)
        return None

    def _check_new_value(self, ctx: EntryContext, value: str, kind: str) -> None:
        ctx.policies.grading.scale(ctx.scale).check(value)
        ctx.policies.grading.kind(kind)

    def _pending_request(self, ctx: EntryContext, request_id: UUID) -> CorrectionRequest:
        ctx.check_unlocked()
        if not ctx.is_approver:
            raise errors.ApproverRoleRequired()
        try:
            request = self.requests[request_id]
        except KeyError:
            raise errors.CorrectionRequestNotFound() from None
        if request.state != "pending":
            raise errors.RequestAlreadyDecided()
        if request.requested_by == ctx.actor.id:
            raise errors.SelfApprovalForbidden()
        return request

    # --- events --------------------------------------------------------------------------
    class TopicChanged(Aggregate.Event):
        """Topic or homework changed; version 2 carries the homework's due date."""

        class_version = 2
        topic: str
        homework: str
        actor: UUID
        homework_due: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["homework_due"] = None

    @event(TopicChanged)
    def _topic_changed(
        self, topic: str, homework: str, actor: UUID, homework_due: date | None = None
    ) -> None:
        self.topic, self.homework, self.homework_due = topic, homework, homework_due

    class MarkRecorded(Aggregate.Event):
        mark_id: UUID
        student_id: UUID
        value: str
        kind: str
        actor: UUID

    @event(MarkRecorded)
    def _mark_recorded(
        self, mark_id: UUID, student_id: UUID, value: str, kind: str, actor: UUID
    ) -> None:
        self.marks[mark_id] = Mark(mark_id, student_id, value, kind, actor, self.event_time)

    class MarkCorrected(Aggregate.Event):
        mark_id: UUID
        supersedes: UUID
        value: str
        kind: str
        reason: str
        approver: UUID | None
        request_id: UUID | None
        actor: UUID

    @event(MarkCorrected)
    def _mark_corrected(
        self,
        mark_id: UUID,
        supersedes: UUID,
        value: str,
        kind: str,
        reason: str,
        approver: UUID | None,
        request_id: UUID | None,
        actor: UUID,
    ) -> None:
        old = self.marks[supersedes]
        old.superseded_by = mark_id
        self.marks[mark_id] = Mark(
            mark_id,
            old.student_id,
            value,
            kind,
            old.author,
            self.event_time,
            supersedes=supersedes,
            reason=reason,
            approver=approver,
            entered_at=old.entered_at,
        )

    class MarkCancelled(Aggregate.Event):
        mark_id: UUID
        reason: str
        approver: UUID | None
        request_id: UUID | None
        actor: UUID

    @event(MarkCancelled)
    def _mark_cancelled(
        self,
        mark_id: UUID,
        reason: str,
        approver: UUID | None,
        request_id: UUID | None,
        actor: UUID,
    ) -> None:
        mark = self.marks[mark_id]
        mark.cancelled, mark.reason, mark.approver = True, reason, approver

    class AttendanceMarked(Aggregate.Event):
        student_id: UUID
        code: str
        actor: UUID

    @event(AttendanceMarked)
    def _attendance_marked(self, student_id: UUID, code: str, actor: UUID) -> None:
        self._set_attendance(student_id, code)

    class AttendanceCorrected(Aggregate.Event):
        student_id: UUID
        code: str
        reason: str
        actor: UUID

    @event(AttendanceCorrected)
    def _attendance_corrected(self, student_id: UUID, code: str, reason: str, actor: UUID) -> None:
        self._set_attendance(student_id, code)

    def _set_attendance(self, student_id: UUID, code: str) -> None:
        if code:
            self.attendance[student_id] = code
        else:
            self.attendance.pop(student_id, None)

    class CorrectionRequested(Aggregate.Event):
        request_id: UUID
        mark_id: UUID
        value: str
        kind: str
        reason: str
        actor: UUID

    @event(CorrectionRequested)
    def _correction_requested(
        self, request_id: UUID, mark_id: UUID, value: str, kind: str, reason: str, actor: UUID
    ) -> None:
        self.requests[request_id] = CorrectionRequest(
            request_id, mark_id, value, kind, reason, actor, self.event_time
        )

    class CorrectionApproved(Aggregate.Event):
        request_id: UUID
        actor: UUID

    @event(CorrectionApproved)
    def _correction_approved(self, request_id: UUID, actor: UUID) -> None:
        self.requests[request_id].state = "approved"

    class CorrectionRejected(Aggregate.Event):
        request_id: UUID
        reason: str
        actor: UUID

    @event(CorrectionRejected)
    def _correction_rejected(self, request_id: UUID, reason: str, actor: UUID) -> None:
        self.requests[request_id].state = "rejected"
