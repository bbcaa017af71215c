"""Wiring of the annual archive: signers, timestamp authority and trust from the settings."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from ejournal.bootstrap import System
from ejournal.signers import (
    detached_signer,
    gost_roots,
    renew_demo_pki,
    renewal_setup,
    signing_setup,
    trust_roots,
)
from retention.archive.refresh import Refresher, Renewal
from retention.archive.service import Archiver

__all__ = ["archiver", "gost_roots", "refresher", "renewal", "signing_setup", "trust_roots"]


def refresher(system: System) -> Refresher:
    """The long-term-validation refresh of a built system's archive."""
    settings = system.settings.archiving
    margin = timedelta(days=settings.refresh_margin_days)
    return Refresher(system.journal, system.views, settings.folder, margin)


def renewal(system: System) -> Renewal:
    """What ``Refresher.run`` calls when a file is due: the demo PKI renews its CRL and TSA
    certificate when they end within the margin, then the TSA and the validation context
    at the clock's time."""
    settings = system.settings.archiving

    def make():  # type: ignore[no-untyped-def]
        now = clock.now()
        renew_demo_pki(settings, system.settings.school, now, fresh_crl=True)
        stamper, context, _ = renewal_setup(settings, now)
        return stamper, context

    return make


def archiver(system: System) -> Archiver:
    """The archive service of a built system."""
    settings = system.settings.archiving
    renew_demo_pki(settings, system.settings.school, clock.now())
    hook = detached_signer(settings)
    return Archiver(
        system.journal,
        system.views,
        system.ledger,
        signing_setup(settings),
        settings.folder,
        hook,
    )
