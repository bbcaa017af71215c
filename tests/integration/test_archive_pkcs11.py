"""The head's key on a PKCS#11 token (SoftHSM2 stands in for a Rutoken or an HSM): the
archive signs through it, and pyHanko's validator accepts the result."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Attribute, CertificateType, ObjectClass
from pkcs11.util.rsa import decode_rsa_private_key

from ejournal.archiving import signing_setup, trust_roots
from ejournal.pki import make_demo_pki
from ejournal.settings import ArchiveSettings
from retention.archive import pdfa
from retention.archive.pager import Pager
from retention.archive.signing import passphrase, sign_pdf
from retention.archive.verify import Report, check_signatures
from tests.archive_helpers import pyhanko_adesverify

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN, KEY = "ejournal-test", "4321", "head-of-school"


def _token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, p12: Path, phrase: Path) -> None:
    """A fresh SoftHSM token holding the head's key and certificate from the demo PKI."""
    if not SOFTHSM.exists() or not shutil.which("softhsm2-util"):
        pytest.fail("SoftHSM2 is not installed (Debian softhsm2; .ci/run installs it)")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            "87654321",
        ],
        check=True,
        capture_output=True,
    )
    key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase(phrase))
    assert key is not None and cert is not None
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        attrs = decode_rsa_private_key(der_key)
        attrs.update(
            {
                Attribute.LABEL: KEY,
                Attribute.ID: b"\x01",
                Attribute.TOKEN: True,
                Attribute.SIGN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
            }
        )
        session.create_object(attrs)
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.LABEL: KEY,
                Attribute.ID: b"\x01",
                Attribute.TOKEN: True,
            }
        )


def test_the_head_signs_with_a_key_on_a_pkcs11_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = make_demo_pki(tmp_path / "pki", "test")
    _token(tmp_path, monkeypatch, pki.pkcs12["head"], pki.passphrases["head"])
    (tmp_path / "pin").write_text(PIN + "\n")
    (tmp_path / "pki" / "head.p12").unlink()  # the key is on the token only
    settings = ArchiveSettings.from_env(
        {
            "EJOURNAL_PKI_DIR": str(pki.folder),
            "EJOURNAL_SIGNER_PKCS11_LIB": str(SOFTHSM),
            "EJOURNAL_SIGNER_PKCS11_TOKEN": TOKEN,
            "EJOURNAL_SIGNER_PKCS11_KEY": KEY,
            "EJOURNAL_SIGNER_PKCS11_PIN_FILE": str(tmp_path / "pin"),
        },
        tmp_path,
    )
    pager = Pager("Проба", "Проба", author="Школа", subject="ledger-size=1")
    pager.heading("Подпись ключом на токене")
    signed = tmp_path / "signed.pdf"
    setup = signing_setup(settings)
    assert setup.signers[0].subject.startswith("Common Name: Директор (демо)")
    signed.write_bytes(sign_pdf(pdfa.make_pdfa(pager.finish()), setup, reason="r", location="l"))
    report = Report("")
    check_signatures(signed.read_bytes(), trust_roots(settings), report)
    assert report.ok, report.checks
    assert pyhanko_adesverify(signed, pki.root) == 0
