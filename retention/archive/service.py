"""The annual archive: check completeness, then for every class render its journal and
summary sheet (and every extracurricular group's journal), make each PDF/A-2b, sign it
PAdES B-LTA, store it under the archive directory and capture it as an ``ArchiveVolume``.

The year is closed first (``retention.closing.close_year``: the cut-off of its record
series; forced with the reason when the completeness check found gaps). One ledger
checkpoint is signed after the close and printed in every volume. Each file (and its
detached signature) is registered with its series in the records register, so the
disposition of the series deletes it. A run that stopped half-way resumes: the year is
already closed and volumes already captured are skipped.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from uuid import UUID

from domain import clock, ids
from domain.archive import VolumeFacts, volume_id, volume_series
from domain.journal import Journal
from projections.ledger import Checkpoint, Ledger
from projections.service import Views
from projections.store import Reader
from projections.views import archive as archive_view
from projections.views import catalog
from projections.views import records_register as register_view
from retention import closing
from retention.archive import content, ltv, pdfa
from retention.archive.detached import SignsDetached
from retention.archive.gaps import ArchiveIncomplete, Gap, year_gaps
from retention.archive.refresh import iso
from retention.archive.render import Seal, render_book
from retention.archive.signing import SigningSetup, sign_pdf
from retention.archive.summary_pdf import render_summary

#: ``progress(label, volumes done, volumes in all, pages so far)``.
Progress = Callable[[str, int, int, int], None]
#: The roadmap's deadline: the journal is printed and signed no later than 30 June.
DEADLINE = (6, 30)


@dataclass(frozen=True)
class Planned:
    """One volume to make."""

    group_id: str
    group: str
    kind: str


@dataclass(frozen=True)
class Made:
    """One volume made: its record id, file, pages, hash and detached signature (if any)."""

    volume_id: UUID
    path: Path
    pages: int
    sha256: str
    detached: Path | None = None


def after_deadline(year_ends: date, today: date) -> bool:
    """True when the archive is made after 30 June of the year's last calendar year."""
    return today > date(year_ends.year, *DEADLINE)


class Archiver:
    """Makes the annual archive of one school year (see the module's docstring)."""

    def __init__(
        self,
        journal: Journal,
        views: Views,
        ledger: Ledger,
        setup: SigningSetup,
        folder: Path,
        detached: SignsDetached | None = None,
    ) -> None:
        self.journal, self.views, self.ledger = journal, views, ledger
        self.setup, self.folder, self.detached = setup, folder, detached

    def gaps(self, year_id: UUID) -> list[Gap]:
        """What is missing from the year's journals."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return year_gaps(
                reader, self.views.sealer, self.views.policies.journal, str(year_id), clock.today()
            )

    def plan(self, year_id: UUID) -> list[Planned]:
        """Every volume of the year not yet captured: per class a journal and a summary
        sheet, per extracurricular group a journal; ordered by name."""
        self.views.catch_up()
        with self.views.reader() as reader:
            groups = sorted(
                reader.select(catalog.GROUPS, {"year_id": str(year_id)}),
                key=lambda g: (g["kind"] != "class", g["name"]),
            )
            done = {
                (v.group_id, v.kind)
                for v in archive_view.volumes_of_year(reader, self.views.sealer, str(year_id))
            }
        wanted = []
        for g in groups:
            kinds = ("journal", "summary") if g["kind"] == "class" else ("extracurricular",)
            wanted += [Planned(g["group_id"], g["name"], k) for k in kinds]
        return [p for p in wanted if (p.group_id, p.kind) not in done]

    def close_year(
        self,
        year_id: UUID,
        actor: UUID,
        *,
        force: bool = False,
        reason: str = "",
        progress: Progress | None = None,
    ) -> list[Made]:
        """Check, render, sign, store and capture every volume of the year still missing.

        Raises ``ArchiveIncomplete`` listing the gaps unless ``force`` (with ``reason``,
        which every volume records and prints)."""
        gaps = self.gaps(year_id)
        if gaps and not force:
            raise ArchiveIncomplete(gaps)
        self.close(year_id, actor, forced=bool(gaps), reason=reason)
        plan = self.plan(year_id)
        if not plan:
            return []
        checkpoint = self.ledger.checkpoint()
        made: list[Made] = []
        pages = 0
        for index, item in enumerate(plan):
            if progress:
                progress(f"{item.group} · {item.kind}", index, len(plan), pages)
            # Only a volume with something missing says so, with the reason it was made.
            own = [g for g in gaps if g.concerns(item.group, item.kind)]
            made.append(
                self.volume(year_id, item, checkpoint, actor, reason.strip() if own else "")
            )
            pages += made[-1].pages
        if progress:
            progress("готово", len(plan), len(plan), pages)
        return made

    def close(self, year_id: UUID, actor: UUID, *, forced: bool, reason: str) -> bool:
        """Close the school year (the retention service's cut-off) unless it is closed
        already; True when this call closed it. Forced, with the reason, when gaps remain."""
        with self.views.reader() as reader:
            year = reader.get(catalog.YEARS, (str(year_id),))
        if year is None:
            raise LookupError(f"no school year {year_id}")
        if year["closed"]:
            return False
        closing.close_year(
            self.journal, self.views, year["year"], actor, force=forced, reason=reason
        )
        self.views.catch_up()
        return True

    def render(self, year_id: UUID, item: Planned, seal: Seal) -> tuple[bytes, int]:
        """The plain (not yet PDF/A) PDF of one volume and its page count."""
        grading = self.views.policies.grading
        with self.views.reader() as reader:
            if item.kind == "summary":
                attendance = self.views.policies.attendance
                sheet = content.summary(
                    reader, self.views.sealer, grading, attendance, item.group_id
                )
                year = reader.get(catalog.YEARS, (str(year_id),))
                assert year is not None
                return render_summary(sheet, item.group, year["year"], year["school"], seal)
            book = content.Gatherer(reader, self.views.sealer, grading).book(
                item.group_id, item.kind
            )
        return render_book(book, seal)

    def seal(self, year_id: UUID, item: Planned, checkpoint: Checkpoint, reason: str) -> Seal:
        """What the certification page states."""
        vid = volume_id(UUID(item.group_id), item.kind, checkpoint.size)
        records = [("класс" if item.kind != "extracurricular" else "группа", item.group_id)]
        with self.views.reader() as reader:
            year = reader.get(catalog.YEARS, (str(year_id),))
            assert year is not None
            if item.kind == "summary":
                grades = ids.year_grades_id(UUID(item.group_id), year_id)
                records.append(("годовые отметки", str(grades)))
            else:
                for course in sorted(
                    reader.select(catalog.COURSES, {"group_id": item.group_id}),
                    key=lambda c: c["subject"],
                ):
                    records.append((course["subject"], course["course_journal_id"]))
        signers = tuple(s.role for s in self.setup.signers)
        return Seal(str(vid), item.kind, asdict(checkpoint), tuple(records), signers, reason)

    def volume(
        self, year_id: UUID, item: Planned, checkpoint: Checkpoint, actor: UUID, reason: str
    ) -> Made:
        """Make one volume: render, PDF/A, sign, store, hook, capture."""
        seal = self.seal(year_id, item, checkpoint, reason)
        plain, pages = self.render(year_id, item, seal)
        rendered = pdfa.make_pdfa(plain)
        with self.views.reader() as reader:
            year = reader.get(catalog.YEARS, (str(year_id),))
            assert year is not None
            label = year["year"]
        signed = sign_pdf(
            rendered,
            self.setup,
            reason=f"Годовой архив {label}: {item.group}",
            location=str(year["school"]),
        )
        path = self.store(label, item, checkpoint.size, signed)
        # The detached signature first: a failing signer leaves nothing captured, so the
        # run, resumed, makes this volume again (never a volume without its ``.sig``).
        made = self.detached.sign(path) if self.detached is not None else None
        facts = self.facts(year_id, label, item, path, signed, rendered, pages, checkpoint, reason)
        facts = replace(facts, mentions=self.mentioned(item))
        receipt = self.journal.archive.capture_volume(facts, actor)
        self.journal.archive.note_validity(receipt.id, iso(ltv.horizon(signed).valid_until), actor)
        series = volume_series(item.kind, label, item.group)
        # The register keeps the file with its series: destroying the series deletes it.
        self.journal.retention.register_series_file(
            series, facts.file_name, facts.sha256, facts.size, actor
        )
        sig = None
        if made is not None:
            self.journal.archive.add_detached_signature(
                receipt.id, made.path.name, made.sha256, made.tool, actor
            )
            relative = str(made.path.relative_to(self.folder))
            size = made.path.stat().st_size
            self.journal.retention.register_series_file(series, relative, made.sha256, size, actor)
            sig = made.path
        return Made(receipt.id, path, pages, facts.sha256, sig)

    def facts(
        self,
        year_id: UUID,
        year: str,
        item: Planned,
        path: Path,
        signed: bytes,
        rendered: bytes,
        pages: int,
        checkpoint: Checkpoint,
        reason: str,
    ) -> VolumeFacts:
        """What the ``ArchiveVolume`` record captures of a stored file."""
        return VolumeFacts(
            year_id=year_id,
            year=year,
            group_id=UUID(item.group_id),
            group=item.group,
            kind=item.kind,
            file_name=str(path.relative_to(self.folder)),
            sha256=hashlib.sha256(signed).hexdigest(),
            size=len(signed),
            rendered_sha256=hashlib.sha256(rendered).hexdigest(),
            rendered_size=len(rendered),
            pages=pages,
            checkpoint=asdict(checkpoint),
            signers=[
                {"role": s.role, "subject": s.subject, "certificate_sha256": s.fingerprint}
                for s in self.setup.signers
            ],
            forced_reason=reason,
        )

    def mentioned(self, item: Planned) -> tuple[UUID, ...]:
        """The people a volume names (``volume_mentions``)."""
        with self.views.reader() as reader:
            return volume_mentions(reader, item.group_id, item.kind)

    def store(self, year: str, item: Planned, size: int, data: bytes) -> Path:
        """Write the signed file under ``ARCHIVE_DIR/2025-26/``; the name carries the ledger
        size, so a later archive of the same class never replaces a captured one."""
        folder = self.folder / ids.year_slug(year)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{item.kind}-{item.group}-L{size}.pdf"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return path


def volume_mentions(reader: Reader, group_id: str, kind: str) -> tuple[UUID, ...]:
    """The people a volume names: every pupil who belonged to the class (group) during the
    year — the rows of its grids and of its summary sheet — and, in a journal, the class
    teacher and the subjects' teachers."""
    group = reader.get(catalog.GROUPS, (group_id,))
    if group is None:
        return ()
    span = reader.get(catalog.YEARS, (group["year_id"],))
    if span is None:
        return ()
    people = set(catalog.Membership(reader, group_id).between(span["starts"], span["ends"]))
    if kind != "summary":
        if group["class_teacher_id"]:
            people.add(group["class_teacher_id"])
        for course in reader.select(catalog.COURSES, {"group_id": group_id}):
            where = {"course_journal_id": course["course_journal_id"]}
            people.update(t["teacher_id"] for t in reader.select(catalog.TEACHERS, where))
    return tuple(sorted(UUID(str(p)) for p in people))


def record_volume_mentions(journal: Journal, views: Views, actor: UUID) -> int:
    """Record whom each kept volume names where the register does not know it yet
    (volumes captured before volumes recorded the people in them): idempotent, it only
    adds. Returns how many volumes got people recorded."""
    views.catch_up()
    todo = []
    with views.reader() as reader:
        gone = {
            r["series"]
            for r in reader.select(register_view.SERIES)
            if r["state"] in ("destroyed", "transferred")
        }
        for v in sorted(reader.select(archive_view.VOLUMES), key=lambda r: r["file_name"]):
            if v["series"] in gone:
                continue
            people = volume_mentions(reader, v["group_id"], v["kind"])
            known = {
                r["subject"]
                for r in reader.select(register_view.MENTIONED, {"series": v["series"]})
            }
            if {f"person/{p}" for p in people} - known:
                todo.append((UUID(v["volume_id"]), list(people)))
    for volume, named in todo:
        journal.archive.record_mentions(volume, named, actor)
    views.catch_up()
    return len(todo)
