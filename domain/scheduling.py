"""``Scheduling`` (``journal.timetable``): the bell schedule, days off, weekly patterns,
substitutions, thematic plans, and holding a lesson the timetable schedules (ADR 0019)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

from domain import errors, ids
from domain.account import Account
from domain.base import Aggregate
from domain.entry import Entry
from domain.groups import CourseJournal
from domain.school_year import SchoolYear
from domain.service import CommandGroup, Receipt
from domain.timetable import (
    WEEKDAYS,
    Bell,
    PlanItem,
    Scheduled,
    SchoolCalendar,
    ThematicPlan,
    Timetable,
    plan_item,
    school_days,
)

PERMISSION = "timetable.manage"
F = TypeVar("F", bound=Aggregate)
MAX_TOPIC = 300
MAX_HOURS = 20


@dataclass(frozen=True)
class SlotRow:
    """One line of an imported timetable: the course journal it names, its weekday
    (0 = Monday) and period, as read from the file (``line`` for the error message)."""

    line: int
    course_journal_id: UUID
    weekday: int
    period: int


@dataclass(frozen=True)
class PlanRow:
    """One line of an imported thematic plan."""

    line: int
    number: int
    topic: str
    hours: int
    homework: str


def plan_problems(rows: Sequence[PlanRow]) -> list[tuple[int, str]]:
    """Every problem of a thematic plan's rows: numbers 1, 2, 3… in order, a topic, hours
    from 1 to 20 («Ошибки по строкам»: line, message)."""
    problems: list[tuple[int, str]] = []
    if not rows:
        problems.append((0, "В плане нет ни одной темы."))
    for expected, row in enumerate(rows, 1):
        if row.number != expected:
            problems.append(
                (row.line, f"Номер урока {row.number}, а по порядку должен быть {expected}.")
            )
        if not row.topic.strip():
            problems.append((row.line, "Не указана тема."))
        elif len(row.topic) > MAX_TOPIC:
            problems.append((row.line, f"Тема длиннее {MAX_TOPIC} символов."))
        if not 1 <= row.hours <= MAX_HOURS:
            problems.append((row.line, f"Часов должно быть от 1 до {MAX_HOURS}."))
        if len(row.homework) > MAX_TOPIC:
            problems.append((row.line, f"Домашнее задание длиннее {MAX_TOPIC} символов."))
    return problems


class Scheduling(CommandGroup):
    """The timetable and thematic plans: the deputy head (or head, administrator) enters
    them; a teacher (or the substitute) holds the lessons they schedule."""

    # --- the year's calendar -------------------------------------------------------------
    def _calendar(self, year_id: UUID, actor: UUID) -> SchoolCalendar:
        try:
            return self.app.load(SchoolCalendar, ids.school_calendar_id(year_id))
        except errors.RecordNotFound:
            pass
        year = self.app.load(SchoolYear, year_id, errors.RecordNotFound)
        return SchoolCalendar(year_id=year_id, series=year.series, actor=actor)

    def _calendar_command(self, year_id: UUID, actor: UUID, change: object) -> Receipt:
        self.app.require_permission(actor, PERMISSION)

        def command() -> Sequence[Aggregate]:
            self.app.load(SchoolYear, year_id, readonly=True).check_open()
            calendar = self._calendar(year_id, actor)
            change(calendar)  # type: ignore[operator]
            return [calendar]

        return self.app.run(command, ids.school_calendar_id(year_id))

    def set_bells(self, year_id: UUID, bells: Sequence[Bell], actor: UUID) -> Receipt:
        """Replace the school year's bell schedule."""
        return self._calendar_command(year_id, actor, lambda c: c.set_bells(bells, actor))

    def declare_days_off(
        self, year_id: UUID, starts: date, ends: date, title: str, actor: UUID
    ) -> Receipt:
        """Days off inside the year (a holiday, «каникулы»): no lessons are scheduled."""

        def change(calendar: SchoolCalendar) -> None:
            year = self.app.load(SchoolYear, year_id, readonly=True)
            if starts < year.starts or ends > year.ends:
                raise errors.InvalidTimetable("Выходные дни вне учебного года.")
            calendar.declare_days_off(starts, ends, title, actor)

        return self._calendar_command(year_id, actor, change)

    def withdraw_days_off(self, year_id: UUID, starts: date, actor: UUID) -> Receipt:
        """Lessons are scheduled again on the days off beginning on ``starts``."""
        return self._calendar_command(year_id, actor, lambda c: c.withdraw_days_off(starts, actor))

    # --- weekly patterns -----------------------------------------------------------------
    def _timetable(self, journal: CourseJournal, actor: UUID) -> Timetable:
        try:
            return self.app.load(Timetable, ids.timetable_id(journal.id))
        except errors.RecordNotFound:
            pass
        return Timetable(course_journal_id=journal.id, series=journal.series, actor=actor)

    def _bells(self, year_id: UUID) -> list[Bell]:
        calendar = self._fact(SchoolCalendar, ids.school_calendar_id(year_id))
        return calendar.bells if calendar is not None else []

    def set_pattern(
        self,
        course_journal_id: UUID,
        since: date,
        slots: Sequence[tuple[int, int]],
        actor: UUID,
    ) -> Receipt:
        """The weekly (weekday, period) slots of a course journal from ``since`` on."""
        self.app.require_permission(actor, PERMISSION)

        def command() -> Sequence[Aggregate]:
            journal = self.app.load(CourseJournal, course_journal_id, readonly=True)
            self.app.load(SchoolYear, journal.year_id, readonly=True).check_open()
            timetable = self._timetable(journal, actor)
            timetable.set_pattern(since, slots, self._bells(journal.year_id), actor)
            return [timetable]

        return self.app.run(command, ids.timetable_id(course_journal_id))

    def import_timetable(
        self, year_id: UUID, rows: Sequence[SlotRow], since: date, actor: UUID
    ) -> Receipt:
        """Set the weekly pattern of every course journal named in ``rows`` from ``since``
        on, in one transaction: ``TimetableRejected`` names every bad line (a period the
        bell schedule lacks, a class or a teacher in two places at once); then nothing is
        saved. Course journals the file does not name keep their pattern."""
        self.app.require_permission(actor, PERMISSION)
        if not rows:
            raise errors.TimetableRejected([(0, "В файле нет ни одной строки расписания.")])

        def command() -> Sequence[Aggregate]:
            self.app.load(SchoolYear, year_id, readonly=True).check_open()
            bells = self._bells(year_id)
            journals = {
                r.course_journal_id: self.app.load(
                    CourseJournal, r.course_journal_id, readonly=True
                )
                for r in rows
            }
            problems = _slot_problems(rows, journals, {b.number for b in bells})
            if problems:
                raise errors.TimetableRejected(problems)
            changed = []
            for journal in journals.values():
                timetable = self._timetable(journal, actor)
                slots = [(r.weekday, r.period) for r in rows if r.course_journal_id == journal.id]
                timetable.set_pattern(since, slots, bells, actor)
                if timetable.pending_events:
                    changed.append(timetable)
            return changed

        return self.app.run(command, ids.school_calendar_id(year_id))

    # --- substitutions -------------------------------------------------------------------
    def assign_substitute(
        self,
        course_journal_id: UUID,
        day: date,
        period: int,
        teacher_id: UUID,
        reason: str,
        actor: UUID,
    ) -> Receipt:
        """``teacher_id`` holds the lesson of ``day``, ``period`` («замена»): that teacher
        may hold it and make its entries; the lesson records it."""
        self.app.require_permission(actor, PERMISSION)
        teacher = self.app.load(Account, teacher_id, errors.AccountNotFound, readonly=True)
        if "teacher" not in teacher.roles:
            raise errors.RoleRequired("Замену может вести только учитель.")
        return self._substitution(
            course_journal_id,
            day,
            period,
            lambda t, held: t.assign_substitute(day, period, teacher_id, reason, held, actor),
        )

    def cancel_substitution(
        self, course_journal_id: UUID, day: date, period: int, actor: UUID
    ) -> Receipt:
        """The lesson is held by the course's own teacher again."""
        self.app.require_permission(actor, PERMISSION)
        return self._substitution(
            course_journal_id,
            day,
            period,
            lambda t, held: t.cancel_substitution(day, period, held, actor),
        )

    def _substitution(
        self, course_journal_id: UUID, day: date, period: int, change: object
    ) -> Receipt:
        def command() -> Sequence[Aggregate]:
            timetable = self.app.load(
                Timetable, ids.timetable_id(course_journal_id), errors.NotScheduled
            )
            journal = self.app.load(CourseJournal, course_journal_id, readonly=True)
            if self.app.load(SchoolYear, journal.year_id, readonly=True).is_locked(day):
                raise errors.PeriodClosed()
            if day not in self._days(journal.year_id):
                raise errors.NotScheduled(f"{day:%d.%m.%Y} — не учебный день.")
            held = self.app.exists(ids.lesson_id(course_journal_id, day, period))
            change(timetable, held)  # type: ignore[operator]
            return [timetable]

        return self.app.run(command, ids.timetable_id(course_journal_id))

    # --- thematic plans ------------------------------------------------------------------
    def import_plan(self, course_journal_id: UUID, rows: Sequence[PlanRow], actor: UUID) -> Receipt:
        """Replace a course journal's thematic plan with ``rows``, whole: every bad line is
        named (``ThematicPlanRejected``) and nothing is saved. Lessons already held keep
        their topics; lessons held from now on take the plan's."""
        self.app.require_permission(actor, PERMISSION)
        problems = plan_problems(rows)
        if problems:
            raise errors.ThematicPlanRejected(problems)

        def command() -> Sequence[Aggregate]:
            journal = self.app.load(CourseJournal, course_journal_id, readonly=True)
            self.app.load(SchoolYear, journal.year_id, readonly=True).check_open()
            try:
                plan = self.app.load(ThematicPlan, ids.thematic_plan_id(course_journal_id))
            except errors.RecordNotFound:
                plan = ThematicPlan(
                    course_journal_id=journal.id, series=journal.series, actor=actor
                )
            plan.replace(
                [PlanItem(r.number, r.topic.strip(), r.hours, r.homework.strip()) for r in rows],
                actor,
            )
            return [plan]

        return self.app.run(command, ids.thematic_plan_id(course_journal_id))

    # --- holding a scheduled lesson ------------------------------------------------------
    def _fact(self, cls: type[F], record_id: UUID) -> F | None:
        """A read-only load, or None when there is no such record (without ``exists``,
        which would rebuild the record once more)."""
        try:
            return self.app.load(cls, record_id, readonly=True)
        except errors.RecordNotFound:
            return None

    def _days(self, year_id: UUID) -> list[date]:
        year = self.app.load(SchoolYear, year_id, readonly=True)
        calendar = self._fact(SchoolCalendar, ids.school_calendar_id(year_id))
        days_off = calendar.days_off if calendar is not None else []
        return school_days(
            year.starts, year.ends, [(t.starts, t.ends) for t in year.terms.values()], days_off
        )

    def scheduled(self, course_journal_id: UUID) -> list[Scheduled]:
        """Every lesson the timetable schedules for a course journal in its year."""
        journal = self.app.load(CourseJournal, course_journal_id, readonly=True)
        timetable = self._fact(Timetable, ids.timetable_id(course_journal_id))
        if timetable is None:
            return []
        return timetable.lessons(self._days(journal.year_id))

    def hold_scheduled(
        self, course_journal_id: UUID, day: date, period: int, actor: UUID
    ) -> Receipt:
        """Hold the lesson the timetable schedules on ``day``, ``period``: its topic and
        homework are the thematic plan's row for its place in the course (empty past the
        plan's end); a substitution in force is recorded on the lesson, and lets the
        substitute hold it."""
        found = next(
            (s for s in self.scheduled(course_journal_id) if (s.day, s.period) == (day, period)),
            None,
        )
        if found is None:
            raise errors.NotScheduled(
                f"{day:%d.%m.%Y} урока № {period} по расписанию этого журнала нет."
            )
        plan = self._fact(ThematicPlan, ids.thematic_plan_id(course_journal_id))
        item = plan_item(plan.items if plan is not None else [], found.number)
        return Entry(self.app).hold_lesson(
            course_journal_id,
            day,
            period,
            item.topic if item else "",
            item.homework if item else "",
            actor,
            substitute=found.substitute,
        )


def weekday_of(text: str) -> int | None:
    """«пн», «Пн.», «понедельник», «1» → 0; None when it names no day Monday–Saturday."""
    word = text.strip().lower().rstrip(".")
    if word.isdigit():
        n = int(word)
        return n - 1 if 1 <= n <= len(WEEKDAYS) else None
    for i, short in enumerate(WEEKDAYS):
        if word == short or (len(word) > 2 and FULL_WEEKDAYS[i].startswith(word)):
            return i
    return None


FULL_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота")


def _slot_problems(
    rows: Sequence[SlotRow], journals: dict[UUID, CourseJournal], periods: set[int]
) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    if not periods:
        problems.append((0, "Сначала задайте расписание звонков."))
    groups: dict[tuple[UUID, int, int], int] = {}
    teachers: dict[tuple[UUID, int, int], int] = {}
    for row in rows:
        if periods and row.period not in periods:
            problems.append((row.line, f"Урока № {row.period} нет в расписании звонков."))
        journal = journals[row.course_journal_id]
        key = (journal.group_id, row.weekday, row.period)
        if key in groups:
            problems.append(
                (row.line, f"У класса уже есть урок в это время (строка {groups[key]}).")
            )
        groups.setdefault(key, row.line)
        for teacher in journal.teachers:
            busy = (teacher, row.weekday, row.period)
            if busy in teachers and teachers[busy] != row.line:
                problems.append(
                    (row.line, f"Учитель уже ведёт урок в это время (строка {teachers[busy]}).")
                )
            teachers.setdefault(busy, row.line)
    return problems
