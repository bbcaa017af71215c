"""``archive refresh``: keep every archive volume verifiable for its whole retention period.

For each captured volume whose file is still on disk, the horizon (``ltv.horizon``: the
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


class Refresher:
    """Renews the long-term validation data of the archive's files (see the module)."""

    def __init__(self, journal: Journal, views: Views, folder: Path, margin: timedelta) -> None:
        self.journal, self.views, self.folder, self.margin = journal, views, folder, margin

    def volumes(self) -> list[archive_view.Volume]:
        """Every captured volume, by file name."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return archive_view.all_volumes(reader, self.views.sealer)

    def run(
        self,
        now: datetime,
        renewal: Renewal,
        actor: UUID,
        *,
        progress: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Check every volume against ``now`` + margin and renew those inside it."""
        made: tuple[TimeStamper, ValidationContext] | None = None
        outcomes = []
        for volume in self.volumes():
            path = self.folder / volume.file_name
            if not path.is_file():
                outcome = Outcome(volume.file_name, "missing", None, "no file (destroyed?)")
            else:
                if made is None and self._due(path, now):
                    made = renewal()
                outcome = self.one(volume, path, now, made, actor)
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
        volume: archive_view.Volume,
        path: Path,
        now: datetime,
        made: tuple[TimeStamper, ValidationContext] | None,
        actor: UUID,
    ) -> Outcome:
        """Check and, when due, renew one volume's file."""
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != volume.sha256:
            return Outcome(volume.file_name, "failed", None, "the file differs from the register")
        try:
            before = ltv.horizon(data)
        except ltv.NotRenewable as error:
            return Outcome(volume.file_name, "failed", None, str(error))
        vid = UUID(volume.volume_id)
        if before.valid_until - self.margin > now:
            if volume.valid_until != iso(before.valid_until):
                self.journal.archive.note_validity(vid, iso(before.valid_until), actor)
            return Outcome(volume.file_name, "current", before.valid_until)
        if made is None:
            return Outcome(volume.file_name, "failed", None, "no timestamp authority")
        stamper, context = made
        try:
            renewed = ltv.augment(data, context, stamper, now)
            after = ltv.horizon(renewed)
        except Exception as error:  # pyHanko's refusal: the file is past renewing
            detail = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            return Outcome(volume.file_name, "failed", before.valid_until, detail)
        temporary = path.with_suffix(".refresh")
        temporary.write_bytes(renewed)
        os.replace(temporary, path)
        digest = hashlib.sha256(renewed).hexdigest()
        self.journal.archive.refresh_volume(
            vid, digest, len(renewed), iso(after.valid_until), after.timestamps, actor
        )
        self.journal.retention.register_series_file(
            volume.series, volume.file_name, digest, len(renewed), actor
        )
        return Outcome(volume.file_name, "refreshed", after.valid_until, before.reason())
