"""Build the web app from a built system: secret key, cookies, demo logins."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import cast

from flask import Flask

from domain.journal import Journal
from domain.policies import Policies
from ejournal.bootstrap import System
from ejournal.documents import Maker
from ejournal.filemodes import create_private_file, shared_key_problem
from ejournal.keystore import DEMO_SEEDED
from ejournal.settings import SettingsError
from projections import sessions as server_sessions
from projections.ledger import Ledger
from retention.service import Records
from web import Services, WebConfig, create_app
from web.config import PageViews
from web.limits import limits_from


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


def check_web_app(policies: Policies) -> None:
    """Build the app once over no database and a throwaway secret, writing nothing, so that
    what only the app can tell — a route's permission that access.toml lacks
    (``UndeclaredPermission``) — refuses the start instead of answering 500."""
    # Building the app reads only the policies: the rest is used by requests, and none is made.
    services = Services(
        journal=cast(Journal, None),
        views=cast(PageViews, None),
        ledger=cast(Ledger, None),
        records=cast(Records, None),
        policies=policies,
        sessions=cast(server_sessions.SessionStore, None),
        counters=cast(server_sessions.RateCounters, None),
    )
    create_app(services, WebConfig(secret_key=secrets.token_bytes(32)))


def web_app(system: System, *, testing: bool = False, cookie_path: str = "/") -> Flask:
    """The Flask app over ``system`` (``cookie_path``: where it is mounted, ADR 0027)."""
    settings = system.settings
    try:
        limits_from(settings.rate_limits)
    except ValueError as error:
        raise SettingsError(f"EJOURNAL_RATE_LIMITS: {error}") from None
    # The demo logins only in a deployment that ``ejournal demo`` seeded (its mark in the
    # database), never because a demo-logins file happens to lie in var/.
    seeded = system.keyring.store.meta(DEMO_SEEDED) is not None
    config = WebConfig(
        secret_key=secret_key(settings.secret_key_file),
        demo_logins=settings.demo_logins_file if seeded else None,
        secure_cookies=settings.secure_cookies,
        testing=testing,
        school=settings.school,
        rate_limits=settings.rate_limits,
        refresh_margin_days=settings.archiving.refresh_margin_days,
        cookie_path=cookie_path,
    )
    return create_app(services_of(system, config), config)


def services_of(system: System, config: WebConfig) -> Services:
    """What the pages use of ``system``, with the server-side sessions and the rate-limit
    counters in the views' database (ADR 0012; their tables made here if missing)."""
    views = system.views
    server_sessions.setup(views.db)
    return Services(
        journal=system.journal,
        views=views,
        ledger=system.ledger,
        records=system.records,
        policies=system.policies,
        sessions=server_sessions.SessionStore(
            views.db,
            views.sealer,
            idle_seconds=config.idle_minutes * 60,
            absolute_seconds=config.absolute_hours * 3600,
        ),
        counters=server_sessions.RateCounters(views.db, config.secret_key),
        documents=Maker(system),
    )
