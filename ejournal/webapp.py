"""Build the web app from a built system: secret key, cookies, demo logins."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from ejournal.bootstrap import System
from ejournal.keystore import DEMO_SEEDED
from web import Services, WebConfig, create_app


class SecretKeyError(Exception):
    """Raised when the session-signing secret's file is unreadable or too short."""


def read_secret_key(path: Path) -> bytes | None:
    """The session-signing secret in ``path``; ``None`` when there is no such file."""
    if not path.exists():
        return None
    try:
        value = path.read_bytes().strip()
    except OSError as error:
        raise SecretKeyError(f"web session secret {path} is unreadable: {error.strerror}") from None
    if len(value) < 32:
        raise SecretKeyError(f"web session secret {path} is too short (32 characters at least)")
    return value


def secret_key(path: Path) -> bytes:
    """The session-signing secret (0600), generated on first use."""
    found = read_secret_key(path)
    if found is not None:
        return found
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_bytes().strip()


def web_app(system: System, *, testing: bool = False) -> Flask:
    """The Flask app over ``system``."""
    settings = system.settings
    # The demo logins only in a deployment that ``ejournal demo`` seeded (its mark in the
    # database), never because a demo-logins file happens to lie in var/.
    seeded = system.keyring.store.meta(DEMO_SEEDED) is not None
    config = WebConfig(
        secret_key=secret_key(settings.secret_key_file),
        demo_logins=settings.demo_logins_file if seeded else None,
        secure_cookies=settings.secure_cookies,
        testing=testing,
        school=settings.school,
    )
    return create_app(Services(system.journal, system.views, system.ledger, system.records), config)
