"""``Disposition``: a proposal to destroy (or transfer) record series whose retention
period has run out, its approval by a second authorised person or its rejection, refused
attempts to execute it, and its execution with the destruction certificate.

proposed → approved → executed | transferred, or proposed/approved → rejected. Every step
is an event with its actor; the certificate («акт об уничтожении») is kept in the
``Executed`` event, in the permanent ``retention`` series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import errors
from domain.base import Aggregate
from domain.holds import SeriesFacts

#: A disposition's states in the words of its refusals («Состояние предложения — «одобрено»…»).
STATE_NAMES = {
    "proposed": "предложено",
    "approved": "одобрено",
    "rejected": "отклонено",
    "executed": "исполнено (уничтожено)",
    "transferred": "исполнено (передано)",
}


@dataclass(frozen=True)
class DispositionItem:
    """One series in a disposition, with the facts its due date and holds were judged on."""

    series: str
    record_class: str
    action: str
    cut_off: date
    due_on: date
    year: str = ""
    group: str = ""
    subjects: tuple[str, ...] = field(default=())

    def facts(self) -> SeriesFacts:
        """What holds are matched against."""
        return SeriesFacts(
            self.series, self.record_class, self.year, self.group, frozenset(self.subjects)
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (plain values)."""
        return {
            "series": self.series,
            "record_class": self.record_class,
            "action": self.action,
            "cut_off": self.cut_off.isoformat(),
            "due_on": self.due_on.isoformat(),
            "year": self.year,
            "group": self.group,
            "subjects": list(self.subjects),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DispositionItem:
        """Back from the stored form."""
        return cls(
            series=data["series"],
            record_class=data["record_class"],
            action=data["action"],
            cut_off=date.fromisoformat(data["cut_off"]),
            due_on=date.fromisoformat(data["due_on"]),
            year=data.get("year", ""),
            group=data.get("group", ""),
            subjects=tuple(data.get("subjects", ())),
        )


class Disposition(Aggregate):
    """A batch of series proposed for one disposal action."""

    closes_with_year = False

    class Proposed(Aggregate.Created):
        action: str
        items: list[dict[str, Any]]
        as_of: date
        series: str
        actor: UUID

    @event(Proposed)
    def __init__(
        self,
        id: UUID,
        action: str,
        items: list[dict[str, Any]],
        as_of: date,
        series: str,
        actor: UUID,
    ) -> None:
        self.action, self.as_of, self.series = action, as_of, series
        self.items = [DispositionItem.from_dict(i) for i in items]
        self.state = "proposed"
        self.proposed_by, self.proposed_at = actor, self.created_on
        self.approved_by: UUID | None = None
        self.approved_at: datetime | None = None
        self.certificate: dict[str, Any] = {}
        self.refusals = 0

    # --- commands ------------------------------------------------------------------------
    def approve(self, actor: UUID) -> None:
        """Approve (a second person: never the proposer)."""
        self._check_state("proposed")
        if actor == self.proposed_by:
            raise errors.DispositionSelfApproval()
        self._approved(actor=actor)

    def reject(self, reason: str, actor: UUID) -> None:
        """Reject (before execution), with a reason; the series are free again."""
        if self.state not in ("proposed", "approved"):
            raise errors.DispositionDecided()
        self._rejected(reason=reason, actor=actor)

    def refuse(self, problems: list[str], held: list[str], actor: UUID) -> None:
        """Record an attempt to execute that was refused, and why."""
        self._execution_refused(problems=problems, held=held, actor=actor)

    def execute(self, certificate: dict[str, Any], actor: UUID) -> None:
        """Record the execution and its certificate (the keys are destroyed next)."""
        self._check_state("approved")
        name = "_transferred" if self.action == "transfer" else "_executed"
        getattr(self, name)(
            certificate_id=str(certificate["certificate_id"]), certificate=certificate, actor=actor
        )

    def _check_state(self, expected: str) -> None:
        if self.state != expected:
            now, wanted = (STATE_NAMES.get(s, s) for s in (self.state, expected))
            raise errors.DispositionDecided(
                f"Состояние предложения — «{now}», а для этого действия нужно «{wanted}».",
                state=self.state,
            )

    # --- events --------------------------------------------------------------------------
    class Approved(Aggregate.Event):
        actor: UUID

    @event(Approved)
    def _approved(self, actor: UUID) -> None:
        self.state, self.approved_by, self.approved_at = "approved", actor, self.event_time

    class Rejected(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Rejected)
    def _rejected(self, reason: str, actor: UUID) -> None:
        self.state = "rejected"

    class ExecutionRefused(Aggregate.Event):
        problems: list[str]
        held: list[str]
        actor: UUID

    @event(ExecutionRefused)
    def _execution_refused(self, problems: list[str], held: list[str], actor: UUID) -> None:
        self.refusals += 1

    class Executed(Aggregate.Event):
        certificate_id: str
        certificate: dict[str, Any]
        actor: UUID

    @event(Executed)
    def _executed(self, certificate_id: str, certificate: dict[str, Any], actor: UUID) -> None:
        self.state, self.certificate = "executed", certificate

    class Transferred(Aggregate.Event):
        certificate_id: str
        certificate: dict[str, Any]
        actor: UUID

    @event(Transferred)
    def _transferred(self, certificate_id: str, certificate: dict[str, Any], actor: UUID) -> None:
        self.state, self.certificate = "transferred", certificate
