"""PAdES signing of the archive's PDF/A files with pyHanko.

One call per signer: the last signer's call makes the file PAdES B-LTA (signature timestamp,
the validation data — certificates and revocation lists — in the document security store,
then a document timestamp); an earlier signer (the class teacher, when the settings ask for
two signatures) signs PAdES B-LT, and the last call's validation data and document timestamp
cover both. Each signature has a visible stamp on the last page naming the signer and time.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
from asn1crypto import cms, pem
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from domain import clock
from retention.archive.fonts import REGULAR
from retention.archive.stamps import ROLE_TITLES, stamp_boxes


class SigningError(Exception):
    """Raised when a signing key, certificate, or timestamp authority cannot be used."""


@dataclass(frozen=True)
class SignerKey:
    """One signer: the role it signs in and pyHanko's signer (key and certificate chain)."""

    role: str
    signer: signers.Signer

    @property
    def subject(self) -> str:
        """The certificate holder's name as the certificate states it."""
        cert = self.signer.signing_cert
        return str(cert.subject.human_friendly) if cert is not None else "?"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the signing certificate (hex)."""
        cert = self.signer.signing_cert
        return cert.sha256.hex() if cert is not None else ""


@dataclass(frozen=True)
class Pkcs11Token:
    """Where a PKCS#11 key is: the module (``.so``), the token's label, the labels of the
    key and of its certificate, and the file holding the user PIN."""

    library: Path
    label: str
    key_label: str
    cert_label: str
    pin_file: Path


@dataclass(frozen=True)
class SigningSetup:
    """Everything a signature needs: signers in signing order, the timestamp authority,
    the trust roots and the revocation lists to embed (or permission to fetch them)."""

    signers: tuple[SignerKey, ...]
    timestamper: TimeStamper
    trust_roots: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    fetch_revocation: bool = False
    timestamper_name: str = ""
    extra_certs: tuple[asn1_x509.Certificate, ...] = field(default=())

    def validation_context(self) -> ValidationContext:
        """The context pyHanko uses to gather validation data while signing."""
        return ValidationContext(
            trust_roots=list(self.trust_roots),
            other_certs=list(self.extra_certs),
            crls=list(self.crls),
            allow_fetching=self.fetch_revocation,
        )


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SigningError(f"{what} {path}: {error.strerror}") from None


def passphrase(path: Path) -> bytes:
    """A passphrase kept in a file (the first line, without its newline)."""
    lines = _read(path, "passphrase file").splitlines()
    return lines[0] if lines else b""


def load_pkcs12(role: str, path: Path, phrase_file: Path) -> SignerKey:
    """A signer from a PKCS#12 file and the file holding its passphrase."""
    _read(path, "PKCS#12 file")
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=passphrase(phrase_file))
    if signer is None:
        raise SigningError(f"PKCS#12 file {path}: wrong passphrase or not a key and certificate")
    return SignerKey(role, signer)


def load_pkcs11(role: str, token: Pkcs11Token) -> SignerKey:
    """A signer whose key (and certificate) live on a PKCS#11 token: a smart card or USB
    token (Rutoken, JaCarta — with an RSA key) or an HSM. The session stays open for the
    life of the process (one ``close-year`` run)."""
    pin = passphrase(token.pin_file).decode()
    try:
        session = open_pkcs11_session(
            str(token.library), token_criteria=TokenCriteria(label=token.label), user_pin=pin
        )
    except Exception as error:  # pkcs11's errors carry no message of their own
        raise SigningError(
            f"PKCS#11 token «{token.label}» ({token.library}): {type(error).__name__} {error}"
        ) from None
    signer = PKCS11Signer(session, cert_label=token.cert_label, key_label=token.key_label)
    return SignerKey(role, signer)


def load_certificates(paths: Sequence[Path]) -> tuple[asn1_x509.Certificate, ...]:
    """Certificates from PEM or DER files (trust roots)."""
    for path in paths:
        _read(path, "certificate file")
    return tuple(load_certs_from_pemder([str(p) for p in paths]))


def load_crls(paths: Sequence[Path]) -> tuple[asn1_crl.CertificateList, ...]:
    """Certificate revocation lists (DER or PEM) to embed as validation data."""
    found = []
    for path in paths:
        data = _read(path, "revocation list")
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        found.append(asn1_crl.CertificateList.load(data))
    return tuple(found)


def http_timestamper(url: str) -> TimeStamper:
    """An RFC 3161 timestamp authority reached over HTTP (production)."""
    return HTTPTimeStamper(url)


class LocalTimeStamper(DummyTimeStamper):
    """pyHanko's in-process timestamper, writing the CMS signing time as RFC 5652 asks
    (UTCTime until 2049, GeneralizedTime from 2050: a 25-year archive gets there)."""

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        signature, attrs = super()._sign_tst_info(tst_info_data, md_algorithm, min(dt, _UTC_END))
        if dt < _UTC_END:
            return signature, attrs
        fixed = cms.CMSAttributes(
            [
                simple_cms_attribute("signing_time", cms.Time({"generalized_time": dt}))
                if a["type"].native == "signing_time"
                else a
                for a in attrs
            ]
        )
        key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        hashed = get_pyca_cryptography_hash(md_algorithm.upper())
        return key.sign(fixed.dump(), padding.PKCS1v15(), hashed), fixed


_UTC_END = datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)


def local_timestamper(path: Path, phrase_file: Path, at: datetime | None = None) -> TimeStamper:
    """pyHanko's in-process timestamper with a key and certificate from a PKCS#12 file (the
    demo's ``tsa.p12``): for the demo and tests, never for a real archive. ``at`` fixes
    the time it stamps (the tests' controlled clock); None is the system clock."""
    key, cert, chain = pkcs12.load_key_and_certificates(
        _read(path, "timestamping PKCS#12 file"), passphrase(phrase_file)
    )
    if key is None or cert is None:
        raise SigningError(f"{path} holds no timestamping key and certificate")
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    embed = SimpleCertificateStore.from_certs(
        [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    )
    return LocalTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        certs_to_embed=embed,
        fixed_dt=at,
    )


def stamp_lines(key: SignerKey, position: str, when: datetime) -> list[str]:
    """What the visible stamp says: the signer's position and name, the certificate's
    serial number and validity, the kind of signature, and the time in the school's zone."""
    cert = key.signer.signing_cert
    lines = [f"{position}: {_common_name(key)}"]
    if cert is not None:
        valid = cert["tbs_certificate"]["validity"]
        start, end = (
            valid[k].native.astimezone(clock.SCHOOL_TZ) for k in ("not_before", "not_after")
        )
        lines.append(f"Сертификат № {cert.serial_number:X}")
        lines.append(f"действителен с {start:%d.%m.%Y} по {end:%d.%m.%Y}")
    lines.append("Электронная подпись (PAdES), 63-ФЗ")
    local = when.astimezone(clock.SCHOOL_TZ)
    lines.append(f"Подписано {local:%d.%m.%Y %H:%M:%S} ({_zone(local)})")
    return lines


def _common_name(key: SignerKey) -> str:
    cert = key.signer.signing_cert
    if cert is None:
        return "?"
    names = cert.subject.native
    return str(names.get("common_name") or key.subject)


def _zone(moment: datetime) -> str:
    """«Europe/Moscow, UTC+3»."""
    offset = moment.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    minutes = f":{rest:02d}" if rest else ""
    return f"{clock.SCHOOL_TZ.key}, UTC{hours:+d}{minutes}"


def _stamp(lines: Sequence[str]) -> TextStampStyle:
    # ``%`` is pyHanko's interpolation: the text is all ours, so it is escaped.
    return TextStampStyle(
        stamp_text="\n".join(line.replace("%", "%%") for line in lines),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(REGULAR)), font_size=7),
        border_width=1,
    )


def _last_page(data: bytes) -> tuple[float, float]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        box = [float(v) for v in pdf.pages[-1].mediabox]
    return box[2] - box[0], box[3] - box[1]


def sign_pdf(
    data: bytes,
    setup: SigningSetup,
    *,
    reason: str,
    location: str,
    positions: Mapping[str, str] | None = None,
) -> bytes:
    """Sign ``data`` (a PDF/A file) by every signer of ``setup`` in order; the last
    signature makes the file PAdES B-LTA. Each stamp sits in the band at the foot of the
    last page, inside it in either orientation (``stamp_boxes``), and names the signer's
    position (``positions`` by role, else ``ROLE_TITLES``). Returns the signed bytes."""
    # pyHanko warns on every signature that it will not fetch revocation data; with the
    # CRLs supplied offline that is the intended set-up, not news.
    logging.getLogger("pyhanko.sign.signers.pdf_signer").setLevel(
        logging.WARNING if setup.fetch_revocation else logging.ERROR
    )
    if not setup.signers:
        raise SigningError("no signer configured")
    context = setup.validation_context()
    boxes = stamp_boxes(*_last_page(data), len(setup.signers))
    for index, key in enumerate(setup.signers):
        last = index == len(setup.signers) - 1
        box = boxes[min(index, len(boxes) - 1)]
        position = (positions or {}).get(key.role) or ROLE_TITLES.get(key.role, key.role)
        meta = signers.PdfSignatureMetadata(
            field_name=f"Signature{index + 1}",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            embed_validation_info=True,
            use_pades_lta=last,
            validation_context=context,
        )
        pdf_signer = signers.PdfSigner(
            meta,
            key.signer,
            timestamper=setup.timestamper,
            stamp_style=_stamp(stamp_lines(key, position, datetime.now(UTC))),
            new_field_spec=fields.SigFieldSpec(
                sig_field_name=f"Signature{index + 1}", on_page=-1, box=box
            ),
        )
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data), strict=False))
        data = _bytes(out)
    return data


def _bytes(out: Any) -> bytes:
    value = out.getvalue()
    return bytes(value)
