"""Build the running system from settings: policies, keyring, encrypting mapper, journal.

Nothing is wired at import time; the CLI, the web server, tests and benchmarks each call
``build(settings)`` and close what they built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from domain.journal import Journal
from domain.policies import Policies
from ejournal.keyring import Keyring, load_or_create_master_key
from ejournal.keystore import KeyStore, PostgresKeyStore, SQLiteKeyStore
from ejournal.mapper import EncryptingMapper
from ejournal.policyfiles import load_policies
from ejournal.retention_wiring import infrastructure
from ejournal.settings import DatabaseURL, Settings
from ejournal.signing import load_or_create_signing_key
from ejournal.viewdb import (
    KeyringSealer,
    PostgresViewDatabase,
    SQLiteViewDatabase,
    view_database,
)
from projections import registry
from projections.ledger import Ledger
from projections.processor import Processor
from projections.service import Views
from retention.service import Records


@dataclass
class System:
    """Everything ``build`` made; ``close()`` releases connections."""

    settings: Settings
    policies: Policies
    keyring: Keyring
    journal: Journal
    views: Views
    view_db: SQLiteViewDatabase | PostgresViewDatabase
    ledger: Ledger
    records: Records

    def close(self) -> None:
        """Close the event store, views and keyring connections."""
        self.journal.close()
        self.view_db.close()
        self.keyring.store.close()

    def __enter__(self) -> System:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _prepare_database(db: DatabaseURL) -> KeyStore:
    if db.backend == "sqlite":
        Path(db.path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteKeyStore(db.path)
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema or "public"))
        )
    return PostgresKeyStore(db)


def build(settings: Settings, policies: Policies | None = None) -> System:
    """Validate the policies, open the database and keyring, and build the journal.

    Raises ``PolicyError``, ``KeyringError``, ``SettingsError`` or a database error before
    anything is written when something is wrong."""
    policies = policies or load_policies(settings.policies_dir)
    store = _prepare_database(settings.database)
    try:
        master = load_or_create_master_key(settings.master_key_file, store)
        keyring = Keyring(store, master, recheck_seconds=settings.key_recheck_seconds)
        journal = Journal(
            policies,
            env=settings.database.eventsourcing_env(),
            cache_size=settings.aggregate_cache,
            mapper_factory=lambda transcoder: EncryptingMapper(transcoder, keyring),
        )
        keyring.forget_listeners.append(journal.forget_cached)
        journal.load_listeners.append(keyring.refresh)
        view_db = view_database(settings.database)
    except BaseException:
        store.close()
        raise
    sealer = KeyringSealer(keyring)
    processor = Processor(
        registry.ALL,
        journal.recorder,
        journal.mapper,
        view_db,
        sealer,
        batch_size=settings.view_batch_size,
    )
    processor.setup()
    views = Views(processor, view_db, sealer, policies)
    ledger = Ledger(
        processor,
        load_or_create_signing_key(settings.ledger_key_file),
        every_events=settings.checkpoint_every,
        every_seconds=settings.checkpoint_seconds,
    )
    if settings.views_mode == "inline":

        def after_command(_position: int) -> None:
            views.nudge()
            ledger.maybe_checkpoint()

        journal.saved_listeners.append(after_command)
    records = Records(journal, views, infrastructure(settings, views, keyring, ledger))
    return System(settings, policies, keyring, journal, views, view_db, ledger, records)
