"""``ejournal keys demo --gost``: a throwaway GOST test PKI made with OpenSSL and Debian's
GOST engine (``libengine-gost-openssl``): a root CA and the head of school's signing
certificate, GOST R 34.10-2012 256-bit keys (parameter set A), certificates signed with
GOST R 34.11-2012. The archive then writes a detached CMS signature ``FILE.pdf.sig`` beside
every volume and act (``retention.archive.gost``).

Like the RSA demo PKI, nothing here is fit for a real signature: the root's key sits beside
the certificates and the engine is not a certified crypto provider.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ejournal.filemodes import PRIVATE_FILE, create_private_file, private_dirs
from retention.archive.gost import ENGINE, GostUnavailable, openssl, require_engine

#: The files under the GOST PKI folder (``EJOURNAL_GOST_DIR``, default ``var/pki/gost``).
ROOT, ROOT_KEY, ROOT_PASS = "root.pem", "root-key.pem", "root.pass"
SIGNER, SIGNER_KEY, SIGNER_PASS = "signer.pem", "signer-key.pem", "signer.pass"
#: Lifetimes in days, like the RSA demo's: the root 20 years, the signer 3.
ROOT_DAYS, SIGNER_DAYS = 365 * 20, 365 * 3

CONFIG = """\
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
[dn]
[ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class GostPKI:
    """What ``make_gost_pki`` wrote."""

    folder: Path
    root: Path
    signer: Path
    key: Path
    passphrase: Path


class GostPKIError(Exception):
    """Raised when the GOST PKI cannot be made (no engine, it exists, OpenSSL failed)."""


def _subject(common: str, school: str) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("/", "\\/").replace("=", "\\=")

    return f"/C=RU/O={escape(f'Школа {school} (демо)')}/CN={escape(common)}"


def _run(*args: str) -> None:
    done = openssl(args)
    if done.returncode != 0:
        raise GostPKIError(f"openssl {args[0]}: {done.last_line}")


def _key(path: Path, passphrase: Path) -> None:
    _run(
        "genpkey", *ENGINE, "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A",
        "-aes-256-cbc", "-pass", f"file:{passphrase}", "-out", str(path),
    )  # fmt: skip
    path.chmod(PRIVATE_FILE)


def _passphrase(path: Path) -> None:
    with os.fdopen(create_private_file(path), "w") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")


def make_gost_pki(folder: Path, school: str, *, replace: bool = False) -> GostPKI:
    """Write ``root.pem`` (+ its key) and ``signer.pem`` with ``signer-key.pem`` and
    ``signer.pass`` (keys encrypted, 0600) into ``folder``.

    ``GostPKIError`` when ``folder`` holds one already (unless ``replace``) or OpenSSL has
    no GOST engine (how to install it is in the message)."""
    try:
        require_engine()
    except GostUnavailable as error:
        raise GostPKIError(str(error)) from None
    if (folder / ROOT).exists() and not replace:
        raise GostPKIError(f"{folder} already holds a GOST PKI (use --replace to make a new one)")
    private_dirs(folder)
    for old in (ROOT, ROOT_KEY, ROOT_PASS, SIGNER, SIGNER_KEY, SIGNER_PASS):
        (folder / old).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ejournal-gost-pki-") as work:
        config, request = Path(work) / "openssl.cnf", Path(work) / "signer.csr"
        config.write_text(CONFIG, encoding="utf-8")
        root_pass, root_key = folder / ROOT_PASS, folder / ROOT_KEY
        _passphrase(root_pass)
        _key(root_key, root_pass)
        _run(
            "req", *ENGINE, "-new", "-x509", "-key", str(root_key), "-passin",
            f"file:{root_pass}", "-md_gost12_256", "-days", str(ROOT_DAYS), "-utf8",
            "-subj", _subject("Корневой УЦ ГОСТ (демо)", school), "-config", str(config),
            "-extensions", "ca", "-set_serial", str(secrets.randbits(63)),
            "-out", str(folder / ROOT),
        )  # fmt: skip
        signer_pass, signer_key = folder / SIGNER_PASS, folder / SIGNER_KEY
        _passphrase(signer_pass)
        _key(signer_key, signer_pass)
        _run(
            "req", *ENGINE, "-new", "-key", str(signer_key), "-passin",
            f"file:{signer_pass}", "-md_gost12_256", "-utf8",
            "-subj", _subject("Директор (демо, ГОСТ)", school), "-config", str(config),
            "-out", str(request),
        )  # fmt: skip
        _run(
            "x509", *ENGINE, "-req", "-in", str(request), "-CA", str(folder / ROOT),
            "-CAkey", str(root_key), "-passin", f"file:{root_pass}", "-md_gost12_256",
            "-days", str(SIGNER_DAYS), "-set_serial", str(secrets.randbits(63)),
            "-extfile", str(config), "-extensions", "signer", "-out", str(folder / SIGNER),
        )  # fmt: skip
    return GostPKI(folder, folder / ROOT, folder / SIGNER, signer_key, signer_pass)
