"""``RetentionSchedule``: the retention schedule in force, as recorded — so that a change
of ``policies/retention.toml`` never moves a due date silently.

Due dates are not stored: they follow from a series' cut-off and its class's rule (period,
where it is counted from). The rules in force are therefore recorded, first when a school
year is closed (the moment its series get due dates), then whenever the file's rules differ
from the recorded ones: ``Adopted`` keeps the new rules, who adopted them and why, and every
closed series whose due date moves gets ``RecordSeries.Rescheduled`` (old and new date) in
the same transaction. Until that is recorded no disposition is proposed
(``ScheduleNotAdopted``).

A deployment whose years were closed before the schedule was recorded computed its dates
from the cut-off itself (the old shipped rule, ``count_from = "cut_off"``): that is the
baseline its first adoption compares with (``LEGACY``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import ids
from domain.base import Aggregate
from domain.policies import RecordClass, RetentionPolicy

#: Where periods were counted from before the schedule was recorded.
LEGACY_COUNT_FROM = "cut_off"
Rules = dict[str, dict[str, Any]]


def legacy(rules: Rules) -> Rules:
    """``rules`` as the versions before the recorded schedule applied them."""
    return {name: {**rule, "count_from": LEGACY_COUNT_FROM} for name, rule in rules.items()}


@dataclass(frozen=True)
class ClosedSeries:
    """A series with a cut-off and no disposal yet: its due date depends on the rules."""

    series: str
    record_class: str
    cut_off: date


@dataclass(frozen=True)
class DueDateChange:
    """A series whose due date the new rules move (``before``/``after`` None: never due)."""

    series: str
    record_class: str
    cut_off: date
    before: date | None
    after: date | None

    @property
    def earlier(self) -> bool:
        """The new rules would let the series go sooner than the old ones."""
        if self.after is None:
            return False
        return self.before is None or self.after < self.before


def due_on(rules: Mapping[str, Mapping[str, Any]], record_class: str, cut_off: date) -> date | None:
    """The due date ``rules`` give a series of ``record_class`` cut off on ``cut_off``
    (None: never due, or the class unknown to them)."""
    rule = rules.get(record_class)
    if rule is None:
        return None
    return RecordClass.from_rule(record_class, dict(rule)).due_on(cut_off)


def changes(
    before: Rules, policy: RetentionPolicy, closed: list[ClosedSeries]
) -> list[DueDateChange]:
    """The series of ``closed`` whose due date differs between ``before`` and ``policy``."""
    after = policy.schedule()
    found = []
    for s in closed:
        old, new = (
            due_on(before, s.record_class, s.cut_off),
            due_on(after, s.record_class, s.cut_off),
        )
        if old != new:
            found.append(DueDateChange(s.series, s.record_class, s.cut_off, old, new))
    return found


class RetentionSchedule(Aggregate):
    """The retention schedule in force (one per school, in the ``retention`` series)."""

    closes_with_year = False

    @staticmethod
    def create_id(**_: object) -> UUID:
        return ids.retention_schedule_id()

    class Recorded(Aggregate.Created):
        """The first schedule recorded (at the first close of a year, or on upgrade)."""

        rules: dict[str, Any]
        baseline: str
        reason: str
        rescheduled: int
        series: str
        actor: UUID

    @event(Recorded)
    def __init__(
        self,
        rules: dict[str, Any],
        baseline: str,
        reason: str,
        rescheduled: int,
        series: str,
        actor: UUID,
    ) -> None:
        self.rules: Rules = {k: dict(v) for k, v in rules.items()}
        self.series = series
        self.adoptions = 1

    def adopt(self, rules: Rules, reason: str, rescheduled: int, actor: UUID) -> None:
        """Record new rules (the caller records the moved due dates with them)."""
        self._adopted(
            rules=rules, previous=self.rules, reason=reason, rescheduled=rescheduled, actor=actor
        )

    class Adopted(Aggregate.Event):
        rules: dict[str, Any]
        previous: dict[str, Any]
        reason: str
        rescheduled: int
        actor: UUID

    @event(Adopted)
    def _adopted(
        self,
        rules: dict[str, Any],
        previous: dict[str, Any],
        reason: str,
        rescheduled: int,
        actor: UUID,
    ) -> None:
        self.rules = {k: dict(v) for k, v in rules.items()}
        self.adoptions += 1
