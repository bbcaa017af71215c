"""Journal entry commands: lessons, marks, attendance, corrections, term and year marks.

Each command is thin: load, let the aggregate decide under an ``EntryContext``, save.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Literal
from uuid import UUID

from domain import clock, errors, ids
from domain.base import Aggregate
from domain.explain import TERM_KIND, Explanation, Input, explain
from domain.grades import TermGrades, YearGrades
from domain.groups import ClassGroup, CourseJournal
from domain.lesson import ColumnCell, Keep, Lesson, MarkEntry, check_homework_due
from domain.rules import EntryContext
from domain.school_year import SchoolYear
from domain.service import CommandGroup, JournalBase, Receipt
from domain.timetable import Timetable


def _substitute(app: JournalBase, course_journal_id: UUID, day: date, period: int) -> UUID | None:
    """The substitute the timetable names for a lesson («замена», ADR 0019), or None."""
    try:  # not ``exists``: it would rebuild the record once more
        timetable = app.load(Timetable, ids.timetable_id(course_journal_id), readonly=True)
    except errors.RecordNotFound:
        return None
    return timetable.substitutes.get((day, period))


class Entry(CommandGroup):
    """Lessons, marks, attendance, corrections and correction requests: the commands
    teachers, deputy heads and heads use to keep the journal."""

    def _lesson_command(
        self, lesson_id: UUID, actor: UUID, decide: Callable[[Lesson, EntryContext], object]
    ) -> Receipt:
        created: list[UUID] = []

        def command() -> Sequence[Aggregate]:
            lesson = self.app.load(Lesson, lesson_id, errors.LessonNotFound)
            journal = self.app.load(CourseJournal, lesson.course_journal_id, readonly=True)
            ctx = self.app.entry_context(journal, lesson.day, actor, lesson.substitute_id)
            result = decide(lesson, ctx)
            created[:] = [
                r for r in (result if isinstance(result, list) else [result]) if isinstance(r, UUID)
            ]
            return [lesson]

        receipt = self.app.run(command, lesson_id)
        return Receipt(receipt.id, receipt.position, tuple(created))

    # --- lessons -------------------------------------------------------------------------
    def hold_lesson(
        self,
        course_journal_id: UUID,
        day: date,
        period: int,
        topic: str,
        homework: str,
        actor: UUID,
        homework_due: date | None = None,
        substitute: UUID | None = None,
    ) -> Receipt:
        """Enter a lesson (date, period, topic, homework) in a course journal; the homework
        is due on ``homework_due``, else at the subject's next lesson. ``substitute``: the
        teacher the timetable's substitution names (``journal.timetable.hold_scheduled``),
        who may then hold and keep this one lesson, recorded on it."""
        if not 0 <= period <= 12:
            raise errors.InvalidInput("Номер урока должен быть от 0 до 12.")
        check_homework_due(day, homework_due)
        journal = self.app.load(CourseJournal, course_journal_id)
        if substitute is None:
            substitute = _substitute(self.app, course_journal_id, day, period)
        ctx = self.app.entry_context(journal, day, actor, substitute)
        ctx.check_unlocked()
        ctx.check_writer()
        if day <= ctx.today and not ctx.may_enter_late:
            ctx.check_entry_window(day)
        return self.app.create(
            lambda: Lesson(
                course_journal_id=course_journal_id,
                day=day,
                period=period,
                kind=journal.lesson_kind,
                topic=topic.strip(),
                homework=homework.strip(),
                series=journal.series,
                actor=actor,
                homework_due=homework_due,
                substitute_id=substitute,
            ),
            exists_message=f"Урок {day:%d.%m.%Y}, {period}-й уже внесён в журнал.",
        )

    def change_topic(
        self,
        lesson_id: UUID,
        topic: str,
        homework: str,
        actor: UUID,
        homework_due: date | Literal[Keep.DUE] | None = Keep.DUE,
    ) -> Receipt:
        """Change a lesson's topic and homework (and the homework's due date when given)."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.change_topic(ctx, topic, homework, homework_due),
        )

    def record_marks(self, lesson_id: UUID, entries: list[MarkEntry], actor: UUID) -> Receipt:
        """Record marks for a lesson (one command, one transaction); ``created`` holds the
        new mark ids in the order of ``entries``."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.record_marks(ctx, entries)
        )

    def mark_attendance(self, lesson_id: UUID, codes: dict[UUID, str], actor: UUID) -> Receipt:
        """Set attendance codes for a lesson (``""`` = present)."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.mark_attendance(ctx, codes)
        )

    def correct_attendance(
        self, lesson_id: UUID, student_id: UUID, code: str, reason: str, actor: UUID
    ) -> Receipt:
        """Correct one pupil's attendance with a reason."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.correct_attendance(ctx, student_id, code, reason),
        )

    def save_lesson_page(
        self,
        lesson_id: UUID,
        topic: str,
        homework: str,
        marks: list[MarkEntry],
        attendance: dict[UUID, str],
        actor: UUID,
        homework_due: date | Literal[Keep.DUE] | None = Keep.DUE,
    ) -> Receipt:
        """Save the teacher's whole lesson form — topic, homework (due on ``homework_due``;
        None: at the subject's next lesson; ``Keep.DUE``: as it was), new marks and
        attendance — in one transaction: either all of it is recorded or none. The form
        sends every pupil's attendance code: those the lesson holds already are left out
        before any check (a code since dropped from the regulation does not refuse the
        form)."""

        def decide(lesson: Lesson, ctx: EntryContext) -> list[UUID]:
            lesson.change_topic(ctx, topic, homework, homework_due)
            changed = {p: c for p, c in attendance.items() if lesson.attendance.get(p, "") != c}
            if changed:
                lesson.mark_attendance(ctx, changed)
            return lesson.record_marks(ctx, marks) if marks else []

        return self._lesson_command(lesson_id, actor, decide)

    def save_column(
        self,
        lesson_id: UUID,
        cells: list[ColumnCell],
        kind: str,
        reason: str,
        actor: UUID,
        key: str = "",
    ) -> Receipt:
        """Save one column of the journal grid — new marks, corrections and cancellations
        of shown marks (with ``reason``), attendance — in ONE transaction (ADR 0018): when a
        cell is refused, ``ColumnRefused`` names every refused pupil and none is written."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.save_column(ctx, cells, kind, reason, key),
        )

    # --- corrections ---------------------------------------------------------------------
    def correct_mark(
        self,
        lesson_id: UUID,
        mark_id: UUID,
        value: str,
        kind: str,
        reason: str,
        actor: UUID,
        new_id: UUID | None = None,
    ) -> Receipt:
        """Correct a mark (a new mark supersedes it; the original stays in the history).
        ``new_id`` (derived from the form sent) makes a resent form answer as the first."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.correct_mark(ctx, mark_id, value, kind, reason, new_id),
        )

    def cancel_mark(
        self, lesson_id: UUID, mark_id: UUID, reason: str, actor: UUID, resent: bool = False
    ) -> Receipt:
        """Cancel a mark given by mistake, with a reason (``resent``: a form that may have
        been sent before — the same cancellation is then answered as done)."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.cancel_mark(ctx, mark_id, reason, resent=resent),
        )

    def request_correction(
        self,
        lesson_id: UUID,
        mark_id: UUID,
        value: str,
        kind: str,
        reason: str,
        actor: UUID,
        request_id: UUID | None = None,
    ) -> Receipt:
        """Ask the deputy head to correct (or, with an empty value, cancel) a mark."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.request_correction(
                ctx, mark_id, value, kind, reason, request_id
            ),
        )

    def approve_correction(self, lesson_id: UUID, request_id: UUID, actor: UUID) -> Receipt:
        """Approve a correction request (deputy head or head; not one's own)."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.approve_correction(ctx, request_id)
        )

    def reject_correction(
        self, lesson_id: UUID, request_id: UUID, reason: str, actor: UUID
    ) -> Receipt:
        """Reject a correction request with a reason."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.reject_correction(ctx, request_id, reason)
        )

    # --- late entry ----------------------------------------------------------------------
    def request_late_entry(
        self, lesson_id: UUID, reason: str, actor: UUID, request_id: UUID | None = None
    ) -> Receipt:
        """Ask the deputy head to allow entries for a lesson past the entry deadline."""
        return self._lesson_command(
            lesson_id,
            actor,
            lambda lesson, ctx: lesson.request_late_entry(ctx, reason, request_id),
        )

    def approve_late_entry(self, lesson_id: UUID, request_id: UUID, actor: UUID) -> Receipt:
        """Approve a late-entry request (deputy head or head; not one's own)."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.approve_late_entry(ctx, request_id)
        )

    def reject_late_entry(
        self, lesson_id: UUID, request_id: UUID, reason: str, actor: UUID
    ) -> Receipt:
        """Reject a late-entry request with a reason."""
        return self._lesson_command(
            lesson_id, actor, lambda lesson, ctx: lesson.reject_late_entry(ctx, request_id, reason)
        )


def _with_terms(
    found: Mapping[UUID, Sequence[Input]],
    term: int | None,
    marks: Sequence[tuple[UUID, str, str]],
) -> dict[UUID, list[Input]]:
    """The term marks of each pupil with those of ``term`` being set (``marks``) in place
    of the ones standing."""
    merged = {pupil: list(inputs) for pupil, inputs in found.items()}
    if term is None:
        return merged
    ref = f"term:{term}"
    for pupil, value, _reason in marks:
        inputs = [i for i in merged.get(pupil, []) if i.ref != ref]
        inputs.append(Input(ref, value, TERM_KIND))
        merged[pupil] = sorted(inputs, key=lambda i: int(i.ref.removeprefix("term:")))
    return merged


def _decide(
    marks: Sequence[tuple[UUID, str, str]],
    basis: Callable[[UUID], Explanation],
    why: Mapping[UUID, str],
    set_mark: Callable[[UUID, str, Explanation, str], None],
    correct_mark: Callable[[UUID, str, str, Explanation], None],
) -> None:
    """Set each ``(pupil, value, reason)`` of term or year marks, or correct it when a
    reason is given, with what it was computed from."""
    for student_id, value, reason in marks:
        if reason:
            correct_mark(student_id, value, reason, basis(student_id))
        else:
            set_mark(student_id, value, basis(student_id), why.get(student_id, ""))


class Grades(CommandGroup):
    """Term and year marks: teachers set them, the deputy head and head correct them."""

    def _final_context(self, journal: CourseJournal, actor: UUID, term: int | None) -> EntryContext:
        year = self.app.load(SchoolYear, journal.year_id, readonly=True)
        if term is None:
            first, last, locked = year.starts, year.ends, year.closed
        else:
            period = year.term(term)
            first, last, locked = period.starts, period.ends, year.closed or period.closed
        group = self.app.group_of(journal)
        return EntryContext(
            actor=self.app.actor(actor),
            policies=self.app.policies,
            teachers=frozenset(journal.teachers),
            scale=journal.scale,
            locked=locked,
            enrolled=frozenset(group.members_between(first, last)),
            now=clock.now(),
        )

    def _explanations(
        self, journal: CourseJournal, found: Mapping[UUID, Sequence[Input]]
    ) -> Callable[[UUID], Explanation]:
        grading = self.app.policies.grading
        return lambda pupil: explain(grading, journal.scale, found.get(pupil, ()))

    def set_term_mark(
        self,
        course_journal_id: UUID,
        term: int,
        student_id: UUID,
        value: str,
        actor: UUID,
        reason: str = "",
        why: str = "",
    ) -> Receipt:
        """Set a pupil's term mark; with a ``reason``, correct an existing one; ``why``: the
        reason a new mark differs from the rounded average."""
        return self.set_term_marks(
            course_journal_id, term, [(student_id, value, reason)], actor, {student_id: why}
        )

    def set_term_marks(
        self,
        course_journal_id: UUID,
        term: int,
        marks: Sequence[tuple[UUID, str, str]],
        actor: UUID,
        why: Mapping[UUID, str] | None = None,
    ) -> Receipt:
        """Set the term marks of several pupils — ``(pupil, value, reason)``, a reason
        correcting a mark already set — in ONE transaction: when one is refused, none is
        written. Each keeps what it was computed from (the marks of the term that stand,
        read from ``final_inputs``, ADR 0024); a new mark other than its rounded average
        needs its reason in ``why`` when the policy says so."""
        return self.set_final_marks(course_journal_id, term, marks, (), actor, why)

    def set_year_mark(
        self,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        actor: UUID,
        reason: str = "",
        why: str = "",
    ) -> Receipt:
        """Set a pupil's year mark in a subject; with a ``reason``, correct an existing one
        (``set_year_marks``)."""
        return self.set_year_marks(
            course_journal_id, [(student_id, value, reason)], actor, {student_id: why}
        )

    def set_year_marks(
        self,
        course_journal_id: UUID,
        marks: Sequence[tuple[UUID, str, str]],
        actor: UUID,
        why: Mapping[UUID, str] | None = None,
    ) -> Receipt:
        """Set the year marks of several pupils in a subject — ``(pupil, value, reason)``,
        a reason correcting a mark already set — in ONE transaction. Each keeps what it was
        computed from (the pupil's term marks, ADR 0024); a new mark other than their
        rounded average needs its reason in ``why`` when the policy says so; a pupil
        without a term mark for a period of the year they belonged to the class in is
        refused (``TermMarksMissing``)."""
        return self.set_final_marks(course_journal_id, None, (), marks, actor, None, why)

    def set_final_marks(
        self,
        course_journal_id: UUID,
        term: int | None,
        term_marks: Sequence[tuple[UUID, str, str]],
        year_marks: Sequence[tuple[UUID, str, str]],
        actor: UUID,
        why: Mapping[UUID, str] | None = None,
        year_why: Mapping[UUID, str] | None = None,
    ) -> Receipt:
        """Term marks of ``term`` and year marks of a subject, as the grid of the last term
        sends them, in ONE transaction (``set_term_marks``, ``set_year_marks``): the year
        marks are computed from the term marks that stand, with those set by this command
        in place."""
        port = self.app.final_inputs
        in_term: Mapping[UUID, Sequence[Input]] = {}
        in_year: Mapping[UUID, Sequence[Input]] = {}
        if port is not None and term is not None and term_marks:
            in_term = port.term_inputs(course_journal_id, term)
        if port is not None and year_marks:
            in_year = _with_terms(port.year_inputs(course_journal_id), term, term_marks)
        if term_marks and term is None:
            raise errors.InvalidInput("Не указана четверть.")
        record_id = (
            ids.term_grades_id(course_journal_id, term)
            if term is not None and term_marks
            else course_journal_id
        )

        def command() -> Sequence[Aggregate]:
            journal = self.app.load(CourseJournal, course_journal_id)
            saved: list[Aggregate] = []
            if term is not None and term_marks:
                in_context = self._final_context(journal, actor, term)
                terms = self._term_grades(journal, term, actor)
                _decide(
                    term_marks,
                    self._explanations(journal, in_term),
                    why or {},
                    partial(terms.set_mark, in_context),
                    partial(terms.correct_mark, in_context),
                )
                saved.append(terms)
            if year_marks:
                if port is not None:  # as the explanation: not in tests of other rules
                    self._check_terms(journal, [p for p, _, _ in year_marks], saved)
                ctx = self._final_context(journal, actor, None)
                year = self._year_grades_of(journal, actor)
                _decide(
                    year_marks,
                    self._explanations(journal, in_year),
                    year_why or {},
                    partial(year.set_mark, ctx, course_journal_id),
                    partial(year.correct_mark, ctx, course_journal_id),
                )
                saved.append(year)
            return saved

        return self.app.run(command, record_id)

    def _term_grades(self, journal: CourseJournal, term: int, actor: UUID) -> TermGrades:
        """The term marks of a course journal's term (created on first use)."""
        grades_id = ids.term_grades_id(journal.id, term)
        if self.app.exists(grades_id):
            return self.app.load(TermGrades, grades_id)
        return TermGrades(
            course_journal_id=journal.id, term=term, series=journal.series, actor=actor
        )

    def _year_grades_of(self, journal: CourseJournal, actor: UUID) -> YearGrades:
        """The year marks of a course journal's class or group (created on first use)."""
        return self._year_grades(
            journal.group_id, journal.year_id, actor, lambda: self.app.group_of(journal).name
        )

    def _check_terms(
        self, journal: CourseJournal, pupils: Sequence[UUID], changed: Sequence[Aggregate]
    ) -> None:
        """``TermMarksMissing`` for the first of ``pupils`` without a term mark for a term
        of the year they belonged to the group in («н/а» counts as a mark): read from the
        term marks themselves (``changed``: those this command sets), not from the views,
        which may trail the store."""
        year = self.app.load(SchoolYear, journal.year_id, readonly=True)
        group = self.app.group_of(journal)
        mine = {g.term: g for g in changed if isinstance(g, TermGrades)}
        marked: dict[int, Mapping[UUID, object]] = {}
        for n in year.terms:
            grades_id = ids.term_grades_id(journal.id, n)
            if n in mine:
                marked[n] = mine[n].marks
            elif self.app.exists(grades_id):
                marked[n] = self.app.load(TermGrades, grades_id, readonly=True).marks
            else:
                marked[n] = {}
        for pupil in pupils:
            missing = [
                t.title
                for n, t in sorted(year.terms.items())
                if pupil not in marked[n] and pupil in group.members_between(t.starts, t.ends)
            ]
            if missing:
                raise errors.TermMarksMissing(missing, str(pupil))

    def set_result_mark(
        self,
        kind: str,
        course_journal_id: UUID,
        student_id: UUID,
        value: str,
        actor: UUID,
        reason: str = "",
    ) -> Receipt:
        """Set a pupil's exam (``kind="exam"``) or final (``"final"``) mark in a subject of a
        class whose grade has exams (``policies/grading.toml``); with a ``reason``, correct
        one already set."""

        def command() -> Sequence[Aggregate]:
            journal = self.app.load(CourseJournal, course_journal_id)
            group = self.app.group_of(journal)
            exams = self.app.policies.grading.exam_grades
            if not isinstance(group, ClassGroup) or group.grade not in exams:
                raise errors.NoExams()
            grades = self._year_grades(journal.group_id, journal.year_id, actor)
            ctx = self._final_context(journal, actor, None)
            grades.set_result(ctx, kind, course_journal_id, student_id, value, reason)
            return [grades]

        return self.app.run(command, course_journal_id)

    def record_decision(
        self,
        group_id: UUID,
        student_id: UUID,
        decision: str,
        protocol_no: str,
        protocol_date: date,
        actor: UUID,
        reason: str = "",
    ) -> Receipt:
        """Record the pedagogical council's decision on one pupil (``record_decisions``)."""
        return self.record_decisions(
            group_id, [(student_id, decision)], protocol_no, protocol_date, actor, reason
        )

    def record_decisions(
        self,
        group_id: UUID,
        decisions: Sequence[tuple[UUID, str]],
        protocol_no: str,
        protocol_date: date,
        actor: UUID,
        reason: str = "",
    ) -> Receipt:
        """Record the pedagogical council's decisions on pupils of a class (deputy head or
        head) — ``(pupil, decision)``, a decision being «promoted» (переведён),
        «conditional» (переведён условно), «retained» (оставлен на повторное обучение) or
        «graduated» (выпущен) — under one protocol's number and date, in ONE transaction.
        A recorded decision changes only with a reason. Refused once the year is closed."""
        self.app.require_role(actor, self.app.policies.journal.period_roles)
        if not decisions:
            raise errors.InvalidInput("Не выбраны обучающиеся.")

        def command() -> Sequence[Aggregate]:
            group = self.app.load(ClassGroup, group_id)
            year = self.app.load(SchoolYear, group.year_id, readonly=True)
            year.check_open()
            if protocol_date > clock.today() or protocol_date < year.starts:
                raise errors.ProtocolDateInvalid()
            members = group.members_between(year.starts, year.ends)
            grades = self._year_grades(group_id, group.year_id, actor)
            for student_id, decision in decisions:
                if student_id not in members:
                    raise errors.NotEnrolled("Обучающийся не состоял в этом классе в учебном году.")
                grades.record_decision(
                    student_id,
                    decision,
                    protocol_no,
                    protocol_date,
                    actor,
                    reason,
                    self.app.policies.journal.min_reason_length,
                )
            return [grades]

        return self.app.run(command, group_id)

    def _year_grades(
        self,
        group_id: UUID,
        year_id: UUID,
        actor: UUID,
        name: Callable[[], str] | None = None,
    ) -> YearGrades:
        """The year marks of a class (created on first use, in its summary series named
        by the class's ``name``, read from the class unless given)."""
        grades_id = ids.year_grades_id(group_id, year_id)
        if self.app.exists(grades_id):
            return self.app.load(YearGrades, grades_id)
        year = self.app.load(SchoolYear, year_id, readonly=True)
        if name is not None:
            label = name()
        else:
            label = self.app.load(ClassGroup, group_id, readonly=True).name
        return YearGrades(
            group_id=group_id,
            year_id=year_id,
            series=ids.summary_series(year.year, label),
            actor=actor,
        )
