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
    testing: bool = False
    school: str = "demo"  # the school's code (EJOURNAL_SCHOOL): part of a school year's id


@dataclass(frozen=True)
class Services:
    """The built application objects the pages use (journal commands, views, ledger)."""

    journal: Any
    views: Any
    ledger: Any
    records: Any = None

    @property
    def reads(self) -> Any:
        """Every read of the views, by feature (``projections.reads.Reads``)."""
        return self.views.reads
