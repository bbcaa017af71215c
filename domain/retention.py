"""Retention commands: the school year's cut-off and its re-opening, files of a series,
holds, and the two-person disposition (propose → approve or reject → execute).

The rules that need only the records live here; what needs the views (which series are
due, whom they mention, how many events they hold) is worked out by ``retention/`` and
passed in — and re-checked here where the records can tell (holds, the year's cut-off).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain import clock, errors, ids
from domain.base import SYSTEM_ACTOR, Aggregate, require_reason
from domain.disposition import ActRegister, Disposition, DispositionItem
from domain.holds import HoldRegister, normalise_scope
from domain.records import RecordSeries
from domain.rules import Actor
from domain.schedule import ClosedSeries, DueDateChange, RetentionSchedule, Rules, changes, legacy
from domain.school_year import SchoolYear
from domain.service import CommandGroup, Receipt


@dataclass(frozen=True)
class DispositionInfo:
    """A disposition as it stands."""

    id: UUID
    action: str
    state: str
    items: tuple[DispositionItem, ...]
    as_of: date
    proposed_by: UUID
    proposed_at: Any
    approved_by: UUID | None
    approved_at: Any
    certificate: dict[str, Any]
    refusals: int
    protocol_no: str = ""
    protocol_date: str = ""
    #: (calendar year, act number, personal-data act number or 0) once numbered.
    numbers: tuple[int, int, int] | None = None
    #: Signed act files: name → {sha256, size, valid_until}.
    act_files: dict[str, dict[str, Any]] | None = None


class Retention(CommandGroup):
    """Commands of the deputy head and head (the year), archivists (register, proposals,
    execution), approvers and whoever may place holds."""

    # --- the school year's cut-off -------------------------------------------------------
    def close_school_year(
        self,
        year_id: UUID,
        actor: UUID,
        *,
        missing: Sequence[str] = (),
        undecided: Sequence[str] = (),
        force: bool = False,
        reason: str = "",
    ) -> Receipt:
        """Close the school year (deputy head or head): the cut-off of its record series.
        Refused while ``missing`` lists marks not given (``YearIncomplete``) or
        ``undecided`` lists pupils without a decision of the pedagogical council
        (``DecisionsMissing``), unless ``force`` with a reason; the close records both
        counts."""
        self.app.require_role(actor, self.app.policies.journal.period_roles)
        if missing and not force:
            raise errors.YearIncomplete(
                f"Учебный год нельзя закрыть: не выставлено отметок — {len(missing)}. "
                "Выставьте их или закройте год принудительно с указанием причины.",
                missing=list(missing),
            )
        if undecided and not force:
            raise errors.DecisionsMissing(
                "Учебный год нельзя закрыть: нет решения педагогического совета "
                f"для обучающихся — {len(undecided)}. Внесите решения или закройте год "
                "принудительно с указанием причины.",
                undecided=list(undecided),
            )
        text = require_reason(reason, self.app.policies.journal.min_reason_length) if force else ""

        def command() -> Sequence[Aggregate]:
            year = self.app.load(SchoolYear, year_id)
            year.close(actor, text, force, len(missing), len(undecided))
            if self.app.exists(ids.retention_schedule_id()):
                return [year]
            # The first cut-off: record the rules its due dates are computed under.
            schedule = RetentionSchedule(
                rules=self.app.policies.retention.schedule(),
                baseline="",
                reason="первое закрытие учебного года",
                rescheduled=0,
                series=ids.RETENTION_SERIES,
                actor=actor,
            )
            return [year, schedule]

        return self.app.run(command, year_id)

    def reopen_school_year(self, year_id: UUID, reason: str, order_no: str, actor: UUID) -> Receipt:
        """Re-open a closed school year (deputy head or head) under a reason and the head's
        order number: its series accept events again until it is closed again."""
        self.app.require_role(actor, self.app.policies.journal.period_roles)
        regulation = self.app.policies.journal
        return self.app.change(
            SchoolYear,
            year_id,
            lambda y: y.reopen(
                reason,
                order_no,
                actor,
                min_reason=regulation.min_reason_length,
                order_required=regulation.reopen_requires_order,
            ),
        )

    # --- the retention schedule ----------------------------------------------------------
    def recorded_schedule(self) -> Rules | None:
        """The rules recorded as in force (None: none recorded yet)."""
        if not self.app.exists(ids.retention_schedule_id()):
            return None
        found = self.app.load(RetentionSchedule, ids.retention_schedule_id(), readonly=True)
        return found.rules

    def schedule_in_force(self) -> bool:
        """True when the rules of ``policies/retention.toml`` are the recorded ones (or
        none are recorded and no year was closed yet: the first close records them)."""
        recorded = self.recorded_schedule()
        return recorded is None or recorded == self.app.policies.retention.schedule()

    def due_date_changes(self, closed: Sequence[ClosedSeries]) -> list[DueDateChange]:
        """The due dates of ``closed`` that adopting the file's rules would move."""
        recorded = self.recorded_schedule()
        policy = self.app.policies.retention
        before = recorded if recorded is not None else legacy(policy.schedule())
        return changes(before, policy, list(closed))

    def reschedule(
        self,
        closed: Sequence[ClosedSeries],
        reason: str,
        actor: UUID,
        *,
        allow_earlier: bool = False,
    ) -> list[DueDateChange]:
        """Adopt the rules of ``policies/retention.toml`` as the schedule in force: every
        series of ``closed`` (cut off, not disposed of — the engine lists them from the
        register) whose due date they move gets ``RecordSeries.Rescheduled``, in the same
        transaction as the adoption. Refused (``ScheduleShortens``) when a due date would
        come sooner, unless ``allow_earlier`` (a person's decision, with the reason).
        Returns the changes recorded ([] when the rules were in force already)."""
        retention = self.app.policies.retention
        roles = retention.proposer_roles.union(
            *(c.approver_roles for c in retention.classes.values())
        )
        if actor != SYSTEM_ACTOR:  # at start-up the system records what the file says
            self.app.require_role(actor, roles)
        rules = retention.schedule()
        recorded = self.recorded_schedule()
        if recorded == rules:
            return []
        text = reason.strip() or "изменение policies/retention.toml"
        found = [c for c in self.due_date_changes(closed) if not self._disposed(c.series)]
        earlier = [c.series for c in found if c.earlier]
        if earlier and not allow_earlier:
            raise errors.ScheduleShortens(
                f"{errors.ScheduleShortens.message} Серии: {', '.join(earlier)}.", series=earlier
            )
        if allow_earlier and actor != SYSTEM_ACTOR:
            text = require_reason(reason, self.app.policies.journal.min_reason_length)

        def command() -> Sequence[Aggregate]:
            if not self.app.exists(ids.retention_schedule_id()):
                schedule = RetentionSchedule(
                    rules=rules,
                    baseline="до записи графика: сроки от даты отсечки",
                    reason=text,
                    rescheduled=len(found),
                    series=ids.RETENTION_SERIES,
                    actor=actor,
                )
            else:
                schedule = self.app.load(RetentionSchedule, ids.retention_schedule_id())
                schedule.adopt(rules, text, len(found), actor)
            entries = []
            for change in found:
                entry = self._entry(change.series)
                entry.reschedule(change.cut_off, change.before, change.after, text, actor)
                entries.append(entry)
            return [schedule, *entries]

        self.app.run(command, ids.retention_schedule_id())
        return found

    def _disposed(self, series: str) -> bool:
        entry_id = ids.record_series_id(series)
        if not self.app.exists(entry_id):
            return True
        return bool(self.app.load(RecordSeries, entry_id, readonly=True).disposed)

    # --- the register --------------------------------------------------------------------
    def register_series_file(
        self, series: str, path: str, sha256: str, size: int, actor: UUID
    ) -> Receipt:
        """Record a file kept outside the event store (a signed printout) as part of a
        registered series: it is deleted when the series is destroyed."""
        retention = self.app.policies.retention
        self.app.require_role(
            actor,
            retention.hold_roles
            | retention.executor_roles
            | self.app.policies.journal.period_roles,
        )
        entry_id = ids.record_series_id(series)
        if not self.app.exists(entry_id):
            raise errors.RecordNotFound(f"Серия «{series}» не зарегистрирована.", series=series)
        return self.app.change(
            RecordSeries, entry_id, lambda s: s.register_file(path, sha256, size, actor)
        )

    # --- holds ---------------------------------------------------------------------------
    def place_hold(self, kind: str, value: str, reason: str, actor: UUID) -> Receipt:
        """Place a hold (legal or audit) on a scope: nothing in it is proposed or disposed
        of until the hold is released. ``created`` holds the new hold's id."""
        self.app.require_role(actor, self.app.policies.retention.hold_roles)
        kind, value = normalise_scope(kind, value)
        text = require_reason(reason, self.app.policies.journal.min_reason_length)
        hold_id = uuid4()

        def command() -> Sequence[Aggregate]:
            register = self._hold_register(actor)
            register.place(hold_id, kind, value, text, actor)
            return [register]

        receipt = self.app.run(command, ids.hold_register_id())
        return Receipt(hold_id, receipt.position, (hold_id,))

    def release_hold(self, hold_id: UUID, reason: str, actor: UUID) -> Receipt:
        """Release a hold, with a reason."""
        self.app.require_role(actor, self.app.policies.retention.hold_roles)
        text = require_reason(reason, self.app.policies.journal.min_reason_length)
        if not self.app.exists(ids.hold_register_id()):
            raise errors.HoldNotFound(hold_id=str(hold_id))
        return self.app.change(
            HoldRegister, ids.hold_register_id(), lambda r: r.release(hold_id, text, actor)
        )

    def _hold_register(self, actor: UUID) -> HoldRegister:
        if self.app.exists(ids.hold_register_id()):
            return self.app.load(HoldRegister, ids.hold_register_id())
        return HoldRegister(series=ids.RETENTION_SERIES, actor=actor)

    def _held(self, items: Sequence[DispositionItem]) -> list[str]:
        if not self.app.exists(ids.hold_register_id()):
            return []
        register = self.app.load(HoldRegister, ids.hold_register_id(), readonly=True)
        return register.held(item.facts() for item in items)

    # --- disposition ---------------------------------------------------------------------
    def propose_disposition(
        self, items: Sequence[DispositionItem], as_of: date, actor: UUID
    ) -> Receipt:
        """Propose series whose retention period has run out for their disposal action
        (archivist). Refused for a held series, a series not due on ``as_of``, or one
        already in another proposal. The new disposition's id is the receipt's ``id``."""
        self.app.require_role(actor, self.app.policies.retention.proposer_roles)
        if not self.schedule_in_force():
            raise errors.ScheduleNotAdopted()
        self._check_items(items, as_of)
        held = self._held(items)
        if held:
            raise errors.SeriesOnHold(
                f"Документы под приостановкой не предлагаются к уничтожению: {', '.join(held)}.",
                held=held,
            )

        disposition_id = uuid4()

        def command() -> Sequence[Aggregate]:
            disposition = Disposition(
                id=disposition_id,
                action=items[0].action,
                items=[i.to_dict() for i in items],
                as_of=as_of,
                series=ids.RETENTION_SERIES,
                actor=actor,
            )
            entries = [self._entry(i.series) for i in items]
            for entry in entries:
                entry.claim(disposition.id, actor)
            return [disposition, *entries]

        return self.app.run(command, disposition_id)

    def _check_items(self, items: Sequence[DispositionItem], as_of: date) -> None:
        if not items:
            raise errors.NothingToPropose()
        if as_of > clock.today():
            raise errors.InvalidInput("Предложение составляется на сегодня или на прошлую дату.")
        actions = {i.action for i in items}
        if len(actions) != 1 or actions & {"review"}:
            raise errors.InvalidInput(
                "В одно предложение входит одно действие: destroy или transfer."
            )
        seen: set[str] = set()
        for item in items:
            record_class = self.app.policies.retention.record_class(item.record_class)
            due = record_class.due_on(item.cut_off)
            if (
                item.series in seen
                or record_class.action != item.action
                or due is None
                or due != item.due_on
                or due > as_of
            ):
                raise errors.SeriesNotDue(
                    f"Серия «{item.series}» не подлежит уничтожению на {as_of:%d.%m.%Y}.",
                    series=item.series,
                )
            seen.add(item.series)
            problem = self._check_cut_off(item)
            if problem:
                raise errors.SeriesNotDue(problem, series=item.series)

    def _check_cut_off(self, item: DispositionItem) -> str:
        """What is wrong with an item now ("" when nothing): disposed of already, or its
        year re-opened (or closed again: a later cut-off)."""
        entry = self._entry(item.series, readonly=True)
        if entry.disposed:
            return f"серия «{item.series}» уже уничтожена или передана"
        if entry.year_id is None:
            return ""
        year = self.app.load(SchoolYear, entry.year_id, readonly=True)
        if not year.closed or year.closed_on != item.cut_off:
            return (
                f"учебный год серии «{item.series}» открыт или закрыт заново: "
                "дата отсечки изменилась, составьте предложение заново"
            )
        return ""

    def _entry(self, series: str, *, readonly: bool = False) -> RecordSeries:
        return self.app.load(RecordSeries, ids.record_series_id(series), readonly=readonly)

    def approve_disposition(
        self,
        disposition_id: UUID,
        actor: UUID,
        protocol_no: str = "",
        protocol_date: date | None = None,
    ) -> Receipt:
        """Approve a proposal: a second person, holding an approver role of every record
        class in it (never the archivist who proposed it), on the expert commission's
        protocol (number and date; required to destroy)."""
        disposition = self._disposition(disposition_id)
        if actor == disposition.proposed_by:
            raise errors.DispositionSelfApproval()
        self._check_approver(self.app.actor(actor), disposition)
        return self.app.change(
            Disposition, disposition_id, lambda d: d.approve(actor, protocol_no, protocol_date)
        )

    def blocked(self, disposition_id: UUID) -> list[str]:
        """What would stop the execution according to the records (holds, re-opened years):
        asked before the act is numbered, so a refused run takes no number."""
        disposition = self._disposition(disposition_id)
        held = [f"под запретом: {s}" for s in self._held(disposition.items)]
        return held + [p for p in map(self._check_cut_off, disposition.items) if p]

    def number_acts(
        self, disposition_id: UUID, personal_data: bool, actor: UUID
    ) -> tuple[int, int, int]:
        """The act numbers of an approved disposition about to be carried out: (calendar
        year, number, personal-data act number or 0), the next in the year's sequence,
        given once — asked again, the same numbers."""
        self.app.require_role(actor, self.app.policies.retention.executor_roles)
        found = self._disposition(disposition_id)
        if found.numbers is not None:
            return found.numbers
        year = clock.today().year
        register_id = ids.act_register_id(year)

        def command() -> Sequence[Aggregate]:
            disposition = self._disposition(disposition_id)
            if disposition.numbers is not None:
                return []
            register = (
                self.app.load(ActRegister, register_id)
                if self.app.exists(register_id)
                else ActRegister(year=year, series=ids.RETENTION_SERIES, actor=actor)
            )
            kind = "transfer" if disposition.action == "transfer" else "destruction"
            number = register.issue(disposition_id, kind, actor)
            pd_number = (
                register.issue(disposition_id, "personal-data", actor) if personal_data else 0
            )
            disposition.number(year, number, pd_number, actor)
            return [register, disposition]

        self.app.run(command, disposition_id)
        numbers = self._disposition(disposition_id).numbers
        assert numbers is not None
        return numbers

    def reject_disposition(self, disposition_id: UUID, reason: str, actor: UUID) -> Receipt:
        """Reject a proposal (an approver, or the proposer withdrawing it) with a reason;
        its series are free to be proposed again."""
        disposition = self._disposition(disposition_id)
        if actor != disposition.proposed_by:
            self._check_approver(self.app.actor(actor), disposition)
        text = require_reason(reason, self.app.policies.journal.min_reason_length)

        def command() -> Sequence[Aggregate]:
            found = self._disposition(disposition_id)
            found.reject(text, actor)
            entries = [self._entry(i.series) for i in found.items]
            for entry in entries:
                entry.release(disposition_id, actor)
            return [found, *entries]

        return self.app.run(command, disposition_id)

    def _check_approver(self, actor: Actor, disposition: Disposition) -> None:
        classes = {i.record_class for i in disposition.items}
        lacking = sorted(
            c
            for c in classes
            if not actor.has_any(self.app.policies.retention.record_class(c).approver_roles)
        )
        if lacking:
            titles = [f"«{self.app.policies.retention.record_class(c).title}»" for c in lacking]
            raise errors.RoleRequired(
                f"Нет права утверждать уничтожение документов классов: {', '.join(titles)}.",
                classes=lacking,
            )

    def execute_disposition(
        self,
        disposition_id: UUID,
        certificate: dict[str, Any],
        actor: UUID,
        problems: Sequence[str] = (),
    ) -> Receipt:
        """Record the execution of an approved disposition with its certificate (the keys
        are destroyed by the caller right after). Refused — and the attempt recorded — when
        a series is under a hold, its year was re-opened, or ``problems`` says so."""
        self.app.require_role(actor, self.app.policies.retention.executor_roles)
        disposition = self._disposition(disposition_id)
        if disposition.state != "approved":
            raise errors.DispositionDecided(state=disposition.state)
        held = self._held(disposition.items)
        found = [p for p in (*problems, *map(self._check_cut_off, disposition.items)) if p]
        if held or found:
            self.app.change(Disposition, disposition_id, lambda d: d.refuse(found, held, actor))
            error = errors.SeriesOnHold if held else errors.SeriesNotDue
            raise error(
                f"{error.message} " + "; ".join([*(f"под запретом: {s}" for s in held), *found]),
                held=held,
                problems=found,
            )

        def command() -> Sequence[Aggregate]:
            current = self._disposition(disposition_id)
            current.execute(certificate, actor)
            entries = [self._entry(i.series) for i in current.items]
            for entry in entries:
                entry.dispose(
                    disposition_id, current.action, str(certificate["certificate_id"]), actor
                )
            return [current, *entries]

        return self.app.run(command, disposition_id)

    def file_act(
        self,
        disposition_id: UUID,
        name: str,
        sha256: str,
        size: int,
        valid_until: str,
        actor: UUID,
    ) -> Receipt:
        """Record a signed act written for an executed disposition (``archive refresh``
        keeps it verifiable and checks it against this hash)."""
        return self.app.change(
            Disposition,
            disposition_id,
            lambda d: d.file_act(name, sha256, size, valid_until, actor),
            errors.DispositionNotFound,
        )

    def refresh_act(
        self,
        disposition_id: UUID,
        name: str,
        sha256: str,
        size: int,
        valid_until: str,
        timestamps: int,
        actor: UUID,
    ) -> Receipt:
        """Record an act file renewed by ``archive refresh`` (whoever may capture volumes)."""
        self.app.require_permission(actor, "archive.capture")
        return self.app.change(
            Disposition,
            disposition_id,
            lambda d: d.refresh_act(name, sha256, size, valid_until, timestamps, actor),
            errors.DispositionNotFound,
        )

    # --- queries -------------------------------------------------------------------------
    def _disposition(self, disposition_id: UUID) -> Disposition:
        return self.app.load(Disposition, disposition_id, errors.DispositionNotFound)

    def disposition(self, disposition_id: UUID) -> DispositionInfo:
        """A disposition as it stands."""
        d = self._disposition(disposition_id)
        return DispositionInfo(
            d.id,
            d.action,
            d.state,
            tuple(d.items),
            d.as_of,
            d.proposed_by,
            d.proposed_at,
            d.approved_by,
            d.approved_at,
            dict(d.certificate),
            d.refusals,
            d.protocol_no,
            d.protocol_date,
            d.numbers,
            {k: dict(v) for k, v in d.act_files.items()},
        )
