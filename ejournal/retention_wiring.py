"""The retention engine's infrastructure: shredding through the keyring, purging the
views of destroyed series, and making the deleted bytes unrecoverable where the backend
allows (SQLite: secure_delete and a truncated WAL; PostgreSQL: VACUUM)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from ejournal.keyring import Keyring
from ejournal.keystore import PostgresKeyStore
from ejournal.settings import Settings
from ejournal.signers import configured, signing_setup
from projections.ledger import Ledger
from projections.service import Views
from retention.archive.signing import sign_pdf
from retention.ports import Infrastructure


class KeyringShredder:
    """``Shredder`` over the keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def key_id(self, series: str) -> str | None:
        row = self.keyring.store.by_series(series)
        return row.key_id if row else None

    def destroy(self, series: Sequence[str], certificate_id: str) -> list[str]:
        return self.keyring.destroy_many(series, certificate_id)


def _compact(settings: Settings, views: Views, keyring: Keyring) -> None:
    db = settings.database
    if db.backend == "sqlite":
        # secure_delete zeroed the deleted content in the pages; the WAL still holds the
        # pages as they were until it is checkpointed and truncated.
        conn = sqlite3.connect(db.path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return
    if isinstance(keyring.store, PostgresKeyStore):
        keyring.store.vacuum()
    schema = sql.Identifier(db.schema or "public")
    tables = [t.name for v in views.processor.views if v.name != "ledger" for t in v.tables]
    with psycopg.connect(db.conninfo(), autocommit=True) as pg:
        for table in tables:
            pg.execute(sql.SQL("VACUUM {}.{}").format(schema, sql.Identifier(table)))


def certificate_signer(settings: Settings, views: Views | None = None) -> Callable[[bytes], bytes]:
    """Signs acts (destruction, transfer, personal data) with the school's archive signers
    (PAdES B-LTA, the head of school, the stamp naming the head's position from the school's
    profile), read when an act is made; a deployment without a signing key writes them
    unsigned, as before (``ejournal keys demo`` makes a demo one)."""

    def sign(pdf: bytes) -> bytes:
        archive = settings.archiving
        if not configured(archive):
            return pdf
        profile = views.reads.school.profile(settings.school) if views is not None else None
        return sign_pdf(
            pdf,
            signing_setup(archive),
            reason="Акт (ejournal)",
            location=(profile.short_name if profile else "") or settings.school,
            positions={"head": profile.head_position}
            if profile and profile.head_position
            else None,
        )

    return sign


def infrastructure(
    settings: Settings, views: Views, keyring: Keyring, ledger: Ledger
) -> Infrastructure:
    """The ports of ``retention.service.Records`` for this deployment."""

    def purge() -> None:
        names = [v.name for v in views.processor.views if v.name != "ledger"]
        views.rebuild(names)
        _compact(settings, views, keyring)

    checkpoint: Callable[[], dict[str, Any]] = lambda: dataclasses.asdict(ledger.checkpoint())  # noqa: E731
    return Infrastructure(
        shredder=KeyringShredder(keyring),
        purge=purge,
        checkpoint=checkpoint,
        archive_dir=settings.archive_dir,
        certificates_dir=settings.certificates_dir,
        school=settings.school,
        transfers_dir=settings.var_dir / "transfers",
        signer=certificate_signer(settings, views),
    )
