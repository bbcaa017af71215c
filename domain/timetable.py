"""The timetable («расписание») and thematic plans («КТП»), ADR 0019.

``SchoolCalendar`` (one per school year): the bell schedule (periods and their times) and
the days off («каникулы», public holidays) inside the year's terms. ``Timetable`` (one per
course journal): the weekly pattern — (weekday, period) slots, in force from a date — and
the substitutions («замены») the deputy head assigns for single lessons. ``ThematicPlan``
(one per course journal): the numbered topics with hours and homework, replaced whole by an
import.

A scheduled lesson is not a record: it is computed from these (``scheduled_days``,
``lessons_of``); the ``Lesson`` aggregate is created when the lesson is held (its id is the
slot's, ``ids.lesson_id``), taking the plan's topic of its place in the course's order.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate

#: Monday … Saturday as the school writes them (a six-day week is allowed).
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб")
MAX_PERIOD = 12
TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Bell:
    """One period of the bell schedule: its number and times ("08:30", "09:15")."""

    number: int
    starts: str
    ends: str


@dataclass(frozen=True)
class DaysOff:
    """Days without lessons inside the year: holidays between terms, public holidays."""

    starts: date
    ends: date
    title: str

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class PlanItem:
    """One row of a thematic plan: its number, topic, hours and homework."""

    number: int
    topic: str
    hours: int
    homework: str


def _minutes(text: str) -> int:
    match = TIME.fullmatch(text.strip())
    if match is None:
        raise errors.InvalidTimetable(f"Время «{text}» не в виде ЧЧ:ММ.")
    return int(match[1]) * 60 + int(match[2])


def check_bells(bells: Sequence[Bell]) -> list[Bell]:
    """The bells in order, or ``InvalidTimetable``: numbers 0–12 once each, every period
    ending after it starts and before the next one starts."""
    if not bells:
        raise errors.InvalidTimetable("Задайте хотя бы один урок в расписании звонков.")
    ordered = sorted(bells, key=lambda b: b.number)
    previous_end = -1
    for bell in ordered:
        if not 0 <= bell.number <= MAX_PERIOD:
            raise errors.InvalidTimetable(f"Номер урока должен быть от 0 до {MAX_PERIOD}.")
        starts, ends = _minutes(bell.starts), _minutes(bell.ends)
        if ends <= starts:
            raise errors.InvalidTimetable(f"Урок {bell.number}: конец не позже начала.")
        if starts < previous_end:
            raise errors.InvalidTimetable(f"Урок {bell.number} начинается до конца предыдущего.")
        previous_end = ends
    if len({b.number for b in ordered}) != len(ordered):
        raise errors.InvalidTimetable("Номер урока повторяется.")
    return [
        Bell(
            b.number,
            f"{_minutes(b.starts) // 60:02d}:{_minutes(b.starts) % 60:02d}",
            f"{_minutes(b.ends) // 60:02d}:{_minutes(b.ends) % 60:02d}",
        )
        for b in ordered
    ]


def slot_text(weekday: int, period: int) -> str:
    """``(0, 3)`` → ``"0/3"`` (Monday, third period): how a slot is stored in events."""
    return f"{weekday}/{period}"


def slot_of(text: str) -> tuple[int, int]:
    weekday, _, period = text.partition("/")
    return int(weekday), int(period)


def check_slots(slots: Iterable[tuple[int, int]], bells: Sequence[Bell]) -> list[tuple[int, int]]:
    """Slots in order, or ``InvalidTimetable`` for a weekday past Saturday or a period the
    bell schedule lacks."""
    periods = {b.number for b in bells}
    found = sorted(set(slots))
    for weekday, period in found:
        if not 0 <= weekday < len(WEEKDAYS):
            raise errors.InvalidTimetable("День недели — с понедельника по субботу.")
        if period not in periods:
            raise errors.InvalidTimetable(f"Урока № {period} нет в расписании звонков.")
    return found


def school_days(
    first: date, last: date, terms: Iterable[tuple[date, date]], days_off: Iterable[DaysOff]
) -> list[date]:
    """Days from ``first`` to ``last`` that fall in a term and not in days off (weekdays
    are left to the weekly pattern: a Sunday has no slot)."""
    return list(_school_days(first, last, tuple(terms), tuple(days_off)))


@lru_cache(maxsize=64)
def _school_days(
    first: date, last: date, spans: tuple[tuple[date, date], ...], off: tuple[DaysOff, ...]
) -> tuple[date, ...]:
    """``school_days`` kept for the same calendar: every lesson held asks for it."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(
        d
        for d in days
        if d.weekday() < len(WEEKDAYS)
        and any(s <= d <= e for s, e in spans)
        and not any(o.covers(d) for o in off)
    )


@dataclass(frozen=True)
class Scheduled:
    """One lesson the timetable schedules: its day and period, its 0-based place in the
    course journal's order (which plan row it takes) and the substitute, if any."""

    day: date
    period: int
    number: int
    substitute: UUID | None = None


Pattern = tuple[date, frozenset[tuple[int, int]]]


def slots_on(patterns: Sequence[Pattern], day: date) -> frozenset[tuple[int, int]]:
    """The slots of the pattern in force on ``day``: the latest set from a date not after
    it (``patterns`` in date order; empty before the first one)."""
    found: frozenset[tuple[int, int]] = frozenset()
    for since, slots in patterns:
        if since <= day:
            found = slots
    return found


def schedule(
    patterns: Sequence[Pattern], substitutes: Mapping[tuple[date, int], UUID], days: Iterable[date]
) -> list[Scheduled]:
    """Every lesson the weekly ``patterns`` schedule on ``days`` (the school days from the
    year's start, in order), numbered in the course's order, with their substitutes."""
    found: list[Scheduled] = []
    for day in days:
        periods = sorted(p for w, p in slots_on(patterns, day) if w == day.weekday())
        for period in periods:
            found.append(Scheduled(day, period, len(found), substitutes.get((day, period))))
    return found


def scheduled_days(patterns: Sequence[Pattern], days: Iterable[date]) -> list[date]:
    """Those of ``days`` (in order) on which the weekly ``patterns`` (in date order)
    schedule a lesson: what ``schedule`` gives, without numbering, for due dates."""
    found = []
    weekdays: frozenset[int] = frozenset()
    upcoming = list(patterns)
    for day in days:
        while upcoming and upcoming[0][0] <= day:
            weekdays = frozenset(w for w, _ in upcoming.pop(0)[1])
        if day.weekday() in weekdays:
            found.append(day)
    return found


def next_lesson_day(days: Sequence[date], after: date) -> date | None:
    """The first of ``days`` (in order) later than ``after`` — when homework given at a
    lesson on ``after`` is due («к следующему уроку»); None past the year's last."""
    index = bisect_right(days, after)
    return days[index] if index < len(days) else None


def plan_item(plan: Sequence[PlanItem], number: int) -> PlanItem | None:
    """The row of ``plan`` that lesson ``number`` (0-based) of the course takes: each row
    covers as many lessons as its hours; None past the plan's end."""
    for item in plan:
        if number < item.hours:
            return item
        number -= item.hours
    return None


class SchoolCalendar(Aggregate):
    """A school year's bell schedule and days off (the terms stay on ``SchoolYear``)."""

    @staticmethod
    def create_id(year_id: UUID, **_: object) -> UUID:
        return ids.school_calendar_id(year_id)

    class Opened(Aggregate.Created):
        year_id: UUID
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, year_id: UUID, series: str, actor: UUID) -> None:
        self.year_id, self.series = year_id, series
        self.bells: list[Bell] = []
        self.days_off: list[DaysOff] = []

    def set_bells(self, bells: Sequence[Bell], actor: UUID) -> None:
        """Replace the bell schedule (checked by ``check_bells``)."""
        checked = check_bells(bells)
        if checked != self.bells:
            self._bells_set(
                bells=[
                    {"number": str(b.number), "starts": b.starts, "ends": b.ends} for b in checked
                ],
                actor=actor,
            )

    def declare_days_off(self, starts: date, ends: date, title: str, actor: UUID) -> None:
        """Add days off from ``starts`` to ``ends`` (a holiday, «каникулы»)."""
        if ends < starts:
            raise errors.InvalidTimetable("Конец каникул раньше начала.")
        if not title.strip():
            raise errors.InvalidTimetable("Укажите, что это за дни (например, «Осенние каникулы»).")
        if any(o.starts <= ends and starts <= o.ends for o in self.days_off):
            raise errors.InvalidTimetable("Эти дни пересекаются с уже заданными выходными.")
        self._days_off_declared(starts=starts, ends=ends, title=title.strip(), actor=actor)

    def withdraw_days_off(self, starts: date, actor: UUID) -> None:
        """Remove the days off that begin on ``starts``."""
        if not any(o.starts == starts for o in self.days_off):
            raise errors.InvalidTimetable("Таких выходных дней нет.")
        self._days_off_withdrawn(starts=starts, actor=actor)

    def bell(self, period: int) -> Bell | None:
        return next((b for b in self.bells if b.number == period), None)

    class BellsSet(Aggregate.Event):
        bells: list[dict[str, str]]
        actor: UUID

    @event(BellsSet)
    def _bells_set(self, bells: list[dict[str, str]], actor: UUID) -> None:
        self.bells = [Bell(int(b["number"]), b["starts"], b["ends"]) for b in bells]

    class DaysOffDeclared(Aggregate.Event):
        starts: date
        ends: date
        title: str
        actor: UUID

    @event(DaysOffDeclared)
    def _days_off_declared(self, starts: date, ends: date, title: str, actor: UUID) -> None:
        self.days_off.append(DaysOff(starts, ends, title))

    class DaysOffWithdrawn(Aggregate.Event):
        starts: date
        actor: UUID

    @event(DaysOffWithdrawn)
    def _days_off_withdrawn(self, starts: date, actor: UUID) -> None:
        self.days_off = [o for o in self.days_off if o.starts != starts]


class Timetable(Aggregate):
    """A course journal's weekly pattern (changed from a date on) and its substitutions."""

    @staticmethod
    def create_id(course_journal_id: UUID, **_: object) -> UUID:
        return ids.timetable_id(course_journal_id)

    class Opened(Aggregate.Created):
        course_journal_id: UUID
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, course_journal_id: UUID, series: str, actor: UUID) -> None:
        self.course_journal_id, self.series = course_journal_id, series
        #: (in force from, slots), in the order set; the latest from a day governs it.
        self.patterns: list[Pattern] = []
        self.substitutes: dict[tuple[date, int], UUID] = {}

    # --- queries -------------------------------------------------------------------------
    def slots_on(self, day: date) -> frozenset[tuple[int, int]]:
        """The pattern in force on ``day`` (empty before the first one)."""
        return slots_on(self.patterns, day)

    def periods_on(self, day: date) -> list[int]:
        return sorted(p for w, p in self.slots_on(day) if w == day.weekday())

    def lessons(self, days: Iterable[date]) -> list[Scheduled]:
        """Every lesson scheduled on ``days`` (the school days from the year's start, in
        order), numbered in the course's order."""
        return schedule(self.patterns, self.substitutes, days)

    # --- commands ------------------------------------------------------------------------
    def set_pattern(
        self, since: date, slots: Sequence[tuple[int, int]], bells: Sequence[Bell], actor: UUID
    ) -> None:
        """The weekly pattern from ``since`` on (a later change keeps earlier weeks)."""
        checked = check_slots(slots, bells)
        if frozenset(checked) == self.slots_on(since) and self.patterns:
            return
        self._pattern_set(since=since, slots=[slot_text(w, p) for w, p in checked], actor=actor)

    def assign_substitute(
        self, day: date, period: int, teacher_id: UUID, reason: str, held: bool, actor: UUID
    ) -> None:
        """The lesson of ``day``, ``period`` is held by ``teacher_id`` («замена»)."""
        self._check_substitutable(day, period, held)
        if self.substitutes.get((day, period)) == teacher_id:
            return
        self._substitute_assigned(
            day=day, period=period, teacher_id=teacher_id, reason=reason.strip(), actor=actor
        )

    def cancel_substitution(self, day: date, period: int, held: bool, actor: UUID) -> None:
        """The lesson of ``day``, ``period`` is held by the course's own teacher again."""
        self._check_substitutable(day, period, held)
        if (day, period) not in self.substitutes:
            raise errors.NotScheduled("Замены на этот урок нет.")
        self._substitution_cancelled(day=day, period=period, actor=actor)

    def _check_substitutable(self, day: date, period: int, held: bool) -> None:
        if period not in self.periods_on(day):
            raise errors.NotScheduled(
                f"{day:%d.%m.%Y} урока № {period} по расписанию этого журнала нет."
            )
        if held:
            raise errors.LessonAlreadyHeld()

    # --- events --------------------------------------------------------------------------
    class PatternSet(Aggregate.Event):
        since: date
        slots: list[str]
        actor: UUID

    @event(PatternSet)
    def _pattern_set(self, since: date, slots: list[str], actor: UUID) -> None:
        self.patterns = [p for p in self.patterns if p[0] != since]
        self.patterns.append((since, frozenset(slot_of(s) for s in slots)))
        self.patterns.sort(key=lambda p: p[0])

    class SubstituteAssigned(Aggregate.Event):
        day: date
        period: int
        teacher_id: UUID
        reason: str
        actor: UUID

    @event(SubstituteAssigned)
    def _substitute_assigned(
        self, day: date, period: int, teacher_id: UUID, reason: str, actor: UUID
    ) -> None:
        self.substitutes[day, period] = teacher_id

    class SubstitutionCancelled(Aggregate.Event):
        day: date
        period: int
        actor: UUID

    @event(SubstitutionCancelled)
    def _substitution_cancelled(self, day: date, period: int, actor: UUID) -> None:
        self.substitutes.pop((day, period), None)


class ThematicPlan(Aggregate):
    """A course journal's thematic plan («календарно-тематическое планирование»)."""

    @staticmethod
    def create_id(course_journal_id: UUID, **_: object) -> UUID:
        return ids.thematic_plan_id(course_journal_id)

    class Opened(Aggregate.Created):
        course_journal_id: UUID
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, course_journal_id: UUID, series: str, actor: UUID) -> None:
        self.course_journal_id, self.series = course_journal_id, series
        self.items: list[PlanItem] = []

    def replace(self, items: Sequence[PlanItem], actor: UUID) -> None:
        """Replace the plan with ``items`` (already checked row by row)."""
        if not items:
            raise errors.ThematicPlanRejected([(0, "В плане нет ни одной темы.")])
        self._imported(
            items=[
                {
                    "number": str(i.number),
                    "topic": i.topic,
                    "hours": str(i.hours),
                    "homework": i.homework,
                }
                for i in items
            ],
            actor=actor,
        )

    class Imported(Aggregate.Event):
        items: list[dict[str, str]]
        actor: UUID

    @event(Imported)
    def _imported(self, items: list[dict[str, str]], actor: UUID) -> None:
        self.items = [
            PlanItem(int(i["number"]), i["topic"], int(i["hours"]), i["homework"]) for i in items
        ]
