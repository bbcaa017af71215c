"""``archive verify``: is this file a volume of our archive, intact, signed by someone the
configured root vouches for, PDF/A in its signed content, and anchored in our ledger?

Checks, each reported by name:

- *signatures* and *document timestamps* as a proof-of-existence chain (ETSI EN 319 102-1):
  each signature validated (integrity, diff analysis, path to the configured roots, hard-fail
  revocation with the file's own certificates and CRLs) at the time the first document
  timestamp proves it existed, each document timestamp at the time the next one does, the
  newest at ``at`` (default now); a file pyHanko cannot read or analyse fails with the
  parser's error in one line;
- *register*: the file's SHA-256 is a captured ``ArchiveVolume``'s current hash;
- *pdfa-2b*: the unsigned first revision starts the file byte for byte (its hash is in the
  register) and passes pikepdf's PDF/A-2b check; pikepdf's verdict on the whole signed file
  is reported as it is — SKIP for ``not_checked`` (signature fields and the DSS are outside
  its validator), FAIL for a violation;
- *ledger*: the checkpoint printed in the file's metadata is the register's, its signature
  is the school's, and the event log still matches it;
- *detached signature (register)*: when the register holds one, ``FILE.sig`` beside the
  file has the registered hash;
- *detached signature (GOST R 34.10-2012)*: ``FILE.sig`` checked by ``openssl cms -verify``
  with the GOST engine against the GOST roots (SKIP without a root or the engine).

A file handed over to an archive (its series transferred) is no longer a volume here: the
register check names the transfer act whose inventory holds its hash («передано по акту №
…») and the checkpoint it carries is checked against the ledger.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from domain import clock
from projections.ledger import Checkpoint, Ledger, check_signature
from projections.queries import records_register as rq
from projections.service import Views
from projections.views import archive as archive_view
from projections.views import policy_versions
from retention.archive import gost, pdfa


@dataclass(frozen=True)
class Check:
    """One named check and its outcome; ``ran`` False when the check could not be made
    (shown as SKIP: neither a pass nor a failure, and never counted as a pass)."""

    name: str
    ok: bool
    detail: str
    ran: bool = True

    @property
    def mark(self) -> str:
        """OK, FAIL or SKIP."""
        return "SKIP" if not self.ran else "OK  " if self.ok else "FAIL"


@dataclass
class Report:
    """Every check run on one file; ``ok`` when all passed."""

    sha256: str
    checks: list[Check] = field(default_factory=list)
    #: «передано по акту № … от …» when the file was handed over to an archive.
    transferred: str = ""

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        """Record a check."""
        self.checks.append(Check(name, ok, detail))

    def skip(self, name: str, detail: str) -> None:
        """Record a check that could not be made, and why."""
        self.checks.append(Check(name, True, detail, ran=False))


def _quiet() -> None:
    # pyHanko logs every failed path with a traceback; the report carries the reason.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def check_signatures(
    data: bytes,
    roots: tuple[asn1_x509.Certificate, ...],
    report: Report,
    at: datetime | None = None,
) -> None:
    """Long-term validation as ETSI EN 319 102-1 chains it: every signature validated at
    the time the first document timestamp proves it existed, each document timestamp at
    the time the next one proves it existed, the newest at ``at`` (default now) — each
    with the certificates and revocation data the file carries, trusted to ``roots``,
    with pyHanko's diff analysis on the revisions after the signature."""
    _quiet()
    moment = at or datetime.now(UTC)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        signatures = list(reader.embedded_regular_signatures)
        timestamps = list(reader.embedded_timestamp_signatures)
        certs, crls = _validation_data(reader)
    except Exception as error:  # any parse failure means "not intact"
        report.add("signatures", False, f"the file cannot be read as a PDF: {_one_line(error)}")
        return
    if not signatures:
        report.add("signatures", False, "no signature")
        return
    proved = _gen_time(timestamps[0]) if timestamps else moment
    for sig in signatures:
        name = f"signature {sig.field_name}"
        context = _context(roots, certs, crls, proved)
        try:
            status = asyncio.run(
                async_validate_pdf_signature(sig, context, context, diff_policy=DEFAULT_DIFF_POLICY)
            )
        except Exception as error:  # a damaged revision pyHanko cannot analyse: not intact
            detail = f"the file is damaged, pyHanko cannot analyse it: {_one_line(error)}"
            report.add(name, False, detail)
            continue
        holder = status.signing_cert.subject.human_friendly
        state = f"intact={status.intact} valid={status.valid} trusted={status.trusted}"
        changes = status.modification_level.name if status.modification_level else "?"
        problem = f" ({_problem(status)})" if not status.trusted else ""
        report.add(
            name,
            bool(status.bottom_line),
            f"{holder}: {state}{problem}, later changes {changes}, at {proved:%Y-%m-%d %H:%M} UTC",
        )
    check_timestamps(timestamps, roots, certs, crls, report, moment)


def _validation_data(
    reader: PdfFileReader,
) -> tuple[list[asn1_x509.Certificate], list[asn1_crl.CertificateList]]:
    try:
        store = DocumentSecurityStore.read_dss(reader)
    except Exception:
        return [], []
    crls = [asn1_crl.CertificateList.load(r.get_object().data) for r in store.crls]
    certs = [asn1_x509.Certificate.load(r.get_object().data) for r in store.certs.values()]
    return certs, crls


def _context(
    roots: tuple[asn1_x509.Certificate, ...],
    certs: list[asn1_x509.Certificate],
    crls: list[asn1_crl.CertificateList],
    moment: datetime,
) -> ValidationContext:
    return ValidationContext(
        trust_roots=list(roots),
        other_certs=certs,
        crls=crls,
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=moment,
    )


def _gen_time(sig: Any) -> datetime:
    value = sig.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    assert isinstance(value, datetime)
    return value


def check_timestamps(
    timestamps: list[Any],
    roots: tuple[asn1_x509.Certificate, ...],
    certs: list[asn1_x509.Certificate],
    crls: list[asn1_crl.CertificateList],
    report: Report,
    at: datetime,
) -> None:
    """B-LTA: at least one document timestamp; each one intact, its TSA certificate
    chaining to the roots and not revoked by the revocation data in the file, valid at the
    time the next timestamp proves it existed (the newest: at ``at``)."""
    if not timestamps:
        report.add("document timestamp (B-LTA)", False, "no document timestamp")
        return
    for index, ts in enumerate(timestamps):
        moment = _gen_time(timestamps[index + 1]) if index + 1 < len(timestamps) else at
        name = f"document timestamp {index + 1}/{len(timestamps)}"
        made = _gen_time(ts).strftime("%Y-%m-%d %H:%M UTC")
        try:
            status = asyncio.run(
                async_validate_pdf_timestamp(ts, _context(roots, certs, crls, moment))
            )
        except Exception as error:  # a damaged timestamp is a failed check, not a crash
            report.add(name, False, f"of {made}: {_one_line(error)}")
            continue
        tsa = status.signing_cert.subject.human_friendly
        problem = f" ({_problem(status)})" if not status.trusted else ""
        report.add(
            name,
            bool(status.intact and status.valid and status.trusted),
            f"of {made} by {tsa}: intact={status.intact} valid={status.valid} "
            f"trusted={status.trusted}{problem} at {moment:%Y-%m-%d %H:%M} UTC",
        )


def _problem(status: Any) -> str:
    """Why a certificate path was not trusted, in pyHanko's AdES words."""
    indic = getattr(status, "trust_problem_indic", None)
    return str(getattr(indic, "name", indic) or "untrusted")


def _keyword(text: str, key: str) -> str:
    match = re.search(rf"(?:^|;)\s*{key}=([^;]+)", text)
    return match.group(1).strip() if match else ""


#: The ledger checkpoint's fields as an archive volume's keywords name them.
PRINTED_CHECKPOINT = {
    "size": "ledger-size",
    "root": "ledger-root",
    "time": "ledger-time",
    "key_id": "ledger-key",
    "signature": "ledger-signature",
}


class NoCheckpoint(Exception):
    """Raised when a PDF carries no ledger checkpoint in its metadata."""


def printed_checkpoint(data: bytes) -> dict[str, str]:
    """The ledger checkpoint an archive volume carries in its metadata (the document
    keywords, also in its XMP as ``pdf:Keywords``): size, root, time, key id and — in files
    made since it was added — the signature (else ""). ``NoCheckpoint`` otherwise."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            keywords = str(pdf.docinfo.get("/Keywords", ""))
            if "ledger-root=" not in keywords:
                with pdf.open_metadata() as xmp:
                    keywords = str(xmp.get("pdf:Keywords", ""))
    except pikepdf.PdfError as error:
        raise NoCheckpoint(f"not a readable PDF: {error}") from None
    found = {name: _keyword(keywords, key) for name, key in PRINTED_CHECKPOINT.items()}
    missing = [PRINTED_CHECKPOINT[n] for n in ("size", "root", "time", "key_id") if not found[n]]
    if missing:
        raise NoCheckpoint(f"no ledger checkpoint in the PDF's metadata ({', '.join(missing)})")
    return found


def verify_file(
    data: bytes,
    roots: tuple[asn1_x509.Certificate, ...],
    views: Views,
    ledger: Ledger,
    detached: bytes | None = None,
    at: datetime | None = None,
    gost_roots: Sequence[Path] = (),
) -> Report:
    """Run every check on a file's bytes (see the module's docstring); ``detached`` is the
    ``FILE.sig`` beside it, if there is one, checked with ``openssl cms -verify`` against
    ``gost_roots``; ``at`` validates the signatures as of that time instead of now (would
    the file, as it is, still verify then?). A file handed over to an archive is found by
    its transfer act (``Report.transferred``)."""
    report = Report(hashlib.sha256(data).hexdigest())
    check_signatures(data, roots, report, at)
    views.catch_up()
    with views.reader() as reader:
        volume = archive_view.volume_by_hash(reader, views.sealer, report.sha256)
        handed = rq.transferred_file(reader, report.sha256) if volume is None else None
        issued = (
            policy_versions.document_by_hash(reader, report.sha256)
            if volume is None and handed is None
            else None
        )
    if issued is not None:
        report.add(
            "register",
            True,
            f"regulation {issued.file_name} (policies version {issued.number}, "
            f"issued {issued.issued_at[:10]})",
        )
        _check_first_revision(data, issued.rendered_size, issued.rendered_sha256, report)
    elif volume is None and handed is not None:
        _transferred(data, handed, ledger, report)
    elif volume is None:
        report.add("register", False, f"no archive volume has SHA-256 {report.sha256}")
        _check_whole(data, report)
    else:
        report.add(
            "register", True, f"volume {volume.volume_id} ({volume.kind}, {volume.file_name})"
        )
        _check_pdfa(data, volume, report)
        _check_ledger(data, Checkpoint(**volume.checkpoint), ledger, report)
        if volume.detached_sha256 or detached is not None:
            digest = hashlib.sha256(detached).hexdigest() if detached is not None else "missing"
            report.add(
                "detached signature (register)",
                digest == volume.detached_sha256,
                f"{volume.detached_file or '?'}: {digest[:16]}…, registered "
                f"{(volume.detached_sha256 or 'none')[:16]}…",
            )
    if detached is not None:
        check_gost(data, detached, gost_roots, report)
    return report


#: The name of the GOST check in the report.
GOST_CHECK = "detached signature (GOST R 34.10-2012, openssl cms -verify)"


def check_gost(data: bytes, detached: bytes, roots: Sequence[Path], report: Report) -> None:
    """The detached ``FILE.sig`` checked by OpenSSL's GOST engine against the GOST roots:
    SKIP (with how to make it run) when no GOST root is configured or the engine is not
    installed, FAIL when OpenSSL refuses the signature (a changed PDF, another key)."""
    if not roots:
        report.skip(
            GOST_CHECK,
            "нет корневого сертификата ГОСТ / no GOST trust root (EJOURNAL_GOST_ROOTS, "
            "`ejournal keys demo --gost`); check it with the signer's own tool (cryptcp -verify)",
        )
        return
    try:
        verdict = gost.verify(data, detached, roots)
        if not verdict.ok:
            verdict = _earlier_revision(data, detached, roots) or verdict
    except gost.GostUnavailable as error:
        report.skip(GOST_CHECK, f"не проверена / not checked: {error}")
        return
    report.add(GOST_CHECK, verdict.ok, verdict.detail)


def revisions(data: bytes) -> list[bytes]:
    """The PDF as it stood after each of its revisions, oldest first: every prefix that ends
    with an ``%%EOF`` marker (and its end of line). The last is the whole file."""
    ends = []
    start = 0
    while (found := data.find(b"%%EOF", start)) >= 0:
        end = found + len(b"%%EOF")
        for eol in (b"\r\n", b"\n", b"\r"):
            if data.startswith(eol, end):
                end += len(eol)
                break
        ends.append(end)
        start = end
    return [data[:end] for end in ends] or [data]


def _earlier_revision(data: bytes, detached: bytes, roots: Sequence[Path]) -> gost.Verdict | None:
    """A GOST ``.sig`` is made over the file as archived; ``archive refresh`` later appends
    revisions (fresh revocation data and a document timestamp, ETSI EN 319 142 LTA), which
    the PAdES and timestamp checks of the same report cover. The signature is good when it
    verifies over one of the file's earlier revisions: say which."""
    versions = revisions(data)
    for number in range(len(versions) - 1, 0, -1):
        verdict = gost.verify(versions[number - 1], detached, roots)
        if verdict.ok:
            detail = (
                f"{verdict.detail}; подписана редакция {number} из {len(versions)}, "
                f"последующие — обновления для долговременной проверки / signs revision "
                f"{number} of {len(versions)}, the later ones are long-term-validation updates"
            )
            return dataclasses.replace(verdict, detail=detail)
    return None


def _transferred(data: bytes, handed: rq.TransferredFile, ledger: Ledger, report: Report) -> None:
    """A file the school handed over to an archive: say by which act, and check what
    still can be checked here — the checkpoint it carries against the ledger."""
    day = handed.transferred_at.astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y")
    report.transferred = f"передано по акту № {handed.act_number} от {day}"
    package = f", package {handed.package}" if handed.package else ""
    report.add(
        "register",
        True,
        f"{report.transferred} / transferred by act No. {handed.act_number}: series "
        f"{handed.series}, {handed.path}{package}",
    )
    _check_whole(data, report)
    try:
        printed = printed_checkpoint(data)
        checkpoint = Checkpoint(
            int(printed["size"]), printed["root"], printed["time"], printed["key_id"],
            printed["signature"],
        )  # fmt: skip
    except (NoCheckpoint, ValueError) as error:
        report.add("checkpoint in file", False, str(error))
        return
    _check_ledger(data, checkpoint, ledger, report)


def _check_pdfa(data: bytes, volume: archive_view.Volume, report: Report) -> None:
    _check_first_revision(data, volume.rendered_size, volume.rendered_sha256, report)


def _check_first_revision(data: bytes, size: int, sha256: str, report: Report) -> None:
    """The unsigned first revision (``size`` bytes, registered ``sha256``) is PDF/A-2b;
    then pikepdf's verdict on the whole file."""
    signed_revision = data[:size]
    same = hashlib.sha256(signed_revision).hexdigest() == sha256
    report.add("unsigned revision", same, "the file starts with the captured PDF/A bytes")
    try:
        verdict = pdfa.check(signed_revision)
    except Exception as error:  # the first revision is not a readable PDF
        report.add("pdfa-2b (revision 1)", False, f"unreadable: {_one_line(error)}")
        return
    report.add(
        f"pdfa-2b (revision 1, bytes 0-{size}, unsigned)",
        verdict.passed,
        f"pikepdf verdict {verdict.verdict}"
        + (f": {'; '.join(f.message for f in verdict.findings[:3])}" if verdict.findings else ""),
    )
    _check_whole(data, report)


def _check_whole(data: bytes, report: Report) -> None:
    """The whole file as it is (every revision, signatures and DSS included): pikepdf does
    not check signature fields or the DSS, so its verdict there is usually ``not_checked`` —
    reported as SKIP with what it did not check, or FAIL with the violations it found."""
    name = "pdfa-2b (whole file, all revisions)"
    try:
        whole = pdfa.check(data)
    except Exception as error:  # pikepdf cannot open it: the signature check said why
        report.add(name, False, f"pikepdf cannot read the file: {_one_line(error)}")
        return
    if whole.violations:
        found = "; ".join(f.message for f in whole.violations[:3])
        report.add(name, False, f"{len(whole.violations)} violation(s): {found}")
    elif whole.verdict == "not_checked":
        kinds = sorted({f.message for f in whole.unsupported})[:3]
        report.skip(name, f"pikepdf verdict not_checked (not checked: {'; '.join(kinds)})")
    else:
        report.add(name, True, "pikepdf verdict pass")


def _check_ledger(data: bytes, checkpoint: Checkpoint, ledger: Ledger, report: Report) -> None:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            keywords = str(pdf.docinfo.get("/Keywords", ""))
    except Exception as error:  # a damaged file: its checkpoint cannot be read
        keywords = ""
        report.add("checkpoint in file", False, f"cannot read the metadata: {_one_line(error)}")
        return
    printed = (_keyword(keywords, "ledger-size"), _keyword(keywords, "ledger-root"))
    report.add(
        "checkpoint in file",
        printed == (str(checkpoint.size), checkpoint.root),
        f"size {printed[0] or '?'}, root {printed[1][:16] or '?'}…",
    )
    report.add(
        "checkpoint signature",
        check_signature(checkpoint, ledger.public),
        f"key {checkpoint.key_id}",
    )
    verdict = ledger.verify(checkpoint)
    detail = "the event log matches" if verdict.ok else verdict.problem
    report.add("ledger", verdict.ok, f"{detail} (checkpoint of {checkpoint.size} events)")
