"""``EJOURNAL_SMTP_URL`` with TLS and a password (issue 18): STARTTLS on ``smtp://`` (required:
a server that does not offer it gets nothing, not even the password), TLS from the first byte
on ``smtps://``, the school's own CA trusted with ``?cafile=``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from domain import clock
from ejournal.bootstrap import System
from tests.integration.test_notify import Wall, family, lesson_with_news, notifier, subscribe
from tests.school import LESSON_DAY, at
from tests.smtp import smtp_server


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Logins:
    """aiosmtpd's authenticator: accepts one login and password, remembers who signed in."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"journal@school.example",
            b"p@ss word",
        )
        if ok:
            self.seen.append(data.login.decode())
        return AuthResult(success=ok)


def _ready(system: System) -> None:
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)


def test_starttls_and_a_password_from_the_url(system: System, tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    logins = Logins()
    _ready(system)
    options = {"tls_context": server_context(cert, key), "require_starttls": True}
    with smtp_server(**options, authenticator=logins) as (handler, url):
        port = url.split(":")[2].split("?")[0]
        secure = f"smtp://journal%40school.example:p%40ss%20word@127.0.0.1:{port}?cafile={cert}"
        with clock.travel(at(LESSON_DAY, 11)):
            tally = notifier(system, secure, Wall()).run()
    assert (tally.sent, len(handler.accepted)) == (1, 1)
    assert logins.seen == ["journal@school.example"]


def test_smtp_without_starttls_on_offer_sends_nothing(system: System) -> None:
    _ready(system)
    with smtp_server() as (handler, url):
        required = url.replace("starttls=no&", "")  # STARTTLS required, none offered
        with clock.travel(at(LESSON_DAY, 11)):
            tally = notifier(system, required, Wall()).run()
    assert (tally.sent, tally.retried, handler.accepted) == (0, 1, [])
    (attempt,) = system.views.mail.record()
    assert "STARTTLS" in attempt.answer


def test_smtps_is_tls_from_the_first_byte(system: System, tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    _ready(system)
    with smtp_server(ssl_context=server_context(cert, key)) as (handler, url):
        port = url.split(":")[2].split("?")[0]
        with clock.travel(at(LESSON_DAY, 11)):
            tally = notifier(system, f"smtps://127.0.0.1:{port}?cafile={cert}", Wall()).run()
    assert (tally.sent, len(handler.accepted)) == (1, 1)
