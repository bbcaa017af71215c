"""``TermGrades`` and ``YearGrades``: final marks of a term and of the year.

Year marks of a class are the source of the summary sheet («сводная ведомость»), kept
25 years, so they live in their own record series (``summary/<year>/<class>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate, require_reason
from domain.explain import Explanation, check_why
from domain.rules import EntryContext

K = TypeVar("K")


@dataclass
class FinalMark:
    """A term or year mark as it stands."""

    value: str
    author: UUID
    set_at: datetime
    corrected: bool = False
    reason: str = ""


#: Decisions of the pedagogical council on a pupil at the end of the year
#: («решение педагогического совета»), by code, with their wording in the summary sheet.
DECISIONS: dict[str, str] = {
    "promoted": "переведён(а) в следующий класс",
    "conditional": "переведён(а) условно",
    "retained": "оставлен(а) на повторное обучение",
    "graduated": "выпущен(а)",
}

#: Marks of the summary sheet set besides the year mark, in classes whose grade has exams:
#: the exam mark and the final mark («экзаменационная», «итоговая»).
RESULT_KINDS: dict[str, str] = {"exam": "экзаменационная", "final": "итоговая"}


@dataclass
class Decision:
    """The pedagogical council's decision on a pupil as it stands."""

    decision: str
    protocol_no: str
    protocol_date: date
    author: UUID
    reason: str = ""


def _check_final(ctx: EntryContext, student_id: UUID, value: str) -> None:
    ctx.check_unlocked()
    ctx.check_writer()
    ctx.check_enrolled(student_id)
    ctx.policies.grading.check_final(ctx.scale, value)


def _why(
    ctx: EntryContext, student_id: UUID, basis: Explanation | None, value: str, why: str
) -> str:
    """The reason kept beside a mark that differs from its rounded average (ADR 0024)."""
    return check_why(
        ctx.policies.grading,
        basis,
        value,
        why,
        ctx.policies.journal.min_reason_length,
        str(student_id),
    )


def _state(basis: Explanation | None) -> dict[str, object] | None:
    return None if basis is None else basis.to_state()


def _setting(
    ctx: EntryContext,
    marks: dict[K, FinalMark],
    key: K,
    student_id: UUID,
    value: str,
    title: str,
    basis: Explanation | None,
    why: str,
) -> dict[str, Any]:
    """The checks of setting a term or year mark (``title``: «Четвертная», «Годовая») kept
    under ``key`` in ``marks``; the event's fields common to both: a mark already set is
    changed only by a correction, and one other than its rounded average needs ``why``."""
    _check_final(ctx, student_id, value)
    if key in marks:
        raise errors.AlreadyExists(f"{title} отметка уже выставлена; исправьте её с причиной.")
    return {
        "student_id": student_id,
        "value": value,
        "actor": ctx.actor.id,
        "basis": _state(basis),
        "why": _why(ctx, student_id, basis, value, why),
    }


def _correcting(
    ctx: EntryContext,
    marks: dict[K, FinalMark],
    key: K,
    student_id: UUID,
    value: str,
    title: str,
    reason: str,
    basis: Explanation | None,
) -> dict[str, Any]:
    """The checks of correcting a term or year mark with a reason (which also says why it
    differs from the rounded average, when it does); the event's common fields."""
    _check_final(ctx, student_id, value)
    if key not in marks:
        raise errors.MarkNotFound(f"{title} отметка ещё не выставлена.")
    return {
        "student_id": student_id,
        "value": value,
        "reason": ctx.reason(reason),
        "approver": ctx.actor.id if ctx.is_approver else None,
        "actor": ctx.actor.id,
        "basis": _state(basis),
    }


def _upcast_basis(state: dict[str, object]) -> None:
    """Version 1 kept no explanation: ``basis`` None reads «не записано»."""
    state["basis"] = None


class TermGrades(Aggregate):
    """Term marks («четвертные отметки») of one course journal for one term."""

    @staticmethod
    def create_id(course_journal_id: UUID, term: int, **_: object) -> UUID:
        return ids.term_grades_id(course_journal_id, term)

    class Opened(Aggregate.Created):
        course_journal_id: UUID
        term: int
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, course_journal_id: UUID, term: int, series: str, actor: UUID) -> None:
        self.course_journal_id, self.term, self.series = course_journal_id, term, series
        self.marks: dict[UUID, FinalMark] = {}

    def set_mark(
        self,
        ctx: EntryContext,
        student_id: UUID,
        value: str,
        basis: Explanation | None = None,
        why: str = "",
    ) -> None:
        """Set a pupil's term mark computed as ``basis`` explains; an existing one is
        changed only by ``correct_mark``. A value other than the rounded average needs
        ``why`` when the policy says so."""
        self._term_mark_set(
            **_setting(ctx, self.marks, student_id, student_id, value, "Четвертная", basis, why)
        )

    def correct_mark(
        self,
        ctx: EntryContext,
        student_id: UUID,
        value: str,
        reason: str,
        basis: Explanation | None = None,
    ) -> None:
        """Correct a pupil's term mark with a reason (which also says why it differs from
        the rounded average, when it does)."""
        self._term_mark_corrected(
            **_correcting(
                ctx, self.marks, student_id, student_id, value, "Четвертная", reason, basis
            )
        )

    class TermMarkSet(Aggregate.Event):
        """A term mark set; version 2 keeps what it was computed from (``basis``, ADR
        0024; None in version 1) and the reason it differs from the rounded average."""

        class_version = 2
        student_id: UUID
        value: str
        actor: UUID
        basis: dict[str, object] | None
        why: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            _upcast_basis(state)
            state["why"] = ""

    @event(TermMarkSet)
    def _term_mark_set(
        self,
        student_id: UUID,
        value: str,
        actor: UUID,
        basis: dict[str, object] | None,
        why: str,
    ) -> None:
        self.marks[student_id] = FinalMark(value, actor, self.event_time)

    class TermMarkCorrected(Aggregate.Event):
        """A term mark corrected; version 2 keeps what the new value was computed from."""

        class_version = 2
        student_id: UUID
        value: str
        reason: str
        approver: UUID | None
        actor: UUID
        basis: dict[str, object] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            _upcast_basis(state)

    @event(TermMarkCorrected)
    def _term_mark_corrected(
        self,
        student_id: UUID,
        value: str,
        reason: str,
        approver: UUID | None,
        actor: UUID,
        basis: dict[str, object] | None,
    ) -> None:
        self.marks[student_id] = FinalMark(value, actor, self.event_time, True, reason)


class YearGrades(Aggregate):
    """Year marks («годовые отметки») of a class in every subject: the summary sheet's source."""

    @staticmethod
    def create_id(group_id: UUID, year_id: UUID, **_: object) -> UUID:
        return ids.year_grades_id(group_id, year_id)

    class Opened(Aggregate.Created):
        group_id: UUID
        year_id: UUID
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, group_id: UUID, year_id: UUID, series: str, actor: UUID) -> None:
        self.group_id, self.year_id, self.series = group_id, year_id, series
        self.marks: dict[tuple[UUID, UUID], FinalMark] = {}
        self.results: dict[tuple[str, UUID, UUID], FinalMark] = {}
        self.decisions: dict[UUID, Decision] = {}

    def set_mark(
        self,
        ctx: EntryContext,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        basis: Explanation | None = None,
        why: str = "",
    ) -> None:
        """Set a pupil's year mark in a subject (its course journal), computed from the
        term marks as ``basis`` explains (``why``: see ``TermGrades.set_mark``)."""
        key = (course_journal_id, student_id)
        fields = _setting(ctx, self.marks, key, student_id, value, "Годовая", basis, why)
        self._year_mark_set(course_journal_id=course_journal_id, **fields)

    def correct_mark(
        self,
        ctx: EntryContext,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        reason: str,
        basis: Explanation | None = None,
    ) -> None:
        """Correct a pupil's year mark with a reason."""
        key = (course_journal_id, student_id)
        fields = _correcting(ctx, self.marks, key, student_id, value, "Годовая", reason, basis)
        self._year_mark_corrected(course_journal_id=course_journal_id, **fields)

    def set_result(
        self,
        ctx: EntryContext,
        kind: str,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        reason: str = "",
    ) -> None:
        """Set (or, with a reason, correct) a pupil's exam or final mark in a subject."""
        if kind not in RESULT_KINDS:
            raise errors.InvalidInput(f"Неизвестный вид отметки «{kind}».")
        _check_final(ctx, student_id, value)
        key = (kind, course_journal_id, student_id)
        title = RESULT_KINDS[kind].capitalize()
        text, approver = "", None
        if reason.strip() or key in self.results:
            if key not in self.results:
                raise errors.MarkNotFound(f"{title} отметка ещё не выставлена.")
            if not reason.strip():
                raise errors.AlreadyExists(
                    f"{title} отметка уже выставлена; исправьте её с причиной."
                )
            text = ctx.reason(reason)
            approver = ctx.actor.id if ctx.is_approver else None
        self._result_mark_set(
            kind=kind,
            course_journal_id=course_journal_id,
            student_id=student_id,
            value=value,
            reason=text,
            approver=approver,
            actor=ctx.actor.id,
        )

    def record_decision(
        self,
        student_id: UUID,
        decision: str,
        protocol_no: str,
        protocol_date: date,
        actor: UUID,
        reason: str,
        min_reason: int,
    ) -> None:
        """Record the pedagogical council's decision on a pupil (protocol number and date);
        a decision already recorded changes only with a reason."""
        if decision not in DECISIONS:
            raise errors.UnknownDecision(decision=decision)
        number = protocol_no.strip()
        if not number:
            raise errors.ProtocolRequired()
        text = ""
        if student_id in self.decisions:
            text = require_reason(reason, min_reason)
        self._decision_recorded(
            student_id=student_id,
            decision=decision,
            protocol_no=number,
            protocol_date=protocol_date,
            reason=text,
            actor=actor,
        )

    def undecided(self, pupils: Iterable[UUID]) -> list[UUID]:
        """Those of ``pupils`` without a decision of the council."""
        return [p for p in pupils if p not in self.decisions]

    class YearMarkSet(Aggregate.Event):
        """A year mark set; version 2 keeps what it was computed from (the term marks,
        ``basis``, ADR 0024; None in version 1) and why it differs from their average."""

        class_version = 2
        course_journal_id: UUID
        student_id: UUID
        value: str
        actor: UUID
        basis: dict[str, object] | None
        why: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            _upcast_basis(state)
            state["why"] = ""

    @event(YearMarkSet)
    def _year_mark_set(
        self,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        actor: UUID,
        basis: dict[str, object] | None,
        why: str,
    ) -> None:
        self.marks[(course_journal_id, student_id)] = FinalMark(value, actor, self.event_time)

    class YearMarkCorrected(Aggregate.Event):
        """A year mark corrected; version 2 keeps what the new value was computed from."""

        class_version = 2
        course_journal_id: UUID
        student_id: UUID
        value: str
        reason: str
        approver: UUID | None
        actor: UUID
        basis: dict[str, object] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            _upcast_basis(state)

    @event(YearMarkCorrected)
    def _year_mark_corrected(
        self,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        reason: str,
        approver: UUID | None,
        actor: UUID,
        basis: dict[str, object] | None,
    ) -> None:
        self.marks[(course_journal_id, student_id)] = FinalMark(
            value, actor, self.event_time, True, reason
        )

    class ResultMarkSet(Aggregate.Event):
        """An exam or final mark («экзаменационная», «итоговая») set, or corrected when
        ``reason`` is not empty."""

        kind: str
        course_journal_id: UUID
        student_id: UUID
        value: str
        reason: str
        approver: UUID | None
        actor: UUID

    @event(ResultMarkSet)
    def _result_mark_set(
        self,
        kind: str,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        reason: str,
        approver: UUID | None,
        actor: UUID,
    ) -> None:
        self.results[(kind, course_journal_id, student_id)] = FinalMark(
            value, actor, self.event_time, bool(reason), reason
        )

    class DecisionRecorded(Aggregate.Event):
        """The pedagogical council's decision on a pupil; ``reason`` set when it replaced an
        earlier one."""

        student_id: UUID
        decision: str
        protocol_no: str
        protocol_date: date
        reason: str
        actor: UUID

    @event(DecisionRecorded)
    def _decision_recorded(
        self,
        student_id: UUID,
        decision: str,
        protocol_no: str,
        protocol_date: date,
        reason: str,
        actor: UUID,
    ) -> None:
        self.decisions[student_id] = Decision(decision, protocol_no, protocol_date, actor, reason)
