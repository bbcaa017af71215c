"""The access log: which staff member saw which pupils' personal data, on which page and
when (152-FZ art. 19; roadmap item 12). Each entry is its own small record in the series
``access-log/<school year>``, so writing one never contends with another and the retention
class ``access-log`` disposes of a year at once."""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.base import Aggregate
from domain.service import JournalBase, Receipt

#: Pages write at most this many pupils per entry (a class list); more is an input error.
MAX_PUPILS = 2000


class AccessEntry(Aggregate):
    """One page view of pupils' personal data by a staff member."""

    @event("Recorded")
    def __init__(self, id: UUID, page: str, students: list[UUID], series: str, actor: UUID) -> None:
        self.page = page
        self.students = list(students)
        self.series = series


class AccessLogCommands(JournalBase):
    """Appending to the access log."""

    def record_access(self, actor: UUID, page: str, students: list[UUID]) -> Receipt:
        """Record that ``actor`` saw the personal data of ``students`` on ``page``."""
        if not page or len(page) > 300 or len(students) > MAX_PUPILS:
            raise errors.InvalidInput("Неверная запись журнала доступа.")
        series = ids.access_log_series(clock.today())
        entry = AccessEntry(id=uuid4(), page=page, students=students, series=series, actor=actor)
        return self.run(lambda: [entry], entry.id)
