"""``ArchiveVolume``: one signed file of the annual archive, captured as a record.

A volume is a class journal («классный журнал») or a summary sheet («сводная ведомость»)
of one class for one school year, rendered as PDF/A-2b and signed (PAdES B-LTA). The record
keeps what proves the file: its SHA-256 and size, the SHA-256 and size of the unsigned PDF/A
revision it starts with, its page count, the ledger checkpoint printed in it, who signed it,
and its retention class: ``annual-printout`` (5 years) for journals, ``summary-sheet``
(25 years) for summary sheets. The file itself lives in the archive directory.

A qualified (GOST) signature made outside by the detached-signature hook is added later
as ``DetachedSignatureAdded`` with the ``.sig`` file's hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate
from domain.service import CommandGroup, Receipt

#: Volume kinds, the retention class of each and how long it is kept (years).
KINDS: dict[str, tuple[str, int]] = {
    "journal": ("annual-printout", 5),
    "extracurricular": ("annual-printout", 5),
    "summary": ("summary-sheet", 25),
}


def volume_id(group_id: UUID, kind: str, checkpoint_size: int) -> UUID:
    """Id of the volume of ``kind`` for a class (or group) printed at a ledger size."""
    return uuid5(ids.NAMESPACE, f"archive-volume/{group_id}/{kind}/{checkpoint_size}")


def volume_series(kind: str, year: str, group: str) -> str:
    """The record series of a volume: a summary sheet joins its class's summary series
    (25 years); a journal printout has its own ``printout/…`` series (5 years)."""
    if kind == "summary":
        return ids.summary_series(year, group)
    return f"printout/{ids.year_slug(year)}/{group}"


@dataclass(frozen=True)
class VolumeFacts:
    """What is known of a volume when it is captured (plain values only)."""

    year_id: UUID
    year: str
    group_id: UUID
    group: str
    kind: str
    file_name: str
    sha256: str
    size: int
    rendered_sha256: str
    rendered_size: int
    pages: int
    checkpoint: dict[str, Any]
    signers: list[dict[str, str]]
    forced_reason: str = ""
    #: The people the volume names (pupils, teachers): a hold on one of them holds the
    #: volume, and their identities are kept while it is.
    mentions: tuple[UUID, ...] = ()


class ArchiveVolume(Aggregate):
    """A signed PDF/A file of the annual archive (see the module's docstring)."""

    #: Captured after the year's cut-off, by design: the year's close does not lock it.
    closes_with_year = False

    @staticmethod
    def create_id(group_id: UUID, kind: str, checkpoint: dict[str, Any], **_: object) -> UUID:
        return volume_id(group_id, kind, int(checkpoint["size"]))

    class Captured(Aggregate.Created):
        """Version 2 records the people the volume names (``mentions``); volumes captured
        before read as naming no one (``ejournal archive mentions`` records theirs)."""

        class_version = 2
        year_id: UUID
        group_id: UUID
        kind: str
        retention_class: str
        file_name: str
        sha256: str
        size: int
        rendered_sha256: str
        rendered_size: int
        pages: int
        checkpoint: dict[str, Any]
        signers: list[dict[str, str]]
        forced_reason: str
        mentions: list[UUID]
        series: str
        actor: UUID

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["mentions"] = []

    @event(Captured)
    def __init__(
        self,
        year_id: UUID,
        group_id: UUID,
        kind: str,
        retention_class: str,
        file_name: str,
        sha256: str,
        size: int,
        rendered_sha256: str,
        rendered_size: int,
        pages: int,
        checkpoint: dict[str, Any],
        signers: list[dict[str, str]],
        forced_reason: str,
        mentions: list[UUID],
        series: str,
        actor: UUID,
    ) -> None:
        self.mentions = set(mentions)
        self.year_id = year_id
        self.group_id = group_id
        self.kind = kind
        self.retention_class = retention_class
        self.file_name = file_name
        self.sha256 = sha256
        self.size = size
        self.rendered_sha256 = rendered_sha256
        self.rendered_size = rendered_size
        self.pages = pages
        self.checkpoint = dict(checkpoint)
        self.signers = [dict(s) for s in signers]
        self.forced_reason = forced_reason
        self.series = series
        self.detached: dict[str, str] | None = None
        self.valid_until = ""

    def add_detached_signature(self, file_name: str, sha256: str, tool: str, actor: UUID) -> None:
        """Record the detached signature file made by the external signer (once)."""
        if self.detached is not None:
            raise errors.AlreadyExists("Отделённая подпись этого тома уже записана.")
        if len(sha256) != 64:
            raise errors.InvalidInput("Нужна SHA-256 подписи (64 шестнадцатеричные цифры).")
        self._detached(file_name=file_name, sha256=sha256, tool=tool, actor=actor)

    def record_mentions(self, people: list[UUID], actor: UUID) -> None:
        """Record the people a volume captured without them names (added, never removed)."""
        new = sorted(set(people) - self.mentions, key=str)
        if new:
            self._mentions_recorded(mentions=new, actor=actor)

    class MentionsRecorded(Aggregate.Event):
        """People the volume names, recorded after its capture (volumes of version 1)."""

        mentions: list[UUID]
        actor: UUID

    @event(MentionsRecorded)
    def _mentions_recorded(self, mentions: list[UUID], actor: UUID) -> None:
        self.mentions |= set(mentions)

    class DetachedSignatureAdded(Aggregate.Event):
        file_name: str
        sha256: str
        tool: str
        actor: UUID

    @event(DetachedSignatureAdded)
    def _detached(self, file_name: str, sha256: str, tool: str, actor: UUID) -> None:
        self.detached = {"file_name": file_name, "sha256": sha256, "tool": tool}

    def note_validity(self, valid_until: str) -> None:
        """Record until when the file's signatures verify on their own (its newest document
        timestamp, that timestamp's certificate and the revocation lists it carries)."""
        self._validity(valid_until=valid_until)

    class ValidityNoted(Aggregate.Event):
        valid_until: str

    @event(ValidityNoted)
    def _validity(self, valid_until: str) -> None:
        self.valid_until = valid_until

    def refresh(
        self, sha256: str, size: int, valid_until: str, timestamps: int, actor: UUID
    ) -> None:
        """Record a long-term-validation refresh: fresh revocation data and a new document
        timestamp were appended to the file (ETSI EN 319 142 LTA), so its hash and size
        changed; ``valid_until`` is the new horizon."""
        if len(sha256) != 64 or size <= self.size:
            raise errors.InvalidInput("Обновлённый файл тома должен продолжать прежний.")
        self._refreshed(
            previous_sha256=self.sha256,
            sha256=sha256,
            size=size,
            valid_until=valid_until,
            timestamps=timestamps,
            actor=actor,
        )

    class Refreshed(Aggregate.Event):
        previous_sha256: str
        sha256: str
        size: int
        valid_until: str
        timestamps: int
        actor: UUID

    @event(Refreshed)
    def _refreshed(
        self,
        previous_sha256: str,
        sha256: str,
        size: int,
        valid_until: str,
        timestamps: int,
        actor: UUID,
    ) -> None:
        self.sha256, self.size, self.valid_until = sha256, size, valid_until


class Archive(CommandGroup):
    """Commands of the annual archive."""

    def capture_volume(self, facts: VolumeFacts, actor: UUID) -> Receipt:
        """Capture a signed archive file as a record (head, deputy head or operator)."""
        self.app.require_permission(actor, "archive.capture")
        if facts.kind not in KINDS:
            raise errors.InvalidInput(f"Неизвестный вид тома «{facts.kind}».")
        if len(facts.sha256) != 64 or facts.pages < 1 or facts.size < facts.rendered_size:
            raise errors.InvalidInput("Неполные сведения о файле тома.")
        return self.app.create(
            lambda: ArchiveVolume(
                year_id=facts.year_id,
                group_id=facts.group_id,
                kind=facts.kind,
                retention_class=KINDS[facts.kind][0],
                file_name=facts.file_name,
                sha256=facts.sha256,
                size=facts.size,
                rendered_sha256=facts.rendered_sha256,
                rendered_size=facts.rendered_size,
                pages=facts.pages,
                checkpoint=facts.checkpoint,
                signers=facts.signers,
                forced_reason=facts.forced_reason,
                mentions=sorted(set(facts.mentions), key=str),
                series=volume_series(facts.kind, facts.year, facts.group),
                actor=actor,
            ),
            exists_message="Этот том архива уже сохранён.",
        )

    def record_mentions(self, volume: UUID, people: list[UUID], actor: UUID) -> Receipt:
        """Record whom a volume names, for a volume captured before volumes recorded it."""
        self.app.require_permission(actor, "archive.capture")
        return self.app.change(ArchiveVolume, volume, lambda v: v.record_mentions(people, actor))

    def add_detached_signature(
        self, volume: UUID, file_name: str, sha256: str, tool: str, actor: UUID
    ) -> Receipt:
        """Record the hash of a volume's detached signature (``FILE.sig``)."""
        self.app.require_permission(actor, "archive.capture")
        return self.app.change(
            ArchiveVolume,
            volume,
            lambda v: v.add_detached_signature(file_name, sha256, tool, actor),
        )

    def note_validity(self, volume: UUID, valid_until: str, actor: UUID) -> Receipt:
        """Record a captured volume's long-term-validation horizon (ISO date-time)."""
        self.app.require_permission(actor, "archive.capture")
        return self.app.change(ArchiveVolume, volume, lambda v: v.note_validity(valid_until))

    def refresh_volume(
        self,
        volume: UUID,
        sha256: str,
        size: int,
        valid_until: str,
        timestamps: int,
        actor: UUID,
    ) -> Receipt:
        """Record a refresh of a volume's file (``archive refresh``, ``retention run``)."""
        self.app.require_permission(actor, "archive.capture")
        return self.app.change(
            ArchiveVolume,
            volume,
            lambda v: v.refresh(sha256, size, valid_until, timestamps, actor),
        )
