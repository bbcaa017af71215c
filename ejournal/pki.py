"""``ejournal keys demo``: a throwaway PKI for the demo and the tests, made locally.

A root CA, the head of school's and a class teacher's signing certificates (RSA-2048,
SHA-256: ECDSA would relabel the signed file as PDF 2.0 and break PDF/A-2b), a timestamping
certificate for the in-process demo timestamp authority, and the root's certificate
revocation list. The CRL is what lets a PAdES B-LT/B-LTA signature carry its own revocation
data offline: the certificates name a distribution point that is never fetched, the signer
embeds the CRL file instead.

Nothing here is fit for a real signature: the root's key sits beside the certificates.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Where the demo certificates say their revocation list lives (never fetched: embedded).
CRL_URL = "http://pki.ejournal.invalid/root.crl"
#: The file names ``keys demo`` writes under the PKI directory.
ROOT_PEM, ROOT_KEY, ROOT_CRL = "root.pem", "root-key.pem", "root.crl"
#: The lifetimes the demo PKI was made with (days, JSON), reused when it renews itself.
LIFETIMES = "lifetimes.json"
HOLDERS = {
    "head": "Директор (демо)",
    "class-teacher": "Классный руководитель (демо)",
    "tsa": "Служба штампов времени (демо)",
}


@dataclass(frozen=True)
class Lifetimes:
    """How long each demo certificate and the revocation list live. The defaults are like a
    real CA's: the root 20 years, signers 3 years, the timestamping certificate 10 years,
    and a CRL whose next update is 4 weeks away (``archive refresh`` issues the next one)."""

    root: timedelta = timedelta(days=365 * 20)
    signer: timedelta = timedelta(days=365 * 3)
    tsa: timedelta = timedelta(days=365 * 10)
    crl: timedelta = timedelta(weeks=4)


class PKIError(Exception):
    """Raised when the demo PKI cannot be written (it exists already, or the folder is bad)."""


@dataclass(frozen=True)
class DemoPKI:
    """What ``make_demo_pki`` wrote: the folder and each holder's PKCS#12 file."""

    folder: Path
    root: Path
    crl: Path
    pkcs12: dict[str, Path]
    passphrases: dict[str, Path]


def _name(common: str, school: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Школа {school} (демо)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _root(
    school: str, now: datetime, life: timedelta
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("Корневой УЦ (демо)", school)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + life)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    role: str,
    school: str,
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    now: datetime,
    life: timedelta,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(HOLDERS[role], school))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(min(now + life, root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(CRL_URL)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    )
    if role == "tsa":
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(_usage(sign=True, ca=False), critical=True)
    return key, builder.sign(root_key, hashes.SHA256())


def _crl(
    root_key: rsa.RSAPrivateKey, root: x509.Certificate, now: datetime, life: timedelta
) -> bytes:
    # Short-lived like a real CA's: ``issue_crl`` publishes the next one (``archive
    # refresh`` and ``close-year`` call it for the demo PKI when the current one is stale).
    number = int(now.timestamp())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now)
        .next_update(now + life)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def make_demo_pki(
    folder: Path,
    school: str,
    *,
    replace: bool = False,
    now: datetime | None = None,
    lifetimes: Lifetimes = Lifetimes(),
) -> DemoPKI:
    """Write a fresh demo PKI into ``folder``: ``root.pem``, ``root-key.pem``, ``root.crl``,
    and ``ROLE.p12`` with ``ROLE.pass`` (mode 0600) for head, class-teacher and tsa, valid
    from ``now`` (the clock) for ``lifetimes``.

    Raises ``PKIError`` when ``folder`` already holds one and ``replace`` is not set."""
    if (folder / ROOT_PEM).exists() and not replace:
        raise PKIError(f"{folder} already holds a PKI (use --replace to make a new one)")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for old in [
        ROOT_PEM,
        ROOT_KEY,
        ROOT_CRL,
        *(f"{r}.{e}" for r in HOLDERS for e in ("p12", "pass")),
    ]:
        (folder / old).unlink(missing_ok=True)
    now = now or datetime.now(UTC)
    root_key, root = _root(school, now, lifetimes.root)
    _write(folder / ROOT_PEM, root.public_bytes(serialization.Encoding.PEM))
    _write(
        folder / ROOT_KEY,
        root_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        0o600,
    )
    _write(folder / ROOT_CRL, _crl(root_key, root, now, lifetimes.crl))
    (folder / LIFETIMES).unlink(missing_ok=True)
    days = {k: v.total_seconds() / 86400 for k, v in vars(lifetimes).items()}
    _write(folder / LIFETIMES, json.dumps(days).encode())
    files, passes = {}, {}
    for role in HOLDERS:
        life = lifetimes.tsa if role == "tsa" else lifetimes.signer
        files[role], passes[role] = _holder(folder, role, school, root_key, root, now, life)
    return DemoPKI(folder, folder / ROOT_PEM, folder / ROOT_CRL, files, passes)


def _holder(
    folder: Path,
    role: str,
    school: str,
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    now: datetime,
    life: timedelta,
) -> tuple[Path, Path]:
    key, cert = _leaf(role, school, root_key, root, now, life)
    phrase = secrets.token_urlsafe(18)
    blob = pkcs12.serialize_key_and_certificates(
        role.encode(), key, cert, [root], serialization.BestAvailableEncryption(phrase.encode())
    )
    p12, pass_file = folder / f"{role}.p12", folder / f"{role}.pass"
    for old in (p12, pass_file):
        old.unlink(missing_ok=True)
    _write(p12, blob, 0o600)
    _write(pass_file, phrase.encode() + b"\n", 0o600)
    return p12, pass_file


def _root_of(folder: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        root = x509.load_pem_x509_certificate((folder / ROOT_PEM).read_bytes())
        key = serialization.load_pem_private_key((folder / ROOT_KEY).read_bytes(), None)
    except (OSError, ValueError) as error:
        raise PKIError(f"{folder} holds no demo root and its key: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PKIError(f"{folder / ROOT_KEY} is not an RSA key")
    return key, root


def lifetimes_of(folder: Path) -> Lifetimes:
    """The lifetimes ``folder``'s demo PKI was made with (the defaults when not recorded)."""
    try:
        days = json.loads((folder / LIFETIMES).read_text())
        return Lifetimes(**{k: timedelta(days=float(v)) for k, v in days.items()})
    except (OSError, ValueError, TypeError):
        return Lifetimes()


def has_root_key(folder: Path) -> bool:
    """True when ``folder`` is a demo PKI whose root key lies beside it (so it can issue
    its own CRLs and timestamping certificates)."""
    return (folder / ROOT_KEY).is_file() and (folder / ROOT_PEM).is_file()


def issue_crl(folder: Path, now: datetime, life: timedelta | None = None) -> Path:
    """Publish the demo root's next CRL (``root.crl``), valid from ``now`` for ``life``: what
    a real CA does on schedule and a real archive fetches."""
    key, root = _root_of(folder)
    life = life or lifetimes_of(folder).crl
    path = folder / ROOT_CRL
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    _write(temporary, _crl(key, root, now, life))
    os.replace(temporary, path)
    return path


def crl_next_update(path: Path) -> datetime | None:
    """When the CRL in ``path`` says the next one is due (None when it cannot be read)."""
    try:
        data = path.read_bytes()
        crl = (
            x509.load_pem_x509_crl(data)
            if data.startswith(b"-----")
            else x509.load_der_x509_crl(data)
        )
    except (OSError, ValueError):
        return None
    return crl.next_update_utc


def renew_tsa(folder: Path, school: str, now: datetime, life: timedelta | None = None) -> Path:
    """Give the demo timestamp authority a new key and certificate from ``now`` (what a real
    TSA does before its certificate expires); returns ``tsa.p12``."""
    key, root = _root_of(folder)
    life = life or lifetimes_of(folder).tsa
    return _holder(folder, "tsa", school, key, root, now, life)[0]


def tsa_not_after(folder: Path) -> datetime | None:
    """When the demo TSA's certificate (``tsa.p12``) ends (None when unreadable)."""
    try:
        phrase = (folder / "tsa.pass").read_bytes().splitlines()[0]
        _, cert, _ = pkcs12.load_key_and_certificates((folder / "tsa.p12").read_bytes(), phrase)
    except (OSError, ValueError, IndexError):
        return None
    return cert.not_valid_after_utc if cert is not None else None
