"""A real SMTP server in the test process (``aiosmtpd``) that keeps what it accepted and can
be told how to answer (issue 18's notification tests and the bench)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One accepted message: envelope and parsed content."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


@dataclass
class Handler:
    """aiosmtpd's handler: accepts every message unless ``answers`` holds the answer to
    give to the next DATA (e.g. "451 4.3.0 try later"); ``before_data`` runs first (a test
    kills the sender there)."""

    accepted: list[Received] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    before_data: Callable[[int], bool] | None = None
    datas: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.datas += 1
            number = self.datas
            answer = self.answers.pop(0) if self.answers else ""
        if self.before_data is not None and not self.before_data(number):
            return "421 4.3.2 closing"  # the client is gone: nothing accepted
        if answer:
            return answer
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.accepted.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 OK queued as " + str(number)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[Handler, str]]:
    """A running server; yields its handler and its ``EJOURNAL_SMTP_URL`` (in the clear;
    ``options`` go to aiosmtpd: ``tls_context`` and ``authenticator`` for STARTTLS and AUTH,
    ``ssl_context`` for TLS from the first byte — then build the URL from the port)."""
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}?starttls=no&timeout=10"
    finally:
        controller.stop()
