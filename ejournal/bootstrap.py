"""Build the running system from settings: policies, keyring, encrypting mapper, journal.

Nothing is wired at import time; the CLI, the web server, tests and benchmarks each call
``build(settings)`` and close what they built.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Notification, PersistenceError
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import sql

from domain import clock
from domain.journal import Journal
from domain.policies import Policies
from ejournal import driver_errors, password_strength
from ejournal.filemodes import create_private_file, private_dirs
from ejournal.keyring import (
    Keyring,
    check_master_key,
    load_or_create_master_key,
    read_master_key,
    school_kek,
)
from ejournal.keystore import KeyStore, PostgresKeyStore, SQLiteKeyStore
from ejournal.mapper import EncryptingMapper
from ejournal.policyfiles import load_policies
from ejournal.pools import events_pool
from ejournal.record_log import record_log
from ejournal.retention_wiring import infrastructure
from ejournal.settings import DatabaseURL, Settings
from ejournal.signing import load_or_create_signing_key, read_signing_key
from ejournal.viewdb import (
    KeyringSealer,
    PostgresViewDatabase,
    SQLiteViewDatabase,
    view_database,
)
from projections import all_views
from projections.ledger import Ledger
from projections.processor import Processor
from projections.sealing import Keeper
from projections.service import Views
from projections.sqlstore import take_setup_lock
from projections.storage_errors import storage_problem
from retention.service import Records

log = logging.getLogger(__name__)


class StorageError(Exception):
    """Raised when a folder the system writes to cannot be written (nothing written)."""


class DatabaseUnavailable(Exception):
    """Raised when the database cannot be opened: unreachable, refused, not a database."""


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
        standby = self.views.standby_events
        if isinstance(standby, StandbyEvents):
            standby.close()
        self.keyring.store.close()

    def __enter__(self) -> System:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _folders(settings: Settings) -> list[tuple[str, Path]]:
    """The folders the system writes to, each named by its setting."""
    found = [
        ("EJOURNAL_MASTER_KEY_FILE", settings.master_key_file.parent),
        ("EJOURNAL_LEDGER_KEY_FILE", settings.ledger_key_file.parent),
        ("EJOURNAL_SECRET_KEY_FILE", settings.secret_key_file.parent),
        ("EJOURNAL_ARCHIVE_DIR", settings.archive_dir),
        ("EJOURNAL_CERTIFICATES_DIR", settings.certificates_dir),
    ]
    if settings.checkpoint_export_dir is not None:
        found.append(("EJOURNAL_CHECKPOINT_EXPORT_DIR", settings.checkpoint_export_dir))
    if settings.database.backend == "sqlite":
        found.insert(0, ("EJOURNAL_DATABASE_URL", Path(settings.database.path).parent))
    return found


def check_storage(settings: Settings) -> None:
    """Refuse (``StorageError``) when a folder the system writes to exists but is not a
    writable folder, or would have to be created where that is impossible. Writes nothing."""
    for name, folder in _folders(settings):
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise StorageError(f"{name}: {folder} cannot be a folder: {probe} is a file")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise StorageError(f"{name}: {probe} is not writable by this process")


def _stored_state(db: DatabaseURL) -> tuple[bool, bytes | None]:
    """Whether the database already holds events, and the keyring's master-key check value;
    read only, creating nothing (``False, None`` for a database not made yet)."""
    try:
        if db.backend == "sqlite":
            return _sqlite_state(Path(db.path))
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            schema = sql.Identifier(db.schema or "public")
            events, check = False, None
            if _pg_table(conn, db, "ejournal_events"):
                query = sql.SQL("SELECT 1 FROM {}.ejournal_events LIMIT 1").format(schema)
                events = conn.execute(query).fetchone() is not None
            if _pg_table(conn, db, "ejournal_keyring_meta"):
                query = sql.SQL(
                    "SELECT value FROM {}.ejournal_keyring_meta WHERE name = 'check'"
                ).format(schema)
                row = conn.execute(query).fetchone()
                check = bytes(row[0]) if row else None
            return events, check
    except (sqlite3.Error, psycopg.Error) as error:
        raise _unavailable(db, error) from None


def _pg_table(conn: psycopg.Connection[Any], db: DatabaseURL, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f"{db.schema or 'public'}.{table}",)).fetchone()
    return row is not None and row[0] is not None


def _sqlite_state(path: Path) -> tuple[bool, bytes | None]:
    if not path.is_file():
        return False, None
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        events = "stored_events" in tables and bool(
            conn.execute("SELECT 1 FROM stored_events LIMIT 1").fetchone()
        )
        row = None
        if "ejournal_keyring_meta" in tables:
            row = conn.execute(
                "SELECT value FROM ejournal_keyring_meta WHERE name = 'check'"
            ).fetchone()
        return events, bytes(row[0]) if row else None
    finally:
        conn.close()


def _unavailable(db: DatabaseURL, error: BaseException) -> Exception:
    problem = storage_problem(error)
    if problem is not None:
        return problem
    where = db.path if db.backend == "sqlite" else db.where
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return DatabaseUnavailable(f"cannot open the database {where}: {first}")


def create_event_tables(recorder: Any) -> None:
    """Create the event store's type, table and functions on PostgreSQL, idempotently and
    without an error in the server's log: eventsourcing's recorder runs ``CREATE TYPE`` at
    every start and swallows the ``DuplicateObject`` (which PostgreSQL logs as «ERROR: type
    "stored_event_uuid" already exists»); here the type is created only when missing."""
    statements = list(recorder.sql_create_statements)
    datastore = recorder.datastore
    name = f'"{datastore.schema}"."{recorder.stored_event_type_name}"'
    with datastore.transaction(commit=False) as curs:
        curs.execute("SELECT to_regtype(%s) IS NOT NULL AS found", (name,))
        row = curs.fetchone()
    if row is not None and row["found"]:
        recorder.sql_create_statements = [
            s for s in statements if "CREATE TYPE" not in s.as_string()
        ]
    try:
        recorder.create_table()
    finally:
        recorder.sql_create_statements = statements


def _prepare_database(db: DatabaseURL) -> KeyStore:
    try:
        if db.backend == "sqlite":
            if not Path(db.path).exists():  # made 0600 here: SQLite gives -wal/-shm its mode
                os.close(create_private_file(Path(db.path)))
            return SQLiteKeyStore(db.path)
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(db.schema or "public")
                )
            )
        if db.shared_pools:  # ADR 0030: a connection of the cluster's pool per statement
            return PostgresKeyStore(db, events_pool(db))
        return PostgresKeyStore(db)
    except (sqlite3.Error, psycopg.Error) as error:
        raise _unavailable(db, error) from None


def missing_database(settings: Settings) -> DatabaseUnavailable | None:
    """The refusal when the SQLite file does not exist: a typo in the path must not start
    an empty school (``ejournal demo``, ``restore`` or ``--create`` make a new one)."""
    db = settings.database
    if db.backend != "sqlite" or Path(db.path).exists():
        return None
    return DatabaseUnavailable(
        f"the SQLite database {db.path} does not exist: check EJOURNAL_DATABASE_URL, or "
        "create it with `ejournal demo`, `ejournal restore` or `ejournal --create …`"
    )


def _open_journal(
    settings: Settings,
    policies: Policies,
    keyring: Keyring,
    opened: list[Journal | SQLiteViewDatabase | PostgresViewDatabase],
) -> Journal:
    """The journal over the event store (appended to ``opened`` at once, so a failure after
    it closes it), with the password strength check and the keyring's listeners."""
    journal = Journal(
        policies,
        env=settings.database.eventsourcing_env(),
        cache_size=settings.aggregate_cache,
        mapper_factory=lambda transcoder: EncryptingMapper(transcoder, keyring),
    )
    opened.append(journal)
    if settings.database.backend == "postgres":
        # libpq's options the library's settings lack — above all target_session_attrs for a
        # URL of several servers (ADR 0028) — before its pool opens its first connection.
        recorder = journal.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        if not settings.database.shared_pools:  # a shared pool has them (ADR 0030)
            _libpq_options(recorder.datastore, settings.database)
        create_event_tables(recorder)
    journal.accounts.strength = password_strength.check
    keyring.forget_listeners.append(journal.forget_cached)
    journal.load_listeners.append(keyring.refresh)
    return journal


def _libpq_options(datastore: PostgresDatastore, db: DatabaseURL) -> None:
    """Add to the library's pool what libpq needs beyond the five settings it passes (above
    all ``target_session_attrs`` for a URL of several servers, ADR 0028), before the pool
    opens its first connection."""
    kwargs = datastore.pool.kwargs
    assert isinstance(kwargs, dict)
    kwargs.update(db.connect_options())


class StandbyEvents:
    """The event store as the hot standby holds it (EJOURNAL_READ_DATABASE_URL, ADR 0028):
    the library's own recorder over a small pool to the standby, for the as-of replays of
    the requests routed there — made at the first replay (the recorder connects when made,
    and a standby that is down must not stop the start)."""

    def __init__(self, standby: DatabaseURL, schema: str, table: str) -> None:
        self.standby, self.schema, self.table = standby, schema, table
        self._recorder: PostgresApplicationRecorder | None = None
        self._lock = threading.Lock()

    def _made(self) -> PostgresApplicationRecorder:
        with self._lock:
            if self._recorder is None:
                standby = self.standby
                datastore = PostgresDatastore(
                    dbname=standby.dbname,
                    host=standby.host,
                    port=standby.port,
                    user=standby.user,
                    password=standby.password,
                    schema=self.schema,
                    pool_size=1,
                    max_overflow=4,
                    pre_ping=True,
                )
                if standby.shared_pools:  # the standby's pool of the process (ADR 0030)
                    datastore.pool = events_pool(standby)  # type: ignore[assignment]
                else:
                    _libpq_options(datastore, standby)
                self._recorder = PostgresApplicationRecorder(
                    datastore, events_table_name=self.table
                )
            return self._recorder

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        found: Sequence[Notification] = self._made().select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )
        return found

    def max_notification_id(self) -> int | None:
        head: int | None = self._made().max_notification_id()
        return head

    def close(self) -> None:
        with self._lock:
            if self._recorder is not None:
                self._recorder.datastore.close()
                self._recorder = None


def standby_events(settings: Settings, journal: Journal) -> StandbyEvents | None:
    """The standby's copy of the event store, when a standby is configured."""
    standby = settings.read_database
    recorder = journal.recorder
    if standby is None or not isinstance(recorder, PostgresApplicationRecorder):
        return None
    return StandbyEvents(standby, settings.database.schema or "public", recorder.events_table_name)


def _update_after_commands(journal: Journal, views: Views, ledger: Ledger) -> None:
    """``EJOURNAL_VIEWS=inline``: the process that ran a command brings the views and the
    ledger up to date after it."""

    def after_command(_position: int) -> None:
        # The command's events are committed: a view that cannot be written now (the
        # disk filled up in between) catches up on the next command or read-your-writes
        # wait, so the command is not reported as failed.
        try:
            views.nudge()
            ledger.maybe_checkpoint()
        except Exception as error:
            if storage_problem(error) is None:
                raise
            log.warning("views not updated after a command: %s", type(error).__name__)

    journal.saved_listeners.append(after_command)


@contextmanager
def _setup_lock(db: DatabaseURL) -> Iterator[None]:
    """On PostgreSQL one process at a time sets a school's database up (schema, tables,
    functions, the keyring, the master key): two starting at once — `notify run` from cron
    beside the worker, `serve` and `worker` together — otherwise fail with «tuple concurrently
    updated». A transaction-level advisory lock on a connection of its own, held for the
    set-up (so it holds behind PgBouncer in transaction mode too); a set-up stuck elsewhere
    for a minute gives ``DatabaseUnavailable``."""
    if db.backend != "postgres":
        yield
        return
    try:
        conn = psycopg.connect(db.conninfo(), connect_timeout=10)
        conn.execute("SET LOCAL lock_timeout = '60s'")
        take_setup_lock(conn.cursor(), db.schema)
    except psycopg.Error as error:
        raise _unavailable(db, error) from None
    try:
        yield
    finally:
        conn.close()  # the transaction ends, and the lock with it


def build(settings: Settings, policies: Policies | None = None, *, create: bool = True) -> System:
    """Validate the policies, folders and key files, open the database and keyring, and
    build the journal. With ``create`` False a SQLite file that does not exist is refused
    (the command line's default: ``ejournal.cli``); new files and folders are private
    (``ejournal.filemodes``).

    Raises ``PolicyError``, ``StorageError``, ``LedgerError`` (signing key), ``KeyringError``
    (master key), ``DatabaseUnavailable`` or ``StorageUnavailable`` before anything is written
    when something is wrong."""
    with _setup_lock(settings.database):
        return _build(settings, policies, create=create)


def _build(settings: Settings, policies: Policies | None, *, create: bool) -> System:
    """``build`` within the set-up lock."""
    driver_errors.install()  # storage errors recognised by the inner layers (web, views)
    clock.set_school_zone(settings.timezone)
    policies = policies or load_policies(settings.policies_dir, settings.policies_overlay)
    check_storage(settings)
    signing_key = read_signing_key(settings.ledger_key_file)
    events, check = _stored_state(settings.database)
    check_master_key(
        settings.master_key_file, read_master_key(settings.master_key_file), check, events
    )
    missing = None if create else missing_database(settings)
    if missing is not None:
        raise missing
    private_dirs(settings.var_dir)
    if settings.school_var_dir is not None:
        private_dirs(settings.school_var_dir)
    store = _prepare_database(settings.database)
    opened: list[Journal | SQLiteViewDatabase | PostgresViewDatabase] = []
    try:
        master = load_or_create_master_key(settings.master_key_file, store)
        if settings.regional:  # ADR 0027: the school's series keys under its own KEK
            master = school_kek(store, master)
        keyring = Keyring(store, master, recheck_seconds=settings.key_recheck_seconds)
        journal = _open_journal(settings, policies, keyring, opened)
        view_db = view_database(
            settings.database,
            settings.view_pool_size,
            standby=settings.read_database,
            standby_wait=settings.replica_wait_seconds,
        )
        opened.append(view_db)
        sealer = KeyringSealer(keyring)
        processor = Processor(
            all_views.ALL,
            journal.recorder,
            journal.mapper,
            view_db,
            sealer,
            batch_size=settings.view_batch_size,
            retired=all_views.RETIRED,
        )
        processor.setup()
        mapper = journal.mapper
        assert isinstance(mapper, EncryptingMapper)
        keeper = Keeper(journal.recorder, view_db, mapper, batch_size=settings.view_batch_size)
        keeper.setup()
        ledger = Ledger(
            processor,
            signing_key or load_or_create_signing_key(settings.ledger_key_file),
            keeper=keeper,
            every_events=settings.checkpoint_every,
            every_seconds=settings.checkpoint_seconds,
            export_dir=settings.checkpoint_export_dir,
        )
    except BaseException as error:
        for thing in reversed(opened):
            thing.close()
        store.close()
        if isinstance(error, sqlite3.Error | psycopg.Error | PersistenceError):
            raise _unavailable(settings.database, error) from None
        raise
    views = Views(
        processor,
        view_db,
        sealer,
        policies,
        keeper,
        record_log=record_log(journal.recorder),
        standby_events=standby_events(settings, journal),
    )
    # Term and year marks keep what they were computed from, read from the views (ADR 0024).
    journal.final_inputs = views.reads.journal
    # a kept grid may hold attendance codes opened with a key destroyed since (ADR 0022)
    keyring.forget_listeners.append(views.grids.clear)
    if settings.views_mode == "inline":
        _update_after_commands(journal, views, ledger)
    records = Records(journal, views, infrastructure(settings, views, keyring, ledger))
    return System(settings, policies, keyring, journal, views, view_db, ledger, records)
