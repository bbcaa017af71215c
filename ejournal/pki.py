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
HOLDERS = {
    "head": "Директор (демо)",
    "class-teacher": "Классный руководитель (демо)",
    "tsa": "Служба штампов времени (демо)",
}


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


def _root(school: str, now: datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("Корневой УЦ (демо)", school)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    role: str, school: str, root_key: rsa.RSAPrivateKey, root: x509.Certificate, now: datetime
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(HOLDERS[role], school))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 3))
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


def _crl(root_key: rsa.RSAPrivateKey, root: x509.Certificate, now: datetime) -> bytes:
    # Long-lived on purpose: the demo signs for years without re-issuing it. A real CA
    # publishes short-lived CRLs or OCSP, fetched at signing time.
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=365 * 3))
        .add_extension(x509.CRLNumber(1), critical=False)
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


def make_demo_pki(folder: Path, school: str, *, replace: bool = False) -> DemoPKI:
    """Write a fresh demo PKI into ``folder``: ``root.pem``, ``root-key.pem``, ``root.crl``,
    and ``ROLE.p12`` with ``ROLE.pass`` (mode 0600) for head, class-teacher and tsa.

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
    now = datetime.now(UTC)
    root_key, root = _root(school, now)
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
    _write(folder / ROOT_CRL, _crl(root_key, root, now))
    files, passes = {}, {}
    for role in HOLDERS:
        key, cert = _leaf(role, school, root_key, root, now)
        phrase = secrets.token_urlsafe(18)
        blob = pkcs12.serialize_key_and_certificates(
            role.encode(), key, cert, [root], serialization.BestAvailableEncryption(phrase.encode())
        )
        files[role], passes[role] = folder / f"{role}.p12", folder / f"{role}.pass"
        _write(files[role], blob, 0o600)
        _write(passes[role], phrase.encode() + b"\n", 0o600)
    return DemoPKI(folder, folder / ROOT_PEM, folder / ROOT_CRL, files, passes)
