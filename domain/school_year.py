"""``SchoolYear``: the year's dates, its terms, and closing / re-opening them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.base import Aggregate, require_reason


@dataclass
class Term:
    """One term («четверть», «триместр», «полугодие») of a school year."""

    number: int
    title: str
    starts: date
    ends: date
    closed: bool = False


class SchoolYear(Aggregate):
    """A school year: opened by the administrator, split into terms, closed at its end.

    Closing the year is the cut-off of its record series (journals, summary sheets): from
    then on they accept no new event, until an authorised, recorded re-opening. The date of
    the latest closing (school time) is the cut-off the retention periods run from."""

    #: The year guards its own events (terms, closing, re-opening).
    closes_with_year = False

    @staticmethod
    def create_id(school: str, year: str, **_: object) -> UUID:
        return ids.school_year_id(school, year)

    class Opened(Aggregate.Created):
        school: str
        year: str
        starts: date
        ends: date
        series: str
        actor: UUID

    @event(Opened)
    def __init__(
        self, school: str, year: str, starts: date, ends: date, series: str, actor: UUID
    ) -> None:
        self.school = school
        self.year = year
        self.starts = starts
        self.ends = ends
        self.series = series
        self.terms: dict[int, Term] = {}
        self.closed = False
        self.closed_on: date | None = None

    # --- commands ----------------------------------------------------------------------
    def define_term(self, number: int, title: str, starts: date, ends: date, actor: UUID) -> None:
        """Define (or redefine, while open) term ``number``; terms may not overlap."""
        self.check_open()
        if starts > ends or starts < self.starts or ends > self.ends:
            raise errors.InvalidTerms("Даты периода вне учебного года или перепутаны.")
        for other in self.terms.values():
            if other.number != number and starts <= other.ends and other.starts <= ends:
                raise errors.InvalidTerms(f"Период пересекается с периодом «{other.title}».")
        if number in self.terms and self.terms[number].closed:
            raise errors.PeriodClosed()
        self._term_defined(
            number=number, title=title.strip(), starts=starts, ends=ends, actor=actor
        )

    def close_term(self, number: int, actor: UUID) -> None:
        """Close a term: its lessons, marks and attendance lock."""
        self.check_open()
        term = self.term(number)
        if term.closed:
            raise errors.PeriodClosed("Период уже закрыт.")
        self._term_closed(number=number, actor=actor)

    def reopen_term(
        self,
        number: int,
        reason: str,
        order_no: str,
        actor: UUID,
        *,
        min_reason: int,
        order_required: bool,
    ) -> None:
        """Re-open a closed term, under a reason and the number of the head's order."""
        self.check_open()
        term = self.term(number)
        if not term.closed:
            raise errors.TermNotClosed()
        text = require_reason(reason, min_reason)
        if order_required and not order_no.strip():
            raise errors.OrderNumberRequired()
        self._term_reopened(number=number, reason=text, order_no=order_no.strip(), actor=actor)

    def close(
        self,
        actor: UUID,
        reason: str = "",
        forced: bool = False,
        missing: int = 0,
        undecided: int = 0,
    ) -> None:
        """Close the year (the cut-off of its record series); ``forced`` with ``missing``
        marks still not given and ``undecided`` pupils without a council decision, under a
        reason."""
        self.check_open()
        self._closed(
            reason=reason.strip(),
            forced=forced,
            missing=missing,
            undecided=undecided,
            actor=actor,
        )

    def reopen(
        self, reason: str, order_no: str, actor: UUID, *, min_reason: int, order_required: bool
    ) -> None:
        """Re-open a closed year under a reason and the number of the head's order; its
        series accept events again and lose their cut-off until the year closes again."""
        if not self.closed:
            raise errors.YearNotClosed()
        text = require_reason(reason, min_reason)
        if order_required and not order_no.strip():
            raise errors.OrderNumberRequired()
        self._reopened(reason=text, order_no=order_no.strip(), actor=actor)

    # --- queries -------------------------------------------------------------------------
    def term(self, number: int) -> Term:
        """Return term ``number`` or raise ``TermNotFound``."""
        try:
            return self.terms[number]
        except KeyError:
            raise errors.TermNotFound(f"Период № {number} не задан.") from None

    def term_for(self, day: date) -> Term:
        """Return the term containing ``day`` or raise ``DateOutsideYear``."""
        for term in self.terms.values():
            if term.starts <= day <= term.ends:
                return term
        raise errors.DateOutsideYear(f"Дата {day:%d.%m.%Y} не входит ни в один учебный период.")

    def is_locked(self, day: date) -> bool:
        """True when entries dated ``day`` may not change (year or term closed)."""
        return self.closed or self.term_for(day).closed

    def check_open(self) -> None:
        """Raise ``YearClosed`` when the year is closed."""
        if self.closed:
            raise errors.YearClosed()

    # --- events --------------------------------------------------------------------------
    class TermDefined(Aggregate.Event):
        number: int
        title: str
        starts: date
        ends: date
        actor: UUID

    @event(TermDefined)
    def _term_defined(self, number: int, title: str, starts: date, ends: date, actor: UUID) -> None:
        self.terms[number] = Term(number, title, starts, ends)

    class TermClosed(Aggregate.Event):
        number: int
        actor: UUID

    @event(TermClosed)
    def _term_closed(self, number: int, actor: UUID) -> None:
        self.terms[number].closed = True

    class TermReopened(Aggregate.Event):
        number: int
        reason: str
        order_no: str
        actor: UUID

    @event(TermReopened)
    def _term_reopened(self, number: int, reason: str, order_no: str, actor: UUID) -> None:
        self.terms[number].closed = False

    class Closed(Aggregate.Event):
        """The year was closed; version 2 counts the marks still missing when forced,
        version 3 the pupils without a decision of the pedagogical council."""

        class_version = 3
        reason: str
        forced: bool
        missing: int
        undecided: int
        actor: UUID

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["missing"] = 0

        @staticmethod
        def upcast_v2_v3(state: dict[str, object]) -> None:
            state["undecided"] = 0

    @event(Closed)
    def _closed(self, reason: str, forced: bool, missing: int, undecided: int, actor: UUID) -> None:
        self.closed = True
        self.closed_on = clock.local_date(self.event_time)

    class Reopened(Aggregate.Event):
        reason: str
        order_no: str
        actor: UUID

    @event(Reopened)
    def _reopened(self, reason: str, order_no: str, actor: UUID) -> None:
        self.closed = False
        self.closed_on = None
