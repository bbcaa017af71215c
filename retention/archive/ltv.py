"""Long-term validation of the archive's signed PDFs (PAdES B-LTA, ETSI EN 319 142-1 §5.5).

A signed file verifies on its own only while its **newest document timestamp** can be
validated: while that timestamp's TSA certificate is in force and the revocation list the
file carries for it is not stale (pyHanko's AdES validation, like ``pyhanko sign
adesverify``, refuses a CRL whose next update has passed). ``horizon`` reads that date out
of a file. ``augment`` renews it the way the standard asks: fresh revocation data for every
signature and for the last document timestamp go into the document security store, then a
new document timestamp covers the whole file (pyHanko's ``add_validation_info`` and
``PdfTimeStamper.update_archival_timestamp_chain``). Each renewal is an incremental update:
every earlier revision, signature and timestamp stays byte for byte.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import dss
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext


class NotRenewable(Exception):
    """Raised when a file cannot be read or carries no signature to renew."""


@dataclass(frozen=True)
class Horizon:
    """Until when a file verifies on its own, and why then."""

    valid_until: datetime
    newest_timestamp: datetime | None
    tsa_not_after: datetime | None
    crl_next_update: datetime | None
    timestamps: int
    #: The end of a signer's certificate whose revocation status the file does not yet
    #: prove for a time after the signature (ETSI's grace period: past validation slides
    #: to a CRL issued after signing; once the certificate has expired none will come).
    signer_pending: datetime | None = None

    def reason(self) -> str:
        """Which of the limits ends first, in words."""
        if self.signer_pending is not None and self.valid_until == self.signer_pending:
            return "signer certificate expiry (no CRL after signing yet)"
        if self.crl_next_update is not None and self.valid_until == self.crl_next_update:
            return "CRL next update"
        return "TSA certificate expiry"


def _crls(reader: PdfFileReader) -> list[asn1_crl.CertificateList]:
    try:
        store = dss.DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS or an unreadable one: no revocation data
        return []
    found = []
    for ref in store.crls:
        try:
            crl = asn1_crl.CertificateList.load(ref.get_object().data)
            parsed = crl["tbs_cert_list"]["issuer"].native  # a broken CRL fails here
        except Exception:  # noqa: S112 - a stream that is not a CRL is no revocation data
            continue
        if parsed:
            found.append(crl)
    return found


def _next_update(crl: asn1_crl.CertificateList) -> datetime | None:
    value = crl["tbs_cert_list"]["next_update"].native
    return value if isinstance(value, datetime) else None


def horizon(data: bytes) -> Horizon:
    """The newest document timestamp's time, its TSA certificate's end, the latest next
    update among the CRLs of that certificate's issuer in the DSS, and the earliest of the
    two ends (``valid_until``). ``NotRenewable`` when the file cannot be read or has no
    document timestamp."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        timestamps = list(reader.embedded_timestamp_signatures)
    except Exception as error:  # any parse failure: nothing to read a horizon from
        raise NotRenewable(f"the file cannot be read as a PDF: {error}") from None
    if not timestamps:
        raise NotRenewable("the file has no document timestamp (not PAdES B-LTA)")
    newest = timestamps[-1]
    tsa: asn1_x509.Certificate = newest.signer_cert
    info = newest.signed_data["encap_content_info"]["content"].parsed
    gen_time = info["gen_time"].native
    issuer = tsa.issuer
    crls = _crls(reader)
    updates = [u for c in crls if c.issuer == issuer and (u := _next_update(c)) is not None]
    crl_end = max(updates) if updates else None
    tsa_end = tsa.not_valid_after
    valid_until = min(tsa_end, crl_end) if crl_end is not None else gen_time
    pending = _signer_pending(reader, crls)
    if pending is not None:
        valid_until = min(valid_until, pending)
    return Horizon(valid_until, gen_time, tsa_end, crl_end, len(timestamps), pending)


def _this_update(crl: asn1_crl.CertificateList) -> datetime | None:
    value = crl["tbs_cert_list"]["this_update"].native
    return value if isinstance(value, datetime) else None


def _signer_pending(reader: PdfFileReader, crls: list[asn1_crl.CertificateList]) -> datetime | None:
    ends = []
    for sig in reader.embedded_regular_signatures:
        cert: asn1_x509.Certificate = sig.signer_cert
        tokens = list(extract_tst_data_iter(sig.signer_info, signed=False))
        signed = (
            tokens[0]["encap_content_info"]["content"].parsed["gen_time"].native
            if tokens
            else sig.self_reported_timestamp
        )
        if signed is None:
            continue
        later = [
            c for c in crls if c.issuer == cert.issuer and (t := _this_update(c)) and t > signed
        ]
        if not later:
            ends.append(cert.not_valid_after)
    return min(ends) if ends else None


def augment(
    data: bytes, context: ValidationContext, timestamper: TimeStamper, now: datetime
) -> bytes:
    """Append fresh validation data for every signature whose certificate is still in
    force at ``now`` (an expired one keeps the data it was given while valid, proved to
    have existed by the timestamps since), then for the newest document timestamp, and a
    new document timestamp over it all (LTA augmentation). ``context`` holds the trust
    roots and current revocation data (its ``moment`` is ``now``). Raises pyHanko's
    errors when the newest timestamp no longer validates: a file past its horizon cannot
    be renewed."""
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    count = len(reader.embedded_regular_signatures)
    if count == 0:
        raise NotRenewable("the file has no signature")
    for index in range(count):
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signature = reader.embedded_regular_signatures[index]
        if signature.signer_cert.not_valid_after <= now:
            continue
        out = io.BytesIO()
        asyncio.run(
            dss.async_add_validation_info(
                signature, context, skip_timestamp=True, output=out, force_write=True
            )
        )
        data = out.getvalue()
    stream = io.BytesIO(data)
    PdfTimeStamper(timestamper).update_archival_timestamp_chain(
        PdfFileReader(stream, strict=False), context, in_place=True
    )
    return stream.getvalue()
