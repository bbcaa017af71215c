"""The base aggregate and the ``Redacted`` placeholder event.

Every aggregate is created with the record ``series`` it belongs to (fixed for its life; the
mapper encrypts all of its events with that series' data key) and every event carries the
``actor`` — the account id of whoever caused it. Timestamps come from ``domain.clock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate as _LibraryAggregate
from eventsourcing.domain import DomainEvent

from domain import clock, errors

#: The account id used for events caused by the system itself (demo seeding, migrations).
SYSTEM_ACTOR = UUID(int=0)


class Aggregate(_LibraryAggregate):
    """Base of every aggregate: server-clock timestamps and a fixed record series.

    ``closes_with_year``: when the aggregate's series belongs to a school year, closing
    that year refuses its new events (the cut-off). Records made after the close on
    purpose (the year's signed printouts) and the year itself set it to False."""

    series: str
    event_time: datetime
    closes_with_year: ClassVar[bool] = True

    class Event(_LibraryAggregate.Event):
        """Base event: stamped by ``domain.clock``."""

        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

        def mutate(self, aggregate: Any) -> Any:
            # Event bodies may need their own event's time (``modified_on`` is only set
            # after the body runs), so expose it as ``event_time`` while applying.
            if aggregate is not None:
                aggregate.event_time = self.timestamp
            return super().mutate(aggregate)

    class Created(Event, _LibraryAggregate.Created):
        """Base creation event; every one carries ``series`` and ``actor``."""


@dataclass(frozen=True)
class Redacted(DomainEvent):
    """Stands in for an event whose data key was destroyed (crypto-shredding).

    Keeps what is stored in plain: the original topic, ids and version — so projections,
    replays and the ledger keep working — plus the destruction certificate's id.
    """

    original_topic: str
    key_id: UUID
    certificate_id: str
    #: The record series whose key was destroyed (never stored: a Redacted is made on read).
    series: str = ""

    def mutate(self, aggregate: Any) -> Any:
        """Aggregates cannot be rebuilt from destroyed data."""
        raise errors.RecordDestroyed(originator_id=str(self.originator_id))


def require_reason(reason: str, minimum: int) -> str:
    """Return the stripped reason or raise ``ReasonRequired``."""
    text = (reason or "").strip()
    if len(text) < minimum:
        raise errors.ReasonRequired(
            f"Укажите причину (не короче {minimum} символов).", minimum=minimum
        )
    return text
