"""SMTP for the notifications (issue 18): the settings of ``EJOURNAL_SMTP_URL`` and a
connection that sends one message and returns the server's answer (standard ``smtplib``).

``smtp://[USER:PASSWORD@]HOST[:PORT]`` — port 587 by default, STARTTLS required (the
connection is refused when the server does not offer it); ``?starttls=no`` sends in the
clear, for a relay on the same machine only. ``smtps://…`` — TLS from the first byte, port
465 by default. ``?cafile=PATH`` trusts that CA (a school's own relay) besides the system's.
Nothing here logs an address or a message body.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import parse_qs, unquote, urlsplit

from ejournal.settings import SettingsError

#: A connection refused, reset or timed out: a temporary failure, tried again later.
TEMPORARY = 0


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed ``EJOURNAL_SMTP_URL``."""

    tls: str  # "ssl" (smtps), "starttls" or "none"
    host: str
    port: int
    user: str = ""
    password: str = ""
    cafile: str = ""
    timeout: float = 30.0

    @classmethod
    def parse(cls, url: str) -> SmtpSettings:
        """``SettingsError`` naming the variable for a URL that is not one of the above."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        unknown = set(query) - {"starttls", "cafile", "timeout"}
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or unknown:
            raise SettingsError(
                "EJOURNAL_SMTP_URL: expected smtp://[USER:PASSWORD@]HOST[:PORT][?starttls=no] "
                "or smtps://…"
            )
        starttls = (query.get("starttls") or ["yes"])[0]
        if starttls not in ("yes", "no"):
            raise SettingsError("EJOURNAL_SMTP_URL: starttls=yes or starttls=no")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
            timeout = float((query.get("timeout") or ["30"])[0])
        except ValueError:
            raise SettingsError("EJOURNAL_SMTP_URL: bad port or timeout") from None
        tls = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls == "yes" else "none")
        return cls(
            tls,
            parts.hostname,
            port,
            unquote(parts.username or ""),
            unquote(parts.password or ""),
            (query.get("cafile") or [""])[0],
            timeout,
        )

    @property
    def shown(self) -> str:
        """The URL without the password (``ejournal info``, errors)."""
        who = f"{self.user}:***@" if self.user else ""
        scheme = "smtps" if self.tls == "ssl" else "smtp"
        return f"{scheme}://{who}{self.host}:{self.port}" + (
            "?starttls=no" if self.tls == "none" else ""
        )


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom the notifications are sent."""

    smtp: SmtpSettings | None
    sender: str
    public_url: str
    lease_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MailSettings:
        """``EJOURNAL_SMTP_URL`` (unset: nothing is sent), ``EJOURNAL_MAIL_FROM``,
        ``EJOURNAL_PUBLIC_URL`` (the links in the messages), ``EJOURNAL_NOTIFY_LEASE_SECONDS``."""
        url = env.get("EJOURNAL_SMTP_URL") or ""
        sender = env.get("EJOURNAL_MAIL_FROM") or "ejournal@localhost"
        if "@" not in sender or any(c in sender for c in "<>\r\n "):
            raise SettingsError("EJOURNAL_MAIL_FROM: an address like journal@school.example")
        public = (env.get("EJOURNAL_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
        if not public.startswith(("http://", "https://")):
            raise SettingsError("EJOURNAL_PUBLIC_URL: http(s)://HOST[:PORT] of the web UI")
        try:
            lease = float(env.get("EJOURNAL_NOTIFY_LEASE_SECONDS") or "300")
        except ValueError:
            lease = 0.0
        if not 0.5 <= lease <= 86400:
            raise SettingsError("EJOURNAL_NOTIFY_LEASE_SECONDS: seconds from 0.5 to 86400")
        return cls(SmtpSettings.parse(url) if url else None, sender, public, lease)

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID."""
        return self.sender.rsplit("@", 1)[1]


@dataclass(frozen=True)
class Answer:
    """The server's answer to one message: ``code`` 0 when there was no answer (no
    connection, a timeout, the connection dropped)."""

    code: int
    text: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        """A 5xx answer: sending the same message again will not help."""
        return 500 <= self.code < 600


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


class SmtpConnection:
    """One SMTP session: open, send messages one by one, close."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.cafile:
            context.load_verify_locations(self.settings.cafile)
        return context

    def open(self) -> Answer | None:
        """Connect, secure and authenticate; an ``Answer`` saying why not, or None."""
        s = self.settings
        try:
            if s.tls == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            client.ehlo()
            if s.tls == "starttls":
                if not client.has_extn("starttls"):
                    client.close()
                    return Answer(TEMPORARY, "сервер не предлагает STARTTLS")
                client.starttls(context=self._context())
                client.ehlo()
            if s.user:
                client.login(s.user, s.password)
        except smtplib.SMTPAuthenticationError as error:
            return Answer(error.smtp_code, _text(error.smtp_error))
        except smtplib.SMTPResponseException as error:
            return Answer(error.smtp_code, _text(error.smtp_error))
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            return Answer(TEMPORARY, f"нет соединения: {type(error).__name__}")
        self.client = client
        return None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> Answer:
        """Send one message: the server's answer to its DATA (or to the command it
        refused). The session stays usable after a refusal (RSET)."""
        client = self.client
        if client is None:
            return Answer(TEMPORARY, "нет соединения")
        try:
            code, text = client.mail(sender)
            if code == 250:
                code, text = client.rcpt(recipient)
            if code not in (250, 251):
                client.rset()
                return Answer(code, _text(text))
            code, text = client.data(message.as_bytes(policy=SMTP))
            return Answer(code, _text(text))
        except smtplib.SMTPResponseException as error:
            self._reset()
            return Answer(error.smtp_code, _text(error.smtp_error))
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            return Answer(TEMPORARY, f"соединение прервано: {type(error).__name__}")

    def _reset(self) -> None:
        try:
            if self.client is not None:
                self.client.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        """Say QUIT (or just drop the connection)."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (TimeoutError, OSError, smtplib.SMTPException):
            client.close()
