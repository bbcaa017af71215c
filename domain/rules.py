"""The facts a command needs from outside the aggregate it changes.

The application gathers them (who acts, with which roles; is the period open; who is
enrolled; what the policies say; what time it is) and the aggregate decides. Keeping them in
one value makes every rule a pure function of its inputs, easy to test and to explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain import clock, errors
from domain.base import require_reason
from domain.policies import JournalRegulation, Policies


def deadline_passed(regulation: JournalRegulation, lesson_day: date, today: date) -> bool:
    """Rule «entry deadline»: entries for a lesson of ``lesson_day`` are late on ``today``
    (more than ``entry_deadline_days`` after it). Pages use it to show a lesson read-only."""
    return clock.days_between(lesson_day, today) > regulation.entry_deadline_days


def own_correction_open(regulation: JournalRegulation, entered_day: date, today: date) -> bool:
    """Rule «own correction window»: the author of a mark first entered on ``entered_day``
    may still correct or cancel it themself on ``today``."""
    return clock.days_between(entered_day, today) <= regulation.own_correction_days


@dataclass(frozen=True)
class Actor:
    """The account that acts, with its roles."""

    id: UUID
    roles: frozenset[str]

    def has_any(self, roles: frozenset[str]) -> bool:
        """True when the actor holds at least one of ``roles``."""
        return bool(self.roles & roles)


@dataclass(frozen=True)
class EntryContext:
    """What the rules of journal entry need to know about one lesson's situation."""

    actor: Actor
    policies: Policies
    teachers: frozenset[UUID]
    scale: str
    locked: bool
    enrolled: frozenset[UUID] = field(default_factory=frozenset)
    now: datetime = field(default_factory=clock.now)

    @property
    def today(self) -> date:
        """The school's calendar date of ``now``."""
        return self.now.astimezone(clock.SCHOOL_TZ).date()

    @property
    def is_teacher(self) -> bool:
        """The actor keeps this course journal."""
        return self.actor.id in self.teachers

    @property
    def is_approver(self) -> bool:
        """The actor may approve corrections (deputy head, head)."""
        return self.actor.has_any(self.policies.journal.approver_roles)

    @property
    def may_enter_late(self) -> bool:
        """The actor may make entries after the deadline."""
        return self.actor.has_any(self.policies.journal.late_entry_roles)

    def check_unlocked(self) -> None:
        """Raise ``PeriodClosed`` when the term or year is closed."""
        if self.locked:
            raise errors.PeriodClosed()

    def check_writer(self) -> None:
        """Raise ``NotCourseTeacher`` unless the actor teaches here or may enter late."""
        if not (self.is_teacher or self.may_enter_late):
            raise errors.NotCourseTeacher()

    def check_enrolled(self, student_id: UUID) -> None:
        """Raise ``NotEnrolled`` unless the pupil belongs to the group on the lesson date."""
        if student_id not in self.enrolled:
            raise errors.NotEnrolled(student_id=str(student_id))

    def deadline_passed(self, lesson_day: date) -> bool:
        """True when the regulation's entry deadline for a lesson of ``lesson_day`` has
        passed (whatever the actor's roles)."""
        return deadline_passed(self.policies.journal, lesson_day, self.today)

    def check_entry_window(
        self, lesson_day: date, granted_until: date | None = None, *, on_lesson: bool = False
    ) -> None:
        """Raise ``LessonNotYetHeld`` or ``EntryDeadlinePassed`` as the regulation says.
        ``granted_until``: the last day of an approved late-entry request of the actor;
        ``on_lesson``: the entry is on a lesson entered already, which a late-entry request
        can open (a lesson not yet entered is entered late by the deputy head)."""
        if lesson_day > self.today:
            raise errors.LessonNotYetHeld()
        if self.may_enter_late:
            return
        if granted_until is not None and self.today <= granted_until:
            return
        if deadline_passed(self.policies.journal, lesson_day, self.today):
            late_by = clock.days_between(lesson_day, self.today)
            raise errors.EntryDeadlinePassed(
                f"Срок внесения записей истёк: прошло {late_by} дн. после урока, "
                f"регламент разрешает {self.policies.journal.entry_deadline_days}. "
                + (
                    "Запросите у заместителя директора разрешение на внесение записей "
                    "(на странице урока)."
                    if on_lesson
                    else "Урок с этой датой вносит заместитель директора."
                ),
                days=late_by,
            )

    def reason(self, text: str) -> str:
        """Return the stripped reason or raise ``ReasonRequired``."""
        return require_reason(text, self.policies.journal.min_reason_length)
