"""What the web app needs from the composition root (``web`` may not import ``ejournal``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol
from uuid import UUID

from domain.journal import Journal
from domain.policies import Policies
from projections.ledger import Ledger
from projections.mail import MailOutbox
from projections.processor import ViewStatus
from projections.reads import Reads
from projections.seen import SeenPositions
from projections.sessions import RateCounters, SessionStore
from projections.sqlstore import StandbyLag
from projections.views.grid import Codes
from retention.service import Records


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
    #: ``archive refresh`` renews a volume this many days before its signatures stop
    #: verifying on their own (EJOURNAL_ARCHIVE_REFRESH_MARGIN_DAYS).
    refresh_margin_days: int = 14
    #: The path the session cookie is sent to: ``/s/CODE/`` for a school of a regional
    #: deployment (ADR 0027), so a sign-in in one school is never sent to another.
    cookie_path: str = "/"


class PageViews(Protocol):
    """What the pages use of the views (``projections.service.Views``): the reads, one
    transaction per request, and read-your-writes after a command. Not ``read`` nor
    ``reader``: a page reads through ``reads`` (one read API), never with a query
    function or a raw reader."""

    @property
    def reads(self) -> Reads:
        """Every read of the views, by feature."""

    @property
    def seen(self) -> SeenPositions:
        """«Что нового»: how far each account has seen each diary (ADR 0017)."""

    @property
    def mail(self) -> MailOutbox:
        """The e-mail outbox and its delivery record (ADR 0023)."""

    def pinned(self) -> AbstractContextManager[None]:
        """The reads of this thread share one transaction within the block."""

    def reading_codes(self, *, allowed: bool) -> AbstractContextManager[Codes]:
        """Within the block attendance codes are opened for a reader who may (``allowed``)
        or may not see the sensitive ones (``policies/attendance.toml``)."""

    def status(self) -> list[ViewStatus]:
        """Position and lag of every view (``/healthz``)."""

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until the views have processed ``position``."""

    def nudge(self) -> None:
        """Catch up after a command (in-process mode)."""

    def catch_up(self) -> int:
        """Process every new event into every view."""

    @property
    def has_standby(self) -> bool:
        """Whether a hot standby serves some pages' reads (ADR 0028)."""

    def route_reads(self, after: str | None) -> None:
        """Serve this request's reads from the standby once it has replayed ``after``."""

    def write_position(self) -> str:
        """The primary's WAL position now (remembered after a write)."""

    def standby_lag(self) -> StandbyLag | None:
        """The standby's lag behind the primary (``/healthz``); None without one."""


class RegulationDocuments(Protocol):
    """The school's regulations made from the approved policies (``ejournal.documents``):
    what the head's page lists and downloads (ADR 0025)."""

    #: File stem → Russian title, in order.
    titles: dict[str, str]

    def make(self, stem: str, as_of: date | None, actor: UUID) -> tuple[str, bytes]:
        """One document as signed PDF/A, recorded as issued to ``actor``: (file name,
        bytes); ``LookupError`` saying why when no version of the policies is approved."""

    def running_differs(self) -> bool:
        """True when the running policy files are not the latest approved version."""


@dataclass(frozen=True)
class Services:
    """The built application objects the pages use.

    ``views`` is a Protocol (``PageViews``): it states the little the pages need of the
    views and keeps ``read``/``reader`` out of their reach. The others are the concrete
    classes: the pages use most of the journal's command groups, of the records service
    and of the ledger's page API, each with one implementation, so a Protocol would only
    restate them."""

    journal: Journal  # the commands, by group (``journal.entry.record_marks(...)``)
    views: PageViews
    ledger: Ledger
    records: Records  # retention: the records register, dispositions, the year's close
    policies: Policies  # the journal's regulation (``policies/*.toml``)
    #: Server-side sessions and the rate-limit counters, in the views' database (ADR 0012).
    sessions: SessionStore
    counters: RateCounters
    #: The regulations generated from the approved policies (None: not wired, e.g. a test).
    documents: RegulationDocuments | None = None

    @property
    def reads(self) -> Reads:
        """Every read of the views, by feature (``projections.reads``)."""
        return self.views.reads
