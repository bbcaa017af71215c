"""Wiring of the annual archive: signers, timestamp authority and trust from the settings."""

from __future__ import annotations

from ejournal.bootstrap import System
from ejournal.signers import signing_setup, trust_roots
from retention.archive.detached import DetachedSigner
from retention.archive.service import Archiver

__all__ = ["archiver", "signing_setup", "trust_roots"]


def archiver(system: System) -> Archiver:
    """The archive service of a built system."""
    settings = system.settings.archiving
    hook = DetachedSigner(settings.detached_signer) if settings.detached_signer else None
    return Archiver(
        system.journal,
        system.views,
        system.ledger,
        signing_setup(settings),
        settings.folder,
        hook,
    )
