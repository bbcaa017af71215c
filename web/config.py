"""What the web app needs from the composition root (``web`` may not import ``ejournal``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WebConfig:
    """Settings of the web app."""

    secret_key: bytes
    demo_logins: Path | None = None
    secure_cookies: bool = False
    idle_minutes: int = 30
    absolute_hours: int = 12  # a session ends this long after sign-in, however used
    #: Overrides of ``web.limits.DEFAULTS``: (name, count, seconds) — EJOURNAL_RATE_LIMITS.
    rate_limits: tuple[tuple[str, int, int], ...] = ()
    testing: bool = False
    school: str = "demo"  # the school's code (EJOURNAL_SCHOOL): part of a school year's id


@dataclass(frozen=True)
class Services:
    """The built application objects the pages use (journal commands, views, ledger)."""

    journal: Any
    views: Any
    ledger: Any
    records: Any = None
