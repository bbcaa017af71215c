"""``Records``: the retention engine the CLI and the archivist's pages use — the register,
the plan, holds, and disposition from proposal to execution or transfer.

Execution: the certificate is worked out first (counts, keys, files, the extract of the
event log for personal data, a fresh ledger checkpoint) and recorded with the
``Executed`` event; then the series' data keys are destroyed, their archive files
deleted and the views rebuilt without them. A run that stops half-way is completed by
running ``execute`` again: every step after the record is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from domain import clock, errors
from domain.account import ROLES
from domain.base import SYSTEM_ACTOR
from domain.journal import Journal
from domain.retention import DispositionInfo
from domain.schedule import ClosedSeries, DueDateChange
from domain.school_profile import ProfileInfo
from domain.service import Receipt
from projections.queries import records_register as rq
from projections.service import Views
from projections.store import Reader
from projections.views import archive as archive_view
from projections.views import history as history_view
from retention.certificate import build_certificate, certificate_pdf, pd_act_pdf
from retention.closing import (
    MissingMark,
    Undecided,
    close_year,
    find_year,
    missing_marks,
    undecided_pupils,
)
from retention.plan import Plan, make_plan
from retention.ports import Infrastructure
from retention.subject_access import subject_access_report
from retention.transfer import write_package


class Records:
    """The records register and disposition, over the journal, its views and the keyring."""

    def __init__(self, journal: Journal, views: Views, infra: Infrastructure) -> None:
        self.journal, self.views, self.infra = journal, views, infra
        self.policy = journal.policies.retention

    # --- reading ---------------------------------------------------------------------------
    def register(self, as_of: date | None = None) -> list[rq.RegisterEntry]:
        """Every series with its state as of ``as_of`` (today by default)."""
        self.views.catch_up()
        with self.views.reader() as reader:
            holds = [h.hold() for h in rq.holds(reader, self.views.sealer) if h.active]
            return rq.register(reader, self.policy, as_of or clock.today(), holds)

    def plan(self, as_of: date | None = None) -> Plan:
        """What is due on ``as_of`` and why (a dry run)."""
        day = as_of or clock.today()
        return make_plan(self.register(day), self.policy, day)

    def holds(self) -> list[rq.HoldRow]:
        """Every hold, newest first."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return rq.holds(reader, self.views.sealer)

    def dispositions(self, disposition_id: str | None = None) -> list[rq.DispositionRow]:
        """Every disposition (or one), newest first."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return rq.dispositions(reader, self.views.sealer, disposition_id)

    def subject_access(self, pupil_id: str, as_of: date | None = None) -> dict[str, Any]:
        """Everything held about one pupil (152-FZ art. 14); ``NotAPupil`` if unknown."""
        self.views.catch_up()
        with self.views.reader() as reader:
            return subject_access_report(
                reader,
                self.views.sealer,
                self.policy,
                pupil_id,
                as_of or clock.today(),
            )

    def missing_marks(self, year: str) -> list[MissingMark]:
        """The term and year marks still missing in the school year labelled ``year``
        («2025/26»); ``LookupError`` when there is no such year."""
        with self.views.reader() as reader:
            return missing_marks(reader, find_year(reader, year))

    def undecided(self, year: str) -> list[Undecided]:
        """Pupils of the school year labelled ``year`` without a decision of the pedagogical
        council; ``LookupError`` when there is no such year."""
        with self.views.reader() as reader:
            return undecided_pupils(reader, find_year(reader, year))

    def name(self, account_id: str | None) -> str:
        """A person's name for print (or the placeholder once destroyed)."""
        return self.views.reads.people.name(account_id) if account_id else "—"

    # --- the retention schedule ------------------------------------------------------------
    def closed_series(self) -> list[ClosedSeries]:
        """Every series cut off and not disposed of: whose due dates depend on the rules."""
        return [
            ClosedSeries(e.series, e.record_class, e.cut_off)
            for e in self.register()
            if e.cut_off is not None and e.state not in rq.DISPOSED
        ]

    def pending_reschedule(self) -> list[DueDateChange] | None:
        """The due dates adopting ``policies/retention.toml`` would move (None: its rules
        are the recorded ones, or nothing is cut off yet and the first close records them)."""
        retention = self.journal.retention
        recorded = retention.recorded_schedule()
        if recorded == self.policy.schedule():
            return None
        closed = self.closed_series()
        if recorded is None and not closed:
            return None
        return retention.due_date_changes(closed)

    def reschedule(
        self, actor: UUID, reason: str = "", *, allow_earlier: bool = False
    ) -> list[DueDateChange]:
        """Adopt the file's rules, recording every due date they move (``Retention.
        reschedule``); [] when they are in force already."""
        changed = self.journal.retention.reschedule(
            self.closed_series(), reason, actor, allow_earlier=allow_earlier
        )
        self.views.catch_up()
        return changed

    def reschedule_at_start(self) -> str:
        """At start-up (``serve``, ``worker``, ``retention run``): adopt changed rules as the
        system when no due date comes sooner; otherwise leave them unadopted (proposals are
        refused until a person decides). Returns what to tell the operator ("" if nothing)."""
        pending = self.pending_reschedule()
        if pending is None:
            return ""
        try:
            changed = self.reschedule(
                SYSTEM_ACTOR, "при запуске: сроки хранения policies/retention.toml изменены"
            )
        except errors.ScheduleShortens as error:
            return f"сроки хранения не пересчитаны: {error}"
        return f"сроки хранения пересчитаны по policies/retention.toml: серий — {len(changed)}"

    def at_start(self) -> list[str]:
        """What start-up (``serve``, ``worker``, ``retention run``) records after an upgrade:
        the people of archive volumes captured before volumes recorded them, then the due
        dates a changed schedule moves (``reschedule_at_start``). Returns what to tell."""
        from retention.archive.service import record_volume_mentions  # pyHanko: lazily

        told = []
        completed = record_volume_mentions(self.journal, self.views, SYSTEM_ACTOR)
        if completed:
            told.append(f"тома архива: записаны упомянутые в них люди — томов {completed}")
        rescheduled = self.reschedule_at_start()
        if rescheduled:
            told.append(rescheduled)
        return told

    # --- commands --------------------------------------------------------------------------
    def close_year(
        self, year: str, actor: UUID, *, force: bool = False, reason: str = ""
    ) -> tuple[Receipt, list[MissingMark]]:
        """Close the school year labelled ``year`` (``retention.closing.close_year``)."""
        return close_year(self.journal, self.views, year, actor, force=force, reason=reason)

    def propose(
        self,
        actor: UUID,
        *,
        as_of: date | None = None,
        series: Iterable[str] = (),
        record_class: str = "",
    ) -> list[UUID]:
        """Propose every executable line of the plan (or those of ``series`` / a class):
        one proposal per action. Returns the new dispositions' ids."""
        day = as_of or clock.today()
        if self.pending_reschedule() is not None:  # dates not yet recorded (an upgrade)
            raise errors.ScheduleNotAdopted()
        plan, wanted = self.plan(day), set(series)
        created = []
        for action in ("destroy", "transfer"):
            items = [
                i
                for i in plan.items(action)
                if (not wanted or i.series in wanted)
                and (not record_class or i.record_class == record_class)
            ]
            if items:
                created.append(self.journal.retention.propose_disposition(items, day, actor).id)
        if not created:
            raise errors.NothingToPropose()
        self.views.catch_up()
        return created

    def execute(self, disposition_id: UUID, actor: UUID) -> dict[str, Any]:
        """Execute an approved disposition (action ``destroy``); returns its certificate.
        On an executed one, completes what a stopped run left undone."""
        info = self.journal.retention.disposition(disposition_id)
        if info.state in ("executed", "transferred"):
            self.finish(info.certificate)
            return info.certificate
        if info.action != "destroy":
            raise errors.InvalidInput("Это предложение о передаче: ejournal retention transfer.")
        certificate, problems = self.certify(info, actor)
        signed = self._signed_pdf(certificate) if not problems else None
        self.journal.retention.execute_disposition(disposition_id, certificate, actor, problems)
        self.finish(certificate, signed)
        return certificate

    def transfer(
        self, disposition_id: UUID, destination: Path, actor: UUID, recipient: str = ""
    ) -> dict[str, Any]:
        """Transfer an approved disposition (action ``transfer``): write the BagIt package
        under ``destination`` and validate it, record the transfer with its certificate
        (``package`` says where; ``recipient``: the receiving archive), then destroy the
        series here like an execution."""
        info = self.journal.retention.disposition(disposition_id)
        if info.state == "transferred":
            self.finish(info.certificate)
            return info.certificate
        if info.action != "transfer":
            raise errors.InvalidInput("Это предложение об уничтожении: ejournal retention execute.")
        certificate, problems = self.certify(info, actor)
        package: dict[str, Any] = {}
        if not problems:
            if recipient.strip():
                certificate["recipient"] = recipient.strip()
            package = self._package(info, certificate, destination)
            certificate["package"] = package
        try:
            signed = self._signed_pdf(certificate) if not problems else None
            self.journal.retention.execute_disposition(disposition_id, certificate, actor, problems)
        except errors.DomainError:
            if package:
                shutil.rmtree(package["path"], ignore_errors=True)
            raise
        self.finish(certificate, signed)
        return certificate

    def _package(
        self, info: DispositionInfo, certificate: dict[str, Any], destination: Path
    ) -> dict[str, Any]:
        """Write the transfer package of a certified disposition (``retention.transfer``):
        records, files, the inventory and act of transfer (PDF/A, signed as acts are), the
        checkpoints the volumes carry, the ledger's public key, roots and CRLs."""
        from retention import transfer_act  # reportlab and pikepdf: only to write the package

        name = f"ejournal-{act_stems(certificate)[0]}"  # unique across years
        files = {i["series"]: i["files"] for i in certificate["items"]}
        with self.views.reader() as reader:
            series = {i.series: rq.originators(reader, i.series) for i in info.items}
            checkpoints = [
                volume.checkpoint
                for listed in files.values()
                for f in listed
                if (volume := archive_view.volume_by_hash(reader, self.views.sealer, f["sha256"]))
            ]
        documents = {
            transfer_act.INVENTORY: self._pades(transfer_act.inventory_pdf(certificate)),
            transfer_act.ACT: self._pades(
                transfer_act.transfer_act_pdf(certificate, self.name, name)
            ),
        }
        extras = self.infra.transfer_extras
        return write_package(
            destination,
            name,
            journal=self.journal,
            series=series,
            files=files,
            archive_dir=self.infra.archive_dir,
            inventory=certificate,
            checkpoint=certificate["ledger"],
            school=self.infra.school,
            checkpoints=checkpoints,
            extras=extras() if extras is not None else None,
            documents=documents,
            sign_beside=self.infra.sign_beside,
        )

    def certify(self, info: DispositionInfo, actor: UUID) -> tuple[dict[str, Any], list[str]]:
        """The certificate of a disposition about to be carried out, and what stands in its
        way according to the register (the domain checks holds and cut-offs itself)."""
        today = clock.today()
        entries = {e.series: e for e in self.register(today)}
        problems = []
        for item in info.items:
            entry = entries.get(item.series)
            if entry is None or entry.disposition_id != str(info.id) or entry.state != "approved":
                problems.append(f"серия «{item.series}» не утверждена в этом предложении")
            elif entry.cut_off != item.cut_off or not entry.due_on or entry.due_on > today:
                problems.append(f"серия «{item.series}»: отсечка изменилась или срок не истёк")
            elif entry.due_on != item.due_on:
                problems.append(
                    f"серия «{item.series}»: срок хранения пересчитан "
                    f"({item.due_on:%d.%m.%Y} → {entry.due_on:%d.%m.%Y}), "
                    "составьте предложение заново"
                )
        series = [i.series for i in info.items]
        with self.views.reader() as reader:
            records = {s: len(rq.originators(reader, s)) for s in series}
            files = {s: rq.files(reader, s) for s in series}
            extract = [
                _extract(reader, s) | {"remains": _remains(reader, s, entries)}
                for s in series
                if s.startswith("person/")
            ]
        for subject in extract:
            problems += [
                f"серия «{r['series']}» ещё хранится и упоминает субъекта {subject['person_id']}"
                for r in subject["remains"]
                if r["certificate_id"] is None
            ]
        numbers = (0, 0, 0)
        if not problems and not self.journal.retention.blocked(info.id):
            # the year's next numbers, given once to this disposition
            numbers = self.journal.retention.number_acts(info.id, bool(extract), actor)
        certificate = build_certificate(
            info,
            entries,
            self.policy,
            school=self.infra.school,
            executor=str(actor),
            executed_at=clock.now(),
            keys={s: self.infra.shredder.key_id(s) for s in series},
            records=records,
            files=files,
            checkpoint=self.infra.checkpoint() if not problems else {},
            extract=extract,
            numbers=numbers,
            operator=self.profile(),
            positions=self._positions(info, actor),
        )
        return certificate, problems

    def profile(self) -> ProfileInfo:
        """The school's details for the acts (``ejournal school profile``)."""
        return self.views.reads.school.profile(self.infra.school)

    def _positions(self, info: DispositionInfo, executor: UUID) -> dict[str, str]:
        """Each person's position in the act: the role they acted in (the head's as the
        school's profile names it)."""
        found = {}
        acting = (
            (info.proposed_by, self.policy.proposer_roles),
            (
                info.approved_by,
                frozenset().union(
                    *(self.policy.record_class(i.record_class).approver_roles for i in info.items)
                ),
            ),
            (executor, self.policy.executor_roles),
        )
        head = self.profile().head_position
        for account, roles in acting:
            if account is None:
                continue
            try:
                held = self.journal.actor(account).roles & roles
            except errors.DomainError:  # an account since destroyed or locked
                continue
            role = next((r for r in POSITION_ORDER if r in held), min(held, default=""))
            found[str(account)] = head if role == "head" and head else ROLES.get(role, "")
        return found

    def finish(self, certificate: dict[str, Any], signed_pdf: bytes | None = None) -> None:
        """Destroy the keys, delete the files, purge the views, write the acts
        (``signed_pdf``: the act, signed before anything irreversible was done; the
        personal-data act is made and signed here, before the keys go: a signing failure
        stops the run, and ``execute`` again completes it)."""
        self.views.catch_up()
        # a resumed run keeps the acts already written (signed, maybe refreshed since)
        files = (
            self.certificate_files(certificate, signed_pdf)
            if signed_pdf is not None
            else self.act_files(certificate)
        )
        series = [item["series"] for item in certificate["items"]]
        self.infra.shredder.destroy(series, certificate["certificate_id"])
        archive = self.infra.archive_dir.resolve()
        for item in certificate["items"]:
            for file in item["files"]:
                path = (archive / file["path"]).resolve()
                if path.is_relative_to(archive):
                    path.unlink(missing_ok=True)
        self.infra.purge()
        self.write_certificate(certificate, files=files)
        self.infra.checkpoint()

    # --- certificates ----------------------------------------------------------------------
    def certificate(self, certificate_id: str) -> dict[str, Any]:
        """The certificate of an executed disposition."""
        found = self.dispositions(certificate_id)
        if not found or found[0].certificate is None:
            raise errors.DispositionNotFound(f"Акт {certificate_id} не найден.")
        return found[0].certificate

    def _pades(self, pdf: bytes) -> bytes:
        """``pdf`` signed by the configured signer (unsigned without one); a signing
        failure is ``CertificateNotSigned`` (nothing is transferred or destroyed yet)."""
        if self.infra.signer is None:
            return pdf
        try:
            return self.infra.signer(pdf)
        except Exception as error:  # the signer's own errors: key, passphrase, TSA
            raise errors.CertificateNotSigned(reason=type(error).__name__) from error

    def _signed_pdf(self, certificate: dict[str, Any]) -> bytes:
        """The certificate's PDF, signed when a signer is configured; a signing failure is
        ``CertificateNotSigned`` (called before any key is destroyed)."""
        return self._pades(certificate_pdf(certificate, self.name))

    def certificate_files(
        self, certificate: dict[str, Any], signed_pdf: bytes | None = None
    ) -> dict[str, bytes]:
        """The certificate's renderings: JSON (with names), PDF (signed when a signer is
        configured) and, when personal data was destroyed, the personal-data act."""
        names = {
            who: self.name(certificate[who])
            for who in ("proposed_by", "approved_by", "executed_by")
        }
        stem, pd_stem = act_stems(certificate)
        pdf = signed_pdf if signed_pdf is not None else self._signed_pdf(certificate)
        out = {
            f"{stem}.json": json.dumps(
                certificate | {"names": names}, ensure_ascii=False, indent=1
            ).encode(),
            f"{stem}.pdf": pdf,
        }
        if certificate["personal_data"]:
            with self.views.reader() as reader:
                log = _frames(reader, [certificate["disposition_id"]])
            out[f"{pd_stem}.pdf"] = self._pades(pd_act_pdf(certificate, self.name, log))
        return out

    def act_files(self, certificate: dict[str, Any]) -> dict[str, bytes]:
        """The act's files as kept — the signed (and refreshed) ones in the certificates
        folder; rendered and signed anew only when one is missing."""
        stem, pd_stem = act_stems(certificate)
        names = [f"{stem}.json", f"{stem}.pdf"]
        names += [f"{pd_stem}.pdf"] if certificate["personal_data"] else []
        folder = self.infra.certificates_dir
        if all((folder / n).is_file() for n in names):
            return {n: (folder / n).read_bytes() for n in names}
        return self.certificate_files(certificate)

    def write_certificate(
        self,
        certificate: dict[str, Any],
        signed_pdf: bytes | None = None,
        *,
        files: dict[str, bytes] | None = None,
    ) -> list[Path]:
        """Write the certificate's files into the certificates folder; each signed act is
        recorded with its hash and horizon (``archive refresh`` renews it)."""
        folder = self.infra.certificates_dir
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        made = files if files is not None else self.certificate_files(certificate, signed_pdf)
        for name, data in made.items():
            temporary = folder / f".{name}.tmp"
            temporary.write_bytes(data)
            os.replace(temporary, folder / name)
            written.append(folder / name)
            if name.endswith(".pdf"):
                self._file_act(certificate, name, data)
            sig = self.infra.sign_beside if name.endswith(".pdf") else None
            beside = sig(folder / name) if sig is not None else None
            if beside is not None:  # the GOST route or the hook: FILE.pdf.sig
                written.append(beside)
        return written

    def _file_act(self, certificate: dict[str, Any], name: str, data: bytes) -> None:
        from retention.archive import ltv  # pyHanko: imported by what signs or verifies only
        from retention.archive.refresh import iso

        try:
            horizon = ltv.horizon(data)
        except ltv.NotRenewable:  # written unsigned: nothing to keep renewing
            return
        self.journal.retention.file_act(
            UUID(certificate["disposition_id"]),
            name,
            hashlib.sha256(data).hexdigest(),
            len(data),
            iso(horizon.valid_until),
            UUID(certificate["executed_by"]),
        )


#: Which role names a person's position when they hold several.
POSITION_ORDER = ("head", "deputy", "archivist", "admin", "auditor", "class_teacher", "teacher")


def act_stems(certificate: dict[str, Any]) -> tuple[str, str]:
    """File names (without ``.pdf``) of the act and of the personal-data act:
    ``akt-2026-003`` and ``akt-2026-004-pd``; certificates made before acts were numbered
    keep ``akt-<hex>`` and ``akt-<hex>-pd``."""
    year = certificate.get("act_year")
    if not year:
        stem = f"akt-{certificate['number']}"
        return stem, f"{stem}-pd"
    pd = certificate.get("pd_number") or certificate["number"]
    return f"akt-{year}-{int(certificate['number']):03d}", f"akt-{year}-{int(pd):03d}-pd"


def _frames(reader: Reader, originators: list[str]) -> list[dict[str, Any]]:
    """The plain frames (position, record, version, type, time) of records' events."""
    rows = reader.select(history_view.HISTORY, within=("originator_id", originators))
    return [
        {
            "position": r["position"],
            "record": r["originator_id"],
            "version": r["version"],
            "type": f"{r['aggregate']}.{r['type']}",
            "time": r["time"],
        }
        for r in sorted(rows, key=lambda r: r["position"])
    ]


def _extract(reader: Reader, series: str) -> dict[str, Any]:
    """A person's series for the personal-data act: who, what kind, every event."""
    frames = _frames(reader, rq.originators(reader, series))
    first = next((f for f in frames if f["record"] == series.partition("/")[2]), None)
    kind = first["type"].partition(".")[0] if first else "Account"
    return {"series": series, "person_id": series.partition("/")[2], "kind": kind, "events": frames}


def _remains(
    reader: Reader, person: str, entries: dict[str, rq.RegisterEntry]
) -> list[dict[str, Any]]:
    """Where records that mention a person still are once their identity is destroyed:
    series transferred to an archive (with their act). Series kept here cannot be among
    them — the identity is not due while one is — but one is listed if found."""
    found = []
    for series in rq.mentioning(reader, person):
        entry = entries.get(series)
        if entry is None or entry.state == "destroyed":
            continue
        if entry.state == "transferred":
            found.append(
                {
                    "series": series,
                    "where": "передано на хранение в архив",
                    "until": "по правилам принявшего архива",
                    "certificate_id": entry.certificate_id,
                }
            )
        else:
            found.append(
                {
                    "series": series,
                    "where": "хранится в системе",
                    "until": entry.due_on.isoformat() if entry.due_on else "постоянно",
                    "certificate_id": None,
                }
            )
    return found
