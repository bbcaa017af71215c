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

from domain import clock, errors, ids
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
        #: The expert commission's protocol the approval rests on (number, ISO date).
        self.protocol_no, self.protocol_date = "", ""
        #: The act numbers given to it («Акт № 3»): (calendar year, number, pd number).
        self.numbers: tuple[int, int, int] | None = None
        #: Its signed act files (name → sha256, size, valid_until), kept verifiable.
        self.act_files: dict[str, dict[str, Any]] = {}
        self.certificate: dict[str, Any] = {}
        self.refusals = 0

    # --- commands ------------------------------------------------------------------------
    def approve(
        self, actor: UUID, protocol_no: str = "", protocol_date: date | None = None
    ) -> None:
        """Approve (a second person: never the proposer) on the expert commission's
        protocol — required to destroy (``CommissionProtocolRequired``), recorded for a
        transfer when given; its date may not be later than today."""
        self._check_state("proposed")
        if actor == self.proposed_by:
            raise errors.DispositionSelfApproval()
        number = " ".join(protocol_no.split())
        if self.action == "destroy" and (not number or protocol_date is None):
            raise errors.CommissionProtocolRequired()
        if protocol_date is not None and protocol_date > clock.today():
            raise errors.CommissionProtocolRequired(
                "Дата протокола экспертной комиссии не может быть позже сегодняшнего дня."
            )
        if len(number) > 40:
            raise errors.CommissionProtocolRequired("Номер протокола — не длиннее 40 символов.")
        when = protocol_date.isoformat() if protocol_date else ""
        self._approved(actor=actor, protocol_no=number, protocol_date=when)

    def number(self, year: int, number: int, pd_number: int, actor: UUID) -> None:
        """Give the act (and the personal-data act, ``pd_number`` > 0) their numbers."""
        self._check_state("approved")
        self._numbered(year=year, number=number, pd_number=pd_number, actor=actor)

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

    def file_act(self, name: str, sha256: str, size: int, valid_until: str, actor: UUID) -> None:
        """Record a signed act file written for this disposition (its hash, size and until
        when its signatures verify on their own); nothing when it is recorded as it is."""
        if self.state not in ("executed", "transferred"):
            raise errors.DispositionDecided(state=self.state)
        known = self.act_files.get(name)
        if known and known["sha256"] == sha256:
            return
        self._act_filed(name=name, sha256=sha256, size=size, valid_until=valid_until, actor=actor)

    def refresh_act(
        self, name: str, sha256: str, size: int, valid_until: str, timestamps: int, actor: UUID
    ) -> None:
        """Record an act file renewed by ``archive refresh`` (new revocation data and
        document timestamp: a new hash and horizon)."""
        if name not in self.act_files:
            raise errors.RecordNotFound(f"Файл акта {name} не зарегистрирован.")
        self._act_refreshed(
            name=name,
            sha256=sha256,
            size=size,
            valid_until=valid_until,
            timestamps=timestamps,
            actor=actor,
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
        """Version 2 carries the expert commission's protocol; earlier approvals read as
        approved without one."""

        class_version = 2
        actor: UUID
        protocol_no: str
        protocol_date: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["protocol_no"], state["protocol_date"] = "", ""

    @event(Approved)
    def _approved(self, actor: UUID, protocol_no: str, protocol_date: str) -> None:
        self.state, self.approved_by, self.approved_at = "approved", actor, self.event_time
        self.protocol_no, self.protocol_date = protocol_no, protocol_date

    class Numbered(Aggregate.Event):
        year: int
        number: int
        pd_number: int
        actor: UUID

    @event(Numbered)
    def _numbered(self, year: int, number: int, pd_number: int, actor: UUID) -> None:
        self.numbers = (year, number, pd_number)

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

    class ActFiled(Aggregate.Event):
        name: str
        sha256: str
        size: int
        valid_until: str
        actor: UUID

    @event(ActFiled)
    def _act_filed(self, name: str, sha256: str, size: int, valid_until: str, actor: UUID) -> None:
        self.act_files[name] = {"sha256": sha256, "size": size, "valid_until": valid_until}

    class ActRefreshed(Aggregate.Event):
        name: str
        sha256: str
        size: int
        valid_until: str
        timestamps: int
        actor: UUID

    @event(ActRefreshed)
    def _act_refreshed(
        self, name: str, sha256: str, size: int, valid_until: str, timestamps: int, actor: UUID
    ) -> None:
        self.act_files[name] = {"sha256": sha256, "size": size, "valid_until": valid_until}

    class Transferred(Aggregate.Event):
        certificate_id: str
        certificate: dict[str, Any]
        actor: UUID

    @event(Transferred)
    def _transferred(self, certificate_id: str, certificate: dict[str, Any], actor: UUID) -> None:
        self.state, self.certificate = "transferred", certificate


class ActRegister(Aggregate):
    """Numbers the acts of one calendar year in sequence («Акт № 3 от …»): destruction,
    transfer and personal-data acts share the sequence. Kept in the permanent ``retention``
    series, so a number is never given twice, even after a restore."""

    closes_with_year = False

    @staticmethod
    def create_id(year: int, **_: object) -> UUID:
        return ids.act_register_id(year)

    class Opened(Aggregate.Created):
        year: int
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, year: int, series: str, actor: UUID) -> None:
        self.year, self.series, self.last = year, series, 0

    def issue(self, disposition_id: UUID, kind: str, actor: UUID) -> int:
        """The next number, recorded for ``disposition_id``'s act of ``kind``."""
        self._issued(number=self.last + 1, disposition_id=disposition_id, kind=kind, actor=actor)
        return self.last

    class Issued(Aggregate.Event):
        number: int
        disposition_id: UUID
        kind: str
        actor: UUID

    @event(Issued)
    def _issued(self, number: int, disposition_id: UUID, kind: str, actor: UUID) -> None:
        self.last = number
