"""``archive verify``: is this file a volume of our archive, intact, signed by someone the
configured root vouches for, PDF/A in its signed content, and anchored in our ledger?

Checks, each reported by name:

- *signatures*: every signature validated AdES-style (pyHanko's ``ades_lta_validation``,
  the same policy as ``pyhanko sign adesverify``: revocation data required, diff analysis
  on): intact, valid, trusted to the configured roots, PAdES B-LTA (document timestamp);
  a file pyHanko cannot read or analyse (a damaged revision) fails it with the parser's error;
- *register*: the file's SHA-256 is a captured ``ArchiveVolume``;
- *pdfa*: the unsigned revision the signatures cover starts the file byte for byte (its
  hash is in the register) and passes pikepdf's PDF/A-2b check; the whole file has no
  PDF/A violation (only the signature dictionaries pikepdf does not check);
- *ledger*: the checkpoint printed in the file's metadata is the register's, its signature
  is the school's, and the event log still matches it;
- *detached signature*: when the register holds one, ``FILE.sig`` beside the file has the
  registered hash (the GOST signature itself is checked by the certified tool).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pikepdf
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from projections.ledger import Checkpoint, Ledger, check_signature
from projections.service import Views
from projections.views import archive as archive_view
from retention.archive import pdfa


@dataclass(frozen=True)
class Check:
    """One named check and its outcome."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """Every check run on one file; ``ok`` when all passed."""

    sha256: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        """Record a check."""
        self.checks.append(Check(name, ok, detail))


def _policy(roots: tuple[asn1_x509.Certificate, ...]) -> PdfSignatureValidationSpec:
    cert_policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(roots)),
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO,
            freshness=None,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
        ),
        time_tolerance=timedelta(seconds=30),
    )
    return PdfSignatureValidationSpec(
        signature_validation_spec=SignatureValidationSpec(
            cert_validation_policy=cert_policy, local_knowledge=LocalKnowledge(known_certs=[])
        ),
        diff_policy=DEFAULT_DIFF_POLICY,
    )


def check_signatures(data: bytes, roots: tuple[asn1_x509.Certificate, ...], report: Report) -> None:
    """Validate every signature and require a document timestamp (B-LTA)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        signatures = list(reader.embedded_regular_signatures)
        timestamps = list(reader.embedded_timestamp_signatures)
    except Exception as error:  # any parse failure means "not intact"
        report.add("signatures", False, f"the file cannot be read as a PDF: {error}")
        return
    if not signatures:
        report.add("signatures", False, "no signature")
        return
    policy = _policy(roots)
    for sig in signatures:
        try:
            result = asyncio.run(
                ades_lta_validation(sig, policy, timing_info=ValidationTimingInfo.now())
            )
            status = result.api_status
        except SignatureValidationError as error:
            report.add(f"signature {sig.field_name}", False, f"cannot be validated: {error}")
            continue
        except Exception as error:  # a damaged revision pyHanko cannot analyse: not intact
            detail = f"the file is damaged, pyHanko cannot analyse it: {error!r}"
            report.add(f"signature {sig.field_name}", False, detail)
            continue
        if status is None:
            report.add(f"signature {sig.field_name}", False, str(result.ades_subindic))
            continue
        holder = status.signing_cert.subject.human_friendly
        state = f"intact={status.intact} valid={status.valid} trusted={status.trusted}"
        report.add(f"signature {sig.field_name}", status.bottom_line, f"{holder}: {state}")
    report.add(
        "document timestamp (B-LTA)",
        bool(timestamps),
        f"{len(timestamps)} document timestamp(s)",
    )


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
) -> Report:
    """Run every check on a file's bytes (see the module's docstring); ``detached`` is the
    ``FILE.sig`` beside it, if there is one."""
    report = Report(hashlib.sha256(data).hexdigest())
    check_signatures(data, roots, report)
    views.catch_up()
    with views.reader() as reader:
        volume = archive_view.volume_by_hash(reader, views.sealer, report.sha256)
    if volume is None:
        report.add("register", False, f"no archive volume has SHA-256 {report.sha256}")
        whole = pdfa.check(data)
        report.add("pdfa (whole file)", not whole.violations, whole.summary(3))
        return report
    report.add("register", True, f"volume {volume.volume_id} ({volume.kind}, {volume.file_name})")
    _check_pdfa(data, volume, report)
    _check_ledger(data, volume, ledger, report)
    if volume.detached_sha256 or detached is not None:
        digest = hashlib.sha256(detached).hexdigest() if detached is not None else "missing"
        report.add(
            "detached signature (hash only)",
            digest == volume.detached_sha256,
            f"{volume.detached_file or '?'}: {digest[:16]}…, registered "
            f"{(volume.detached_sha256 or 'none')[:16]}…; verify it with the signer's own tool",
        )
    return report


def _check_pdfa(data: bytes, volume: archive_view.Volume, report: Report) -> None:
    signed_revision = data[: volume.rendered_size]
    same = hashlib.sha256(signed_revision).hexdigest() == volume.rendered_sha256
    report.add("unsigned revision", same, "the file starts with the captured PDF/A bytes")
    verdict = pdfa.check(signed_revision)
    report.add("pdfa (signed revision)", verdict.passed, verdict.summary(3))
    whole = pdfa.check(data)
    report.add("pdfa (whole file)", not whole.violations, f"{len(whole.violations)} violation(s)")


def _check_ledger(data: bytes, volume: archive_view.Volume, ledger: Ledger, report: Report) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        keywords = str(pdf.docinfo.get("/Keywords", ""))
    checkpoint = Checkpoint(**volume.checkpoint)
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
