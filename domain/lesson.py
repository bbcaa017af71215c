"""``Lesson``: one lesson (or extracurricular session) with its topic, marks and attendance.

Nothing recorded is ever changed in place: a correction is a new ``MarkCorrected`` event that
supersedes the earlier mark, carrying its author, reason and approver; the original stays in
the history. Every rule lives in the public command methods; the ``@event`` methods only
apply what was decided (they also run on replay, where no rule may fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Literal, TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock, errors, ids, rules
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
    cancelled_by: UUID | None = None
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
    decided_by: UUID | None = None


@dataclass
class LateEntryRequest:
    """A teacher's request to make entries for a lesson past the entry deadline."""

    request_id: UUID
    reason: str
    requested_by: UUID
    requested_at: datetime
    state: str = "pending"  # pending → approved | rejected
    decided_by: UUID | None = None
    until: date | None = None  # when approved: the last day entries are allowed


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


@dataclass(frozen=True)
class ColumnCell:
    """One pupil's cell of a grid column as the teacher left it (ADR 0018): ``shown`` —
    the ids of the marks the cell showed, in order; ``marks`` — the cell's marks now, in
    order, each ``(value, kind)`` with kind None for «as it was» (a mark in the place of a
    shown one keeps its kind; a new one takes the column's); ``attendance`` — the code
    (``""``: present)."""

    student_id: UUID
    shown: tuple[UUID, ...]
    marks: tuple[tuple[str, str | None], ...]
    attendance: str


Request = TypeVar("Request", CorrectionRequest, LateEntryRequest)


def _decidable(
    ctx: EntryContext, request: Request | None, not_found: type[errors.DomainError]
) -> Request:
    """Rule «requests are decided once, by an approver, never one's own»: ``request`` when
    ``ctx``'s actor may decide it now (``not_found`` when there is no such request)."""
    ctx.check_unlocked()
    if not ctx.is_approver:
        raise errors.ApproverRoleRequired()
    if request is None:
        raise not_found()
    if request.state != "pending":
        raise errors.RequestAlreadyDecided()
    if request.requested_by == ctx.actor.id:
        raise errors.SelfApprovalForbidden()
    return request


class Lesson(Aggregate):
    """A lesson of a course journal on a date and period («урок»)."""

    @staticmethod
    def create_id(course_journal_id: UUID, day: date, period: int, **_: object) -> UUID:
        return ids.lesson_id(course_journal_id, day, period)

    class Held(Aggregate.Created):
        """The lesson was entered; version 2 carries the homework's due date (None: the
        subject's next lesson, ADR 0017), version 3 the substitute who held it (None: the
        course's own teacher, ADR 0019)."""

        class_version = 3
        course_journal_id: UUID
        day: date
        period: int
        kind: str
        topic: str
        homework: str
        series: str
        actor: UUID
        homework_due: date | None
        substitute_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["homework_due"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, object]) -> None:
            state["substitute_id"] = None

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
        substitute_id: UUID | None = None,
    ) -> None:
        self.substitute_id = substitute_id
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
        self.late_requests: dict[UUID, LateEntryRequest] = {}

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

    def granted_until(self, actor: UUID) -> date | None:
        """The last day ``actor`` may still make entries by an approved late-entry request
        (the latest of their approved requests), or None."""
        days = [
            r.until
            for r in self.late_requests.values()
            if r.state == "approved" and r.requested_by == actor and r.until is not None
        ]
        return max(days) if days else None

    def _check_window(self, ctx: EntryContext) -> None:
        ctx.check_entry_window(self.day, self.granted_until(ctx.actor.id), on_lesson=True)

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
            self._check_window(ctx)
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
        self._check_window(ctx)
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

    def save_column(
        self, ctx: EntryContext, cells: list[ColumnCell], kind: str, reason: str, key: str
    ) -> list[UUID]:
        """Save a grid column (ADR 0018): per pupil, a mark in the place of a shown one that
        differs corrects it, a shown mark left out is cancelled (both with ``reason``, under
        the correction rules), further marks are recorded (of ``kind`` unless the cell names
        another) and the attendance code is set. Every cell is tried; when any is refused
        ``ColumnRefused`` names each refused pupil with its rule's message — and nothing is
        written. ``key`` (the grid's form key) makes a column sent again answer as the first."""
        ctx.check_unlocked()
        ctx.check_writer()
        self._check_window(ctx)
        problems: dict[str, str] = {}
        created: list[UUID] = []
        for cell in cells:
            try:
                created += self._save_cell(ctx, cell, kind, reason, key)
            except errors.DomainError as error:
                problems[str(cell.student_id)] = error.text
        if problems:
            raise errors.ColumnRefused(problems)
        return created

    def _save_cell(
        self, ctx: EntryContext, cell: ColumnCell, kind: str, reason: str, key: str
    ) -> list[UUID]:
        ctx.check_enrolled(cell.student_id)
        shown = [self.mark(mark_id) for mark_id in cell.shown]
        if any(m.student_id != cell.student_id for m in shown):
            raise errors.MarkNotFound()
        created: list[UUID] = []
        for old, (value, new_kind) in zip(shown, cell.marks, strict=False):
            if (value, new_kind or old.kind) == (old.value, old.kind):
                continue
            new_id = ids.submitted_correction_id(self.id, key, old.mark_id) if key else None
            created.append(
                self.correct_mark(ctx, old.mark_id, value, new_kind or old.kind, reason, new_id)
            )
        for old in shown[len(cell.marks) :]:
            self.cancel_mark(ctx, old.mark_id, reason, resent=bool(key))
        entries = [
            MarkEntry(
                cell.student_id,
                value,
                new_kind or kind,
                ids.submitted_mark_id(self.id, f"{key}/{n}", cell.student_id) if key else None,
            )
            for n, (value, new_kind) in enumerate(cell.marks[len(shown) :])
        ]
        if entries:
            created += self.record_marks(ctx, entries)
        if self.attendance.get(cell.student_id, "") != cell.attendance:
            self.mark_attendance(ctx, {cell.student_id: cell.attendance})
        return created

    def mark_attendance(self, ctx: EntryContext, codes: dict[UUID, str]) -> None:
        """Set attendance codes for pupils (``""`` = present) within the entry window.

        After the window, changes go through ``correct_attendance`` with a reason.
        """
        ctx.check_unlocked()
        ctx.check_writer()
        self._check_window(ctx)
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
        self._check_window(ctx)  # late-entry roles: only "not in the future"
        self._attendance_corrected(
            student_id=student_id, code=code, reason=text, actor=ctx.actor.id
        )

    def correct_mark(
        self,
        ctx: EntryContext,
        mark_id: UUID,
        value: str,
        kind: str,
        reason: str,
        new_id: UUID | None = None,
    ) -> UUID:
        """Supersede a mark with a new value; returns the new mark's id.

        ``new_id`` makes the correction idempotent (the client derives it from the form it
        sent, ``ids.submitted_correction_id``): when the mark is already corrected by
        ``new_id`` to this value — the same form sent again after a lost answer — nothing is
        recorded and the answer is the first one's; other contents are ``SubmissionTaken``."""
        if new_id is not None and new_id in self.marks:
            return self._same_correction(mark_id, new_id, value, kind)
        mark = self._correctable(ctx, mark_id)
        text = ctx.reason(reason)
        self._check_new_value(ctx, value, kind)
        approver = self._direct_correction_approver(ctx, mark)
        self._check_changes(mark, value, kind)
        new_id = new_id or uuid4()
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

    def cancel_mark(
        self, ctx: EntryContext, mark_id: UUID, reason: str, *, resent: bool = False
    ) -> None:
        """Cancel a mark given by mistake (it stays in the history as cancelled).

        With ``resent`` (the client sent a form key), a mark already cancelled by this actor
        with this very reason is the same form sent again: nothing more is recorded."""
        mark = self.mark(mark_id)
        if (
            resent
            and mark.cancelled
            and mark.cancelled_by == ctx.actor.id
            and mark.reason == reason.strip()
        ):
            return
        mark = self._correctable(ctx, mark_id)
        text = ctx.reason(reason)
        approver = self._direct_correction_approver(ctx, mark)
        self._mark_cancelled(
            mark_id=mark_id, reason=text, approver=approver, request_id=None, actor=ctx.actor.id
        )

    def request_correction(
        self,
        ctx: EntryContext,
        mark_id: UUID,
        value: str,
        kind: str,
        reason: str,
        request_id: UUID | None = None,
    ) -> UUID:
        """Ask an approver to correct (or, with ``value == ""``, cancel) a mark.

        ``request_id`` (derived from the form sent) makes the request idempotent: the same
        form sent again finds its request and is answered as the first was."""
        if request_id is not None and request_id in self.requests:
            first = self.requests[request_id]
            if (first.mark_id, first.value, first.kind, first.reason) != (
                mark_id,
                value,
                kind if value else first.kind,
                reason.strip(),
            ) or first.requested_by != ctx.actor.id:
                raise errors.SubmissionTaken()
            return request_id
        mark = self._correctable(ctx, mark_id)
        if not ctx.is_teacher:
            raise errors.NotCourseTeacher()
        text = ctx.reason(reason)
        if value:
            self._check_new_value(ctx, value, kind)
            self._check_changes(mark, value, kind)
        if any(r.mark_id == mark.mark_id and r.state == "pending" for r in self.requests.values()):
            raise errors.PendingRequestExists()
        request_id = request_id or uuid4()
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
        """Approve a pending request: the mark is corrected (or cancelled) at once. The same
        approval sent again (by the same approver) is answered as the first was."""
        if self._decided_by(ctx, self.requests.get(request_id), "approved"):
            return
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
        """Reject a pending request with a reason; the mark stands. Sent again by the same
        approver, it is answered as the first was."""
        if self._decided_by(ctx, self.requests.get(request_id), "rejected"):
            return
        self._pending_request(ctx, request_id)
        text = ctx.reason(reason)
        self._correction_rejected(request_id=request_id, reason=text, actor=ctx.actor.id)

    # --- late entry ----------------------------------------------------------------------
    def request_late_entry(
        self, ctx: EntryContext, reason: str, request_id: UUID | None = None
    ) -> UUID:
        """Ask an approver to allow entries for this lesson past the entry deadline (rule
        ``late entry by request``). Only the course's teacher asks, only once the deadline
        has passed, and only one request at a time; ``request_id`` (derived from the form)
        makes a resent form answer as the first did."""
        if request_id is not None and request_id in self.late_requests:
            first = self.late_requests[request_id]
            if first.reason != reason.strip() or first.requested_by != ctx.actor.id:
                raise errors.SubmissionTaken()
            return request_id
        ctx.check_unlocked()
        if not ctx.is_teacher:
            raise errors.NotCourseTeacher()
        text = ctx.reason(reason)
        if self.day > ctx.today:
            raise errors.LessonNotYetHeld()
        if ctx.may_enter_late or not ctx.deadline_passed(self.day):
            raise errors.LateEntryNotNeeded()
        granted = self.granted_until(ctx.actor.id)
        if granted is not None and granted >= ctx.today:
            raise errors.LateEntryNotNeeded()
        if any(
            r.state == "pending" and r.requested_by == ctx.actor.id
            for r in self.late_requests.values()
        ):
            raise errors.PendingLateEntryExists()
        request_id = request_id or uuid4()
        self._late_entry_requested(request_id=request_id, reason=text, actor=ctx.actor.id)
        return request_id

    def approve_late_entry(self, ctx: EntryContext, request_id: UUID) -> None:
        """Approve a late-entry request: its author may make entries for this lesson from
        today through ``late_entry_days`` days after (the day is fixed in the event)."""
        if self._decided_by(ctx, self.late_requests.get(request_id), "approved"):
            return
        self._pending_late(ctx, request_id)
        until = ctx.today + timedelta(days=ctx.policies.journal.late_entry_days)
        self._late_entry_approved(request_id=request_id, until=until, actor=ctx.actor.id)

    def reject_late_entry(self, ctx: EntryContext, request_id: UUID, reason: str) -> None:
        """Reject a late-entry request with a reason."""
        if self._decided_by(ctx, self.late_requests.get(request_id), "rejected"):
            return
        self._pending_late(ctx, request_id)
        text = ctx.reason(reason)
        self._late_entry_rejected(request_id=request_id, reason=text, actor=ctx.actor.id)

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
        entered = (mark.entered_at or mark.recorded_at).astimezone(clock.SCHOOL_TZ).date()
        if not rules.own_correction_open(ctx.policies.journal, entered, ctx.today):
            raise errors.CorrectionNeedsApproval(days=clock.days_between(entered, ctx.today))
        return None

    @staticmethod
    def _check_changes(mark: Mark, value: str, kind: str) -> None:
        """Rule «a correction changes something»: the same value and kind is refused."""
        if (value, kind) == (mark.value, mark.kind):
            raise errors.CorrectionChangesNothing(value=value)

    def _same_correction(self, mark_id: UUID, new_id: UUID, value: str, kind: str) -> UUID:
        """The answer to a correction form sent again: its mark, if it is the same one."""
        made = self.marks[new_id]
        if (made.supersedes, made.value, made.kind) != (mark_id, value, kind):
            raise errors.SubmissionTaken()
        return new_id

    @staticmethod
    def _decided_by(
        ctx: EntryContext, request: CorrectionRequest | LateEntryRequest | None, state: str
    ) -> bool:
        """True when ``request`` was already decided so by this actor: the same decision
        sent again after a lost answer."""
        return request is not None and request.state == state and request.decided_by == ctx.actor.id

    def _pending_late(self, ctx: EntryContext, request_id: UUID) -> LateEntryRequest:
        return _decidable(ctx, self.late_requests.get(request_id), errors.LateEntryRequestNotFound)

    def _check_new_value(self, ctx: EntryContext, value: str, kind: str) -> None:
        ctx.policies.grading.scale(ctx.scale).check(value)
        ctx.policies.grading.kind(kind)

    def _pending_request(self, ctx: EntryContext, request_id: UUID) -> CorrectionRequest:
        return _decidable(ctx, self.requests.get(request_id), errors.CorrectionRequestNotFound)

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
        mark.cancelled_by = actor

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
        self.requests[request_id].decided_by = actor

    class CorrectionRejected(Aggregate.Event):
        request_id: UUID
        reason: str
        actor: UUID

    @event(CorrectionRejected)
    def _correction_rejected(self, request_id: UUID, reason: str, actor: UUID) -> None:
        self.requests[request_id].state = "rejected"
        self.requests[request_id].decided_by = actor

    class LateEntryRequested(Aggregate.Event):
        request_id: UUID
        reason: str
        actor: UUID

    @event(LateEntryRequested)
    def _late_entry_requested(self, request_id: UUID, reason: str, actor: UUID) -> None:
        self.late_requests[request_id] = LateEntryRequest(
            request_id, reason, actor, self.event_time
        )

    class LateEntryApproved(Aggregate.Event):
        request_id: UUID
        until: date
        actor: UUID

    @event(LateEntryApproved)
    def _late_entry_approved(self, request_id: UUID, until: date, actor: UUID) -> None:
        request = self.late_requests[request_id]
        request.state, request.decided_by, request.until = "approved", actor, until

    class LateEntryRejected(Aggregate.Event):
        request_id: UUID
        reason: str
        actor: UUID

    @event(LateEntryRejected)
    def _late_entry_rejected(self, request_id: UUID, reason: str, actor: UUID) -> None:
        request = self.late_requests[request_id]
        request.state, request.decided_by = "rejected", actor
