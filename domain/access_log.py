"""The access log: which staff member saw which pupils' personal data, on which page and
when (152-FZ art. 19; roadmap item 12). Each entry is its own small record in the series
``access-log/<school year>``, so writing one never contends with another and the retention
class ``access-log`` disposes of a year at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.base import Aggregate
from domain.group_commit import GroupCommit
from domain.service import CommandGroup, Receipt

#: Pages write at most this many pupils per entry (a class list); more is an input error.
MAX_PUPILS = 2000


class AccessEntry(Aggregate):
    """One page view of pupils' personal data by a staff member."""

    class Recorded(Aggregate.Created):
        page: str
        students: list[UUID]
        series: str
        actor: UUID

    @event(Recorded)
    def __init__(self, id: UUID, page: str, students: list[UUID], series: str, actor: UUID) -> None:
        self.page = page
        self.students = list(students)
        self.series = series


@dataclass(frozen=True)
class _Seen:
    """An access-log entry waiting for its group commit."""

    id: UUID
    actor: UUID
    page: str
    students: tuple[UUID, ...]
    at: datetime


_batchers_lock = threading.Lock()


class AccessLog(CommandGroup):
    """Appending to the access log.

    Every staff page showing pupils appends an entry before it is shown, so under load many
    requests append at once: their entries are saved together (``GroupCommit``), each
    request still returning only once its own entry is committed."""

    def record_access(self, actor: UUID, page: str, students: list[UUID]) -> Receipt:
        """Record that ``actor`` saw the personal data of ``students`` on ``page``."""
        if not page or len(page) > 300 or len(students) > MAX_PUPILS:
            raise errors.InvalidInput("Неверная запись журнала доступа.")
        seen = _Seen(uuid4(), actor, page, tuple(students), clock.now())
        return self._access_batcher().submit(seen)

    def _access_batcher(self) -> GroupCommit[_Seen, Receipt]:
        batcher: GroupCommit[_Seen, Receipt] | None = getattr(self, "_access_log_batcher", None)
        if batcher is None:
            with _batchers_lock:
                batcher = getattr(self, "_access_log_batcher", None)
                if batcher is None:
                    batcher = GroupCommit(self._save_access)
                    self._access_log_batcher = batcher
        return batcher

    def _save_access(self, batch: Sequence[_Seen]) -> list[Receipt]:
        """Save a batch of entries in one transaction (fresh aggregates on each attempt:
        a save that failed has already taken their pending events)."""

        def entries() -> list[AccessEntry]:
            made = []
            for seen in batch:
                with clock.travel(seen.at):  # the moment of the page view, not of the save
                    made.append(
                        AccessEntry(
                            id=seen.id,
                            page=seen.page,
                            students=list(seen.students),
                            series=ids.access_log_series(clock.today()),
                            actor=seen.actor,
                        )
                    )
            return made

        receipt = self.app.run(entries, batch[0].id)
        return [Receipt(seen.id, receipt.position) for seen in batch]
