"""The retention engine's infrastructure: shredding through the keyring, purging the
views of destroyed series, and making the deleted bytes unrecoverable where the backend
allows (SQLite: secure_delete and a truncated WAL; PostgreSQL: VACUUM)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ejournal.keyring import Keyring
from ejournal.keystore import PostgresKeyStore
from ejournal.settings import Settings
from projections.ledger import Ledger, public_pem
from projections.service import Views
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
        from ejournal.signers import configured, signing_setup  # pyhanko: only when signing
        from retention.archive.signing import sign_pdf

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


def sign_beside(settings: Settings) -> Callable[[Path], Path | None]:
    """Writes ``FILE.sig`` beside an act (GOST route or the external-signer hook, read when
    the act is written); None returned when neither is configured."""

    def sign(path: Path) -> Path | None:
        from ejournal.signers import detached_signer

        signer = detached_signer(settings.archiving)
        return signer.sign(path).path if signer is not None else None

    return sign


def transfer_extras(settings: Settings, ledger: Ledger) -> Callable[[], dict[str, bytes]]:
    """What lets the receiving archive check a package on its own: the ledger's public key
    (for the checkpoints), the trust roots (PAdES and GOST) and the revocation lists."""

    def extras() -> dict[str, bytes]:
        from ejournal.signers import gost_roots

        archive = settings.archiving
        found = {"ledger/ledger-public-key.pem": public_pem(ledger.public).encode()}
        for index, path in enumerate(p for p in archive.trust_roots if p.exists()):
            found[f"trust/root-{index + 1}.pem"] = path.read_bytes()
        for index, path in enumerate(gost_roots(archive)):
            found[f"trust/gost-root-{index + 1}.pem"] = path.read_bytes()
        for index, path in enumerate(p for p in archive.crl_files if p.exists()):
            found[f"trust/crl-{index + 1}.crl"] = path.read_bytes()
        return found

    return extras


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
        sign_beside=sign_beside(settings),
        transfer_extras=transfer_extras(settings, ledger),
    )
