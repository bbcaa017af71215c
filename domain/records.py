"""``RecordSeries``: the register entry of one record series, and its life cycle.

A record series is the unit of retention: the journal of a class for a year, a summary
sheet, a person's identity, a year's access log. It is registered (with its record class)
in the same transaction as the first record created in it, so a series whose class has no
retention schedule can never come to exist. Its entry then records the files that belong
to it, which disposition claims it, and — for good — when and under which certificate it
was destroyed or transferred. These entries live in the permanent ``retention`` series:
destroying a series leaves its metadata («destroy but keep metadata»).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate

#: What a register entry may be in, besides "registered" (no disposition at work).
DISPOSED = ("destroyed", "transferred")


@dataclass(frozen=True)
class SeriesFile:
    """A file of a series kept outside the event store (a signed PDF/A printout): its path
    relative to the archive folder, SHA-256 and size."""

    path: str
    sha256: str
    size: int


class RecordSeries(Aggregate):
    """The register entry of a record series (``record_series``), kept in the ``retention``
    series (its own ``series``)."""

    closes_with_year = False

    @staticmethod
    def create_id(record_series: str, **_: object) -> UUID:
        return ids.record_series_id(record_series)

    class Registered(Aggregate.Created):
        record_series: str
        record_class: str
        year_id: UUID | None
        year: str
        group: str
        series: str
        actor: UUID

    @event(Registered)
    def __init__(
        self,
        record_series: str,
        record_class: str,
        year_id: UUID | None,
        year: str,
        group: str,
        series: str,
        actor: UUID,
    ) -> None:
        self.record_series, self.record_class = record_series, record_class
        self.year_id, self.year, self.group = year_id, year, group
        self.series = series
        self.files: dict[str, SeriesFile] = {}
        self.disposition_id: UUID | None = None
        self.disposed: str = ""  # "", "destroyed" or "transferred"
        self.certificate_id = ""

    # --- commands --------------------------------------------------------------------------
    def register_file(self, path: str, sha256: str, size: int, actor: UUID) -> None:
        """Record a file that belongs to the series (it is deleted when the series is)."""
        self.check_not_disposed()
        clean = path.strip().lstrip("/")
        if not clean or ".." in clean.split("/"):
            raise errors.InvalidInput("Путь файла указывается относительно папки архива.")
        if len(sha256) != 64:
            raise errors.InvalidInput("SHA-256 файла: 64 шестнадцатеричные цифры.")
        self._file_registered(path=clean, sha256=sha256.lower(), size=size, actor=actor)

    def claim(self, disposition_id: UUID, actor: UUID) -> None:
        """Let a disposition claim the series (one at a time)."""
        self.check_not_disposed()
        if self.disposition_id is not None and self.disposition_id != disposition_id:
            raise errors.SeriesNotDue(
                f"Серия «{self.record_series}» уже включена в другое предложение.",
                series=self.record_series,
            )
        self._claimed(disposition_id=disposition_id, actor=actor)

    def release(self, disposition_id: UUID, actor: UUID) -> None:
        """The disposition was rejected: the series is free again."""
        if self.disposition_id == disposition_id and not self.disposed:
            self._released(disposition_id=disposition_id, actor=actor)

    def dispose(self, disposition_id: UUID, action: str, certificate_id: str, actor: UUID) -> None:
        """The series was destroyed or transferred under ``certificate_id``."""
        if self.disposition_id != disposition_id:
            raise errors.SeriesNotDue(
                f"Серия «{self.record_series}» не включена в это предложение.",
                series=self.record_series,
            )
        if not self.disposed:
            self._disposed(
                disposition_id=disposition_id,
                action=action,
                certificate_id=certificate_id,
                actor=actor,
            )

    def reschedule(
        self, cut_off: date, before: date | None, after: date | None, reason: str, actor: UUID
    ) -> None:
        """Record that the retention schedule in force moved the series' due date."""
        self.check_not_disposed()
        self._rescheduled(cut_off=cut_off, before=before, after=after, reason=reason, actor=actor)

    def check_not_disposed(self) -> None:
        """Raise ``RecordDestroyed`` when the series was destroyed or transferred."""
        if self.disposed:
            raise errors.RecordDestroyed(
                series=self.record_series, certificate_id=self.certificate_id
            )

    # --- events ----------------------------------------------------------------------------
    class FileRegistered(Aggregate.Event):
        path: str
        sha256: str
        size: int
        actor: UUID

    @event(FileRegistered)
    def _file_registered(self, path: str, sha256: str, size: int, actor: UUID) -> None:
        self.files[path] = SeriesFile(path, sha256, size)

    class Claimed(Aggregate.Event):
        disposition_id: UUID
        actor: UUID

    @event(Claimed)
    def _claimed(self, disposition_id: UUID, actor: UUID) -> None:
        self.disposition_id = disposition_id

    class Released(Aggregate.Event):
        disposition_id: UUID
        actor: UUID

    @event(Released)
    def _released(self, disposition_id: UUID, actor: UUID) -> None:
        self.disposition_id = None

    class Rescheduled(Aggregate.Event):
        """The due date moved from ``before`` to ``after`` (None: never) under a newly
        adopted retention schedule (``RetentionSchedule``)."""

        cut_off: date
        before: date | None
        after: date | None
        reason: str
        actor: UUID

    @event(Rescheduled)
    def _rescheduled(
        self, cut_off: date, before: date | None, after: date | None, reason: str, actor: UUID
    ) -> None:
        pass

    class Disposed(Aggregate.Event):
        disposition_id: UUID
        action: str
        certificate_id: str
        actor: UUID

    @event(Disposed)
    def _disposed(
        self, disposition_id: UUID, action: str, certificate_id: str, actor: UUID
    ) -> None:
        self.disposed = "destroyed" if action == "destroy" else "transferred"
        self.certificate_id = certificate_id
