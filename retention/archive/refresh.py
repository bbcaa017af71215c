"""``archive refresh``: keep every archive volume — and every signed act — verifiable for
its whole retention period.

For each captured volume whose file is still on disk (and each signed act recorded with its
disposition, ``Disposition.ActFiled``), the horizon (``ltv.horizon``: the
newest document timestamp's TSA certificate end, or the next update of the CRL the file
carries for it, whichever is first) is compared with the clock: inside the margin, the file
gets fresh revocation data and a new document timestamp (``ltv.augment``), is written back
atomically, and the volume records ``Refreshed`` (new hash and size, new horizon); its file
in the records register gets the new hash. Outside the margin, a volume whose horizon was
never recorded records it (``ValidityNoted``). Files of destroyed series are gone and are
skipped; a file that no longer matches its register hash is reported, never touched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from domain.journal import Journal
from projections.queries import records_register as rq
from projections.service import Views
from projections.views import archive as archive_view
from retention.archive import ltv

#: The timestamp authority and validation context to renew with, made when first needed.
Renewal = Callable[[], tuple[TimeStamper, ValidationContext]]


@dataclass(frozen=True)
class Outcome:
    """What happened to one volume: ``refreshed``, ``current``, ``missing`` or ``failed``."""

    file_name: str
    state: str
    valid_until: datetime | None
    detail: str = ""


def iso(moment: datetime) -> str:
    """A horizon as the records keep it (ISO 8601, UTC, seconds)."""
    return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Kept:
    """One signed file to keep verifiable: where it is, the hash and horizon on record,
    and how to record a new horizon (``note``) or a renewal (``renewed``: hash, size,
    horizon, document timestamps)."""

    file_name: str
    path: Path
    sha256: str
    valid_until: str | None
    note: Callable[[str], object]
    renewed: Callable[[str, int, str, int], object]


class Refresher:
    """Renews the long-term validation data of the archive's files — the volumes, and the
    signed acts in ``acts_folder`` (see the module)."""

    def __init__(
        self,
        journal: Journal,
        views: Views,
        folder: Path,
        margin: timedelta,
        acts_folder: Path | None = None,
    ) -> None:
        self.journal, self.views, self.folder, self.margin = journal, views, folder, margin
        self.acts_folder = acts_folder

    def volumes(self) -> list[archive_view.Volume]:
        """Every captured volume, by file name."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return archive_view.all_volumes(reader, self.views.sealer)

    def kept(self, actor: UUID) -> list[Kept]:
        """Every signed file to keep verifiable: volumes by file name, then the acts of
        executed and transferred dispositions (destruction, transfer and personal-data
        acts), oldest first."""
        found = [self._volume(v, actor) for v in self.volumes()]
        if self.acts_folder is None:
            return found
        with self.views.reader() as reader:
            done = [
                d.disposition_id
                for d in rq.dispositions(reader, self.views.sealer)
                if d.state in ("executed", "transferred")
            ]
        for disposition_id in reversed(done):
            info = self.journal.retention.disposition(UUID(disposition_id))
            for name, act in sorted((info.act_files or {}).items()):
                found.append(self._act(info.id, name, act, actor))
        return found

    def _volume(self, volume: archive_view.Volume, actor: UUID) -> Kept:
        vid = UUID(volume.volume_id)
        archive = self.journal.archive

        def renewed(digest: str, size: int, valid: str, stamps: int) -> None:
            archive.refresh_volume(vid, digest, size, valid, stamps, actor)
            self.journal.retention.register_series_file(
                volume.series, volume.file_name, digest, size, actor
            )

        return Kept(
            volume.file_name,
            self.folder / volume.file_name,
            volume.sha256,
            volume.valid_until,
            lambda valid: archive.note_validity(vid, valid, actor),
            renewed,
        )

    def _act(self, disposition_id: UUID, name: str, act: dict[str, object], actor: UUID) -> Kept:
        assert self.acts_folder is not None
        retention = self.journal.retention

        def renewed(digest: str, size: int, valid: str, stamps: int) -> None:
            retention.refresh_act(disposition_id, name, digest, size, valid, stamps, actor)

        return Kept(
            name,
            self.acts_folder / name,
            str(act["sha256"]),
            str(act["valid_until"]),
            lambda valid: None,  # an act's horizon is recorded with each renewal
            renewed,
        )

    def run(
        self,
        now: datetime,
        renewal: Renewal,
        actor: UUID,
        *,
        progress: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Check every kept file against ``now`` + margin and renew those inside it."""
        made: tuple[TimeStamper, ValidationContext] | None = None
        outcomes = []
        for kept in self.kept(actor):
            if not kept.path.is_file():
                outcome = Outcome(kept.file_name, "missing", None, "no file (destroyed?)")
            else:
                if made is None and self._due(kept.path, now):
                    made = renewal()
                outcome = self.one(kept, now, made)
            outcomes.append(outcome)
            if progress:
                progress(outcome)
        return outcomes

    def _due(self, path: Path, now: datetime) -> bool:
        try:
            return ltv.horizon(path.read_bytes()).valid_until - self.margin <= now
        except ltv.NotRenewable:
            return False

    def one(
        self,
        kept: Kept,
        now: datetime,
        made: tuple[TimeStamper, ValidationContext] | None,
    ) -> Outcome:
        """Check and, when due, renew one file."""
        data = kept.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != kept.sha256:
            return Outcome(kept.file_name, "failed", None, "the file differs from the register")
        try:
            before = ltv.horizon(data)
        except ltv.NotRenewable as error:
            return Outcome(kept.file_name, "failed", None, str(error))
        if before.valid_until - self.margin > now:
            if kept.valid_until != iso(before.valid_until):
                kept.note(iso(before.valid_until))
            return Outcome(kept.file_name, "current", before.valid_until)
        if made is None:
            return Outcome(kept.file_name, "failed", None, "no timestamp authority")
        stamper, context = made
        try:
            renewed = ltv.augment(data, context, stamper, now)
            after = ltv.horizon(renewed)
        except Exception as error:  # pyHanko's refusal: the file is past renewing
            detail = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            return Outcome(kept.file_name, "failed", before.valid_until, detail)
        temporary = kept.path.with_suffix(".refresh")
        temporary.write_bytes(renewed)
        os.replace(temporary, kept.path)
        digest = hashlib.sha256(renewed).hexdigest()
        kept.renewed(digest, len(renewed), iso(after.valid_until), after.timestamps)
        return Outcome(kept.file_name, "refreshed", after.valid_until, before.reason())
