"""Holds («приостановка уничтожения»): legal or audit holds that freeze disposition.

A hold has a scope — one series, a record class, a class or group of a year, a pupil, or a
whole school year — and a reason. While it is in force nothing in its scope is proposed
for disposition or disposed of. All holds live in one register aggregate: they are few,
and one place makes "is this series held?" a single, consistent read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate

#: Scope kinds and what their value is.
SCOPES: dict[str, str] = {
    "series": "серия (journal/2025-26/5А)",
    "record_class": "класс документов (summary-sheet)",
    "group": "класс или группа года (2025/26 5А)",
    "pupil": "обучающийся (id)",
    "year": "учебный год (2025/26)",
}


@dataclass(frozen=True)
class SeriesFacts:
    """What a hold's scope is matched against: the series, its record class, school year
    and class (group), and the people it mentions (for a person's own series: the person)."""

    series: str
    record_class: str
    year: str = ""
    group: str = ""
    subjects: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Hold:
    """One hold; ``released_at`` is set once it is lifted."""

    hold_id: UUID
    kind: str
    value: str
    reason: str
    placed_by: UUID
    placed_at: datetime
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        """In force (not released)."""
        return self.released_at is None

    def covers(self, facts: SeriesFacts) -> bool:
        """True when the series described by ``facts`` falls within this hold's scope."""
        if self.kind == "series":
            return facts.series == self.value
        if self.kind == "record_class":
            return facts.record_class == self.value
        if self.kind == "year":
            return facts.year == self.value
        if self.kind == "group":
            year, _, group = self.value.partition(" ")
            return (facts.year, facts.group) == (year, group)
        return self.value in facts.subjects  # pupil


def normalise_scope(kind: str, value: str) -> tuple[str, str]:
    """Check a scope; years are written 2025/26 (or 2025-26), groups «2025/26 5А»."""
    kind, value = kind.strip(), " ".join(value.split())
    if kind not in SCOPES:
        raise errors.InvalidInput(
            f"Неизвестная область приостановки «{kind}» (допустимо: {', '.join(SCOPES)}).",
            kind=kind,
        )
    if kind in ("year", "group"):
        value = value.replace("-", "/", 1) if value[4:5] == "-" else value
        year = value.split(" ", 1)[0]
        if len(year) != 7 or year[4] != "/" or (kind == "group" and " " not in value):
            raise errors.InvalidInput(f"Область приостановки: {SCOPES[kind]}.", kind=kind)
    if kind == "pupil":
        try:
            value = str(UUID(value))
        except ValueError:
            raise errors.InvalidInput("Укажите id обучающегося.") from None
    if not value:
        raise errors.InvalidInput(f"Область приостановки: {SCOPES[kind]}.", kind=kind)
    return kind, value


class HoldRegister(Aggregate):
    """Every hold of the school, placed and released with reasons."""

    closes_with_year = False

    @staticmethod
    def create_id(**_: object) -> UUID:
        return ids.hold_register_id()

    class Opened(Aggregate.Created):
        series: str
        actor: UUID

    @event(Opened)
    def __init__(self, series: str, actor: UUID) -> None:
        self.series = series
        self.holds: dict[UUID, Hold] = {}

    def place(self, hold_id: UUID, kind: str, value: str, reason: str, actor: UUID) -> None:
        """Place a hold on a scope (already checked by ``normalise_scope``)."""
        self._placed(hold_id=hold_id, kind=kind, value=value, reason=reason, actor=actor)

    def release(self, hold_id: UUID, reason: str, actor: UUID) -> None:
        """Lift a hold, with a reason."""
        hold = self.holds.get(hold_id)
        if hold is None:
            raise errors.HoldNotFound(hold_id=str(hold_id))
        if not hold.active:
            raise errors.HoldAlreadyReleased()
        self._released(hold_id=hold_id, reason=reason, actor=actor)

    def active(self) -> list[Hold]:
        """The holds in force."""
        return [h for h in self.holds.values() if h.active]

    def holding(self, facts: SeriesFacts) -> list[Hold]:
        """The holds in force that cover a series."""
        return [h for h in self.active() if h.covers(facts)]

    def held(self, items: Iterable[SeriesFacts]) -> list[str]:
        """The series among ``items`` that some hold in force covers."""
        return [f.series for f in items if self.holding(f)]

    class Placed(Aggregate.Event):
        hold_id: UUID
        kind: str
        value: str
        reason: str
        actor: UUID

    @event(Placed)
    def _placed(self, hold_id: UUID, kind: str, value: str, reason: str, actor: UUID) -> None:
        self.holds[hold_id] = Hold(hold_id, kind, value, reason, actor, self.event_time)

    class Released(Aggregate.Event):
        hold_id: UUID
        reason: str
        actor: UUID

    @event(Released)
    def _released(self, hold_id: UUID, reason: str, actor: UUID) -> None:
        self.holds[hold_id].released_at = self.event_time
