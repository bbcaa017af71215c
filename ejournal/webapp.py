"""Build the web app from a built system: secret key, cookies, demo logins."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from domain.policies import Policies
from ejournal.bootstrap import System
from ejournal.filemodes import create_private_file, shared_key_problem
from web import Services, WebConfig, create_app


class SecretKeyError(Exception):
    """Raised when the session-signing secret's file is unreadable or too short."""


def read_secret_key(path: Path) -> bytes | None:
    """The session-signing secret in ``path``; ``None`` when there is no such file."""
    if not path.exists():
        return None
    problem = shared_key_problem(path, "web session secret")
    if problem:
        raise SecretKeyError(problem)
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
    with os.fdopen(create_private_file(path), "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_bytes().strip()


@dataclass(frozen=True)
class _PoliciesOnly:
    """Stands for the views where building the app reads only the policies."""

    policies: Policies


def check_web_app(policies: Policies) -> None:
    """Build the app once over no database and a throwaway secret, writing nothing, so that
    what only the app can tell — a route's permission that access.toml lacks
    (``UndeclaredPermission``) — refuses the start instead of answering 500."""
    services = Services(journal=None, views=_PoliciesOnly(policies), ledger=None)
    create_app(services, WebConfig(secret_key=secrets.token_bytes(32)))


def web_app(system: System, *, testing: bool = False) -> Flask:
    """The Flask app over ``system``."""
    settings = system.settings
    config = WebConfig(
        secret_key=secret_key(settings.secret_key_file),
        demo_logins=settings.demo_logins_file,
        secure_cookies=settings.secure_cookies,
        testing=testing,
        school=settings.school,
    )
    return create_app(Services(system.journal, system.views, system.ledger, system.records), config)
