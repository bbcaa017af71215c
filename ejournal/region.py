"""A regional deployment (ADR 0027): the registry of schools and regional accounts.

One deployment serves many schools on PostgreSQL. Each school is a tenant with its own
schema (named in the registry), its own key-encryption key, ledger signing key, web secret,
archive folders and school profile; nothing of a school is kept outside its schema and its
folder ``var/schools/CODE/``. The registry is a few tables in the *region schema* — the
schema of ``EJOURNAL_DATABASE_URL`` when it names one (``?schema=``), else ``region`` — and
holds only what the deployment needs to route and govern: schools (code, name, status,
schema, cluster) and the regional accounts with their sessions. A deployment is regional
once ``ejournal school add`` has made the registry; without it (and always on SQLite) one
deployment is one school, as before.

Clusters: a school lives on the cluster named in its row — ``main`` is the cluster of
``EJOURNAL_DATABASE_URL``; others are named in ``EJOURNAL_CLUSTERS`` (``NAME=URL,…``), so no
credentials are kept in the registry. A school moves between clusters by backup and restore
(docs/operations.md, «Перенос школы»).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from domain import passwords
from domain.errors import DomainError
from ejournal import password_strength
from ejournal.settings import ArchiveSettings, DatabaseURL, Settings, SettingsError

#: A school's code: part of its schema's name and of its web address (``/s/CODE/``).
CODE = re.compile(r"[a-z][a-z0-9_]{0,19}")
ROLES = {"regional_admin": "региональный администратор", "regional_auditor": "региональный аудитор"}
STATUSES = ("active", "disabled")
#: The list's filters by what the regional level last read of a school's ledger.
LEDGER_FILTERS = {
    "failed": "AND l.verified_ok IS FALSE",
    "unverified": "AND (l.code IS NULL OR l.verified_at = '')",
}
#: A regional session ends this long after sign-in, and after this long unused.
SESSION_HOURS, SESSION_IDLE_MINUTES = 8, 30
#: Sign-ins refused after this many wrong passwords for a login within this many minutes.
FAILURES, FAILURE_MINUTES = 10, 15
#: The path variables a school's settings do not inherit: each school keeps its own
#: signing PKI, archive and certificates under ``var/schools/CODE/``.
_SCHOOL_PATHS = (
    "EJOURNAL_PKI_DIR",
    "EJOURNAL_GOST_DIR",
    "EJOURNAL_ARCHIVE_DIR",
    "EJOURNAL_SIGNER_PKCS12",
    "EJOURNAL_SIGNER_PASSPHRASE_FILE",
    "EJOURNAL_COSIGNER_PKCS12",
    "EJOURNAL_COSIGNER_PASSPHRASE_FILE",
    "EJOURNAL_TRUST_ROOTS",
    "EJOURNAL_CRL_FILES",
    "EJOURNAL_GOST_CERT",
    "EJOURNAL_GOST_KEY",
    "EJOURNAL_GOST_PASSPHRASE_FILE",
    "EJOURNAL_GOST_ROOTS",
    "EJOURNAL_SIGNER_PKCS11_PIN_FILE",
)


class RegionError(Exception):
    """Raised when a registry command is refused (one clear message, nothing written)."""


@dataclass(frozen=True)
class School:
    """A school of the registry."""

    code: str
    name: str
    status: str
    schema: str
    cluster: str
    created_at: datetime
    changed_at: datetime
    #: Why it was last disabled or enabled, and by whom (a regional login or ``cli``).
    reason: str = ""
    changed_by: str = ""

    @property
    def active(self) -> bool:
        """The school serves (a disabled one refuses every page and command but backup)."""
        return self.status == "active"


@dataclass(frozen=True)
class LedgerNote:
    """What the regional level last learnt of a school's ledger (``ejournal_school_ledger``):
    written whenever a regional auditor reads it, so the list of hundreds of schools shows
    it without opening any school."""

    seen_at: datetime
    checkpoint_size: int | None = None
    checkpoint_time: str = ""
    verified_at: str = ""
    verified_ok: bool | None = None


@dataclass(frozen=True)
class Listed:
    """A school as the regional list shows it: its row and its ledger note (None: never
    read by the regional level)."""

    school: School
    ledger: LedgerNote | None


@dataclass(frozen=True)
class SchoolPage:
    """One page of the registry's list of schools."""

    rows: list[Listed]
    number: int
    pages: int
    total: int


def check_school(code: str, name: str) -> str:
    """The school's name (stripped) when ``code`` and ``name`` may be registered;
    ``RegionError`` naming what is wrong otherwise."""
    if not CODE.fullmatch(code):
        raise RegionError(
            f"bad school code {code!r}: a Latin letter, then up to 19 lowercase letters, "
            "digits or '_'"
        )
    name = name.strip()
    if not name or len(name) > 300 or not name.isprintable():
        raise RegionError("the school's name: 1 to 300 printable characters")
    return name


@dataclass(frozen=True)
class RegionalAccount:
    """A regional administrator or auditor (never an account of a school)."""

    id: UUID
    login: str
    role: str
    active: bool


def region_schema(settings: Settings) -> str:
    """The schema that holds the registry."""
    return settings.database.schema or "region"


def clusters(settings: Settings, environ: Mapping[str, str]) -> dict[str, DatabaseURL]:
    """``main`` and the clusters of ``EJOURNAL_CLUSTERS`` (``NAME=URL,…``)."""
    found = {"main": settings.database}
    for part in filter(
        None, (p.strip() for p in (environ.get("EJOURNAL_CLUSTERS") or "").split(","))
    ):
        name, _, url = part.partition("=")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", name) or not url:
            raise SettingsError(
                f"EJOURNAL_CLUSTERS: expected NAME=URL, comma-separated; got {part!r}"
            )
        parsed = DatabaseURL.parse(url)
        if parsed.backend != "postgres":
            raise SettingsError(f"EJOURNAL_CLUSTERS: {name} is not a PostgreSQL URL")
        found[name] = replace(parsed, schema="")
    return found


def school_settings(settings: Settings, school: School, environ: Mapping[str, str]) -> Settings:
    """The settings of one school: its schema on its cluster, its folder under
    ``var/schools/CODE/`` (ledger key, web secret, archive, certificates, PKI) and its
    policies overlay ``var/schools/CODE/policies/`` when that folder exists."""
    found = clusters(settings, environ)
    if school.cluster not in found:
        raise SettingsError(
            f"school {school.code} lives on cluster {school.cluster!r}, which EJOURNAL_CLUSTERS "
            "does not name"
        )
    # ADR 0030: the event store's connections of a process to a cluster, for all its schools.
    pool = environ.get("EJOURNAL_CLUSTER_POOL_SIZE") or "8"
    if not pool.isdigit() or not 1 <= int(pool) <= 64:
        raise SettingsError("EJOURNAL_CLUSTER_POOL_SIZE: a whole number from 1 to 64")
    folder = settings.var_dir / "schools" / school.code
    overlay = folder / "policies"
    env = {k: v for k, v in environ.items() if k not in _SCHOOL_PATHS}
    # The hot standby (EJOURNAL_READ_DATABASE_URL, ADR 0028) is the main cluster's: a school
    # there reads its own schema on it; a school on another cluster reads its primary only.
    standby = settings.read_database
    if standby is not None:
        standby = (
            replace(standby, schema=school.schema, path_per_transaction=True, shared_pools=True)
            if school.cluster == "main"
            else None
        )
    return replace(
        settings,
        read_database=standby,
        database=replace(
            found[school.cluster],
            schema=school.schema,
            pool_size=int(pool),
            path_per_transaction=True,
            shared_pools=True,
        ),
        database_url=f"{settings.database_url.split('?')[0]} [school {school.code}]",
        school=school.code,
        regional=True,
        ledger_key_file=folder / "keys" / "ledger-ed25519.pem",
        secret_key_file=folder / "keys" / "web-secret.key",
        archive_dir=folder / "archive",
        certificates_dir=folder / "certificates",
        archive=ArchiveSettings.from_env(
            {**env, "EJOURNAL_ARCHIVE_DIR": str(folder / "archive")}, folder
        ),
        policies_overlay=overlay if overlay.is_dir() else None,
        school_var_dir=folder,
    )


def _note(row: dict[str, Any]) -> LedgerNote | None:
    if row.get("seen_at") is None:
        return None
    return LedgerNote(
        row["seen_at"],
        row["checkpoint_size"],
        row["checkpoint_time"],
        row["verified_at"],
        row["verified_ok"],
    )


def _hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Registry:
    """The registry tables of one deployment (PostgreSQL only)."""

    def __init__(self, settings: Settings) -> None:
        if settings.database.backend != "postgres":
            raise RegionError(
                "schools as tenants need PostgreSQL: on SQLite one deployment is one school"
            )
        self.settings = settings
        self.schema = region_schema(settings)
        self._id = sql.Identifier(self.schema)

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        conninfo = self.settings.database.conninfo()
        with (
            psycopg.connect(conninfo, row_factory=dict_row) as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            yield cur

    def _q(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(r=self._id)

    def exists(self) -> bool:
        """Whether the registry was made (the deployment is regional)."""
        with self._tx() as cur:
            cur.execute("SELECT to_regclass(%s) AS t", (f'"{self.schema}".ejournal_schools',))
            row = cur.fetchone()
        return row is not None and row["t"] is not None

    def create(self) -> None:
        """Make the registry's schema and tables, idempotently (and add what a newer
        version keeps to a registry made by an older one), under a lock: two processes
        setting it up at once must not collide."""
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"registry {self.schema}",))
            for statement in (
                "CREATE SCHEMA IF NOT EXISTS {r}",
                "CREATE TABLE IF NOT EXISTS {r}.ejournal_schools (code text PRIMARY KEY, "
                "name text NOT NULL, status text NOT NULL CHECK (status IN ('active', "
                "'disabled')), schema_name text NOT NULL UNIQUE, cluster text NOT NULL, "
                "created_at timestamptz NOT NULL, changed_at timestamptz NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {r}.ejournal_region_accounts (login text PRIMARY "
                "KEY, id uuid NOT NULL UNIQUE, role text NOT NULL, password_hash text NOT NULL, "
                "active boolean NOT NULL, created_at timestamptz NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {r}.ejournal_region_sessions (token_hash bytea "
                "PRIMARY KEY, login text NOT NULL, started_at timestamptz NOT NULL, "
                "used_at timestamptz NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {r}.ejournal_region_failures (login text NOT NULL, "
                "at timestamptz NOT NULL)",
                "ALTER TABLE {r}.ejournal_schools ADD COLUMN IF NOT EXISTS reason text NOT NULL "
                "DEFAULT ''",
                "ALTER TABLE {r}.ejournal_schools ADD COLUMN IF NOT EXISTS changed_by text NOT "
                "NULL DEFAULT ''",
                "CREATE TABLE IF NOT EXISTS {r}.ejournal_school_ledger (code text PRIMARY KEY "
                "REFERENCES {r}.ejournal_schools ON DELETE CASCADE, seen_at timestamptz NOT "
                "NULL, checkpoint_size bigint, checkpoint_time text NOT NULL, verified_at text "
                "NOT NULL, verified_ok boolean)",
            ):
                cur.execute(self._q(statement))
        self._current = True

    def _upgraded(self) -> bool:
        """Whether the registry exists, brought up to this version's tables once."""
        if getattr(self, "_current", False):
            return True
        if not self.exists():
            return False
        self.create()
        return True

    # --- schools ----------------------------------------------------------------------
    def add_school(self, code: str, name: str, cluster: str = "main") -> School:
        """Register a school (its schema is made by the first ``build`` of its system)."""
        name = check_school(code, name)
        self.create()
        now = datetime.now(UTC)
        schema = f"{self.schema}_{code}"
        with self._tx() as cur:
            cur.execute(self._q("LOCK TABLE {r}.ejournal_schools IN SHARE ROW EXCLUSIVE MODE"))
            cur.execute(self._q("SELECT 1 FROM {r}.ejournal_schools WHERE code = %s"), (code,))
            if cur.fetchone():
                raise RegionError(f"school {code} exists already")
            cur.execute(
                self._q(
                    "INSERT INTO {r}.ejournal_schools (code, name, status, schema_name, cluster, "
                    "created_at, changed_at) VALUES (%s, %s, 'active', %s, %s, %s, %s)"
                ),
                (code, name, schema, cluster, now, now),
            )
        return self.school(code)

    def withdraw(self, code: str, since: datetime) -> None:
        """Remove a school registered at ``since`` whose opening failed (the web's «add»
        undoes its row, so nothing is half-written); a school changed since is kept."""
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "DELETE FROM {r}.ejournal_schools WHERE code = %s AND created_at = %s "
                    "AND changed_at = %s"
                ),
                (code, since, since),
            )

    def find(
        self, text: str = "", status: str = "", number: int = 1, size: int = 50, ledger: str = ""
    ) -> SchoolPage:
        """A page of the schools whose code or name holds ``text`` (any case), of one
        ``status`` (empty: any), by code, with their ledger notes; ``ledger`` keeps only
        those whose last verification failed (``failed``) or that were never verified
        (``unverified``)."""
        if not self._upgraded():
            return SchoolPage([], 1, 1, 0)
        text = text.replace("\x00", "")  # a search box may send it; PostgreSQL text cannot hold it
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text.strip()) + "%"
        values: list[Any] = [pattern, pattern]
        clause = sql.SQL("")
        if status in STATUSES:
            clause = sql.SQL("AND s.status = %s")
            values.append(status)
        noted = sql.SQL(LEDGER_FILTERS.get(ledger, ""))
        where = sql.SQL("WHERE (s.code ILIKE %s OR s.name ILIKE %s) {} {}").format(clause, noted)
        with self._tx() as cur:
            cur.execute(
                sql.SQL(
                    "SELECT count(*) AS n FROM {r}.ejournal_schools s LEFT JOIN "
                    "{r}.ejournal_school_ledger l USING (code) {w}"
                ).format(r=self._id, w=where),
                values,
            )
            found = cur.fetchone()
            total = int(found["n"]) if found else 0
            pages = max(1, -(-total // size))
            number = min(max(1, number), pages)
            cur.execute(
                sql.SQL(
                    "SELECT s.*, l.seen_at, l.checkpoint_size, l.checkpoint_time, l.verified_at, "
                    "l.verified_ok FROM {r}.ejournal_schools s LEFT JOIN "
                    "{r}.ejournal_school_ledger l USING (code) {w} ORDER BY s.code "
                    "LIMIT %s OFFSET %s"
                ).format(r=self._id, w=where),
                [*values, size, (number - 1) * size],
            )
            rows = cur.fetchall()
        return SchoolPage([Listed(self._school(r), _note(r)) for r in rows], number, pages, total)

    def summary(self) -> dict[str, int]:
        """How many schools: in all, active, disabled, whose last verification failed, never
        verified (the head of the regional list)."""
        if not self._upgraded():
            return dict.fromkeys(("total", "active", "disabled", "failed", "unverified"), 0)
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "SELECT count(*) AS total, count(*) FILTER (WHERE s.status = 'active') AS "
                    "active, count(*) FILTER (WHERE s.status = 'disabled') AS disabled, "
                    "count(*) FILTER (WHERE l.verified_ok IS FALSE) AS failed, count(*) FILTER "
                    "(WHERE l.code IS NULL OR l.verified_at = '') AS unverified FROM "
                    "{r}.ejournal_schools s LEFT JOIN {r}.ejournal_school_ledger l USING (code)"
                )
            )
            row = cur.fetchone()
        return {k: int(v) for k, v in (row or {}).items()}

    def note_ledger(self, code: str, note: LedgerNote) -> None:
        """Keep what a regional read of the school's ledger found (for the list)."""
        if not self._upgraded():
            return
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO {r}.ejournal_school_ledger (code, seen_at, checkpoint_size, "
                    "checkpoint_time, verified_at, verified_ok) VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (code) DO UPDATE SET seen_at = excluded.seen_at, "
                    "checkpoint_size = excluded.checkpoint_size, checkpoint_time = "
                    "excluded.checkpoint_time, verified_at = excluded.verified_at, "
                    "verified_ok = excluded.verified_ok"
                ),
                (
                    code,
                    note.seen_at,
                    note.checkpoint_size,
                    note.checkpoint_time,
                    note.verified_at,
                    note.verified_ok,
                ),
            )

    def schools(self) -> list[School]:
        """Every school, by code."""
        if not self._upgraded():
            return []
        with self._tx() as cur:
            cur.execute(self._q("SELECT * FROM {r}.ejournal_schools ORDER BY code"))
            return [self._school(row) for row in cur.fetchall()]

    def school(self, code: str) -> School:
        """The school of ``code``; ``RegionError`` when there is none."""
        with self._tx() as cur:
            cur.execute(self._q("SELECT * FROM {r}.ejournal_schools WHERE code = %s"), (code,))
            row = cur.fetchone()
        if row is None:
            raise RegionError(f"no school {code!r} in the registry (ejournal school list)")
        return self._school(row)

    @staticmethod
    def _school(row: dict[str, Any]) -> School:
        return School(
            row["code"],
            row["name"],
            row["status"],
            row["schema_name"],
            row["cluster"],
            row["created_at"],
            row["changed_at"],
            row.get("reason") or "",
            row.get("changed_by") or "",
        )

    def set_status(self, code: str, status: str, reason: str = "", by: str = "cli") -> School:
        """Enable (``active``) or disable a school, keeping why and by whom."""
        assert status in STATUSES
        self._upgraded()
        self.school(code)
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "UPDATE {r}.ejournal_schools SET status = %s, changed_at = %s, reason = %s, "
                    "changed_by = %s WHERE code = %s"
                ),
                (status, datetime.now(UTC), reason[:300], by[:100], code),
            )
        return self.school(code)

    def move(self, code: str, cluster: str, environ: Mapping[str, str]) -> School:
        """Point a disabled school at another cluster (its data follows by restore)."""
        school = self.school(code)
        if school.active:
            raise RegionError(f"disable school {code} before moving it (ejournal school disable)")
        if cluster not in clusters(self.settings, environ):
            raise RegionError(f"EJOURNAL_CLUSTERS names no cluster {cluster!r}")
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "UPDATE {r}.ejournal_schools SET cluster = %s, changed_at = %s WHERE code = %s"
                ),
                (cluster, datetime.now(UTC), code),
            )
        return self.school(code)

    # --- regional accounts and their sessions -----------------------------------------
    def add_account(self, login: str, role: str, password: str) -> RegionalAccount:
        """Create a regional account (``regional_admin`` or ``regional_auditor``)."""
        if role not in ROLES:
            raise RegionError(f"role: one of {', '.join(ROLES)}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,39}", login):
            raise RegionError("login: 2 to 40 lowercase letters, digits, '.', '_' or '-'")
        try:
            passwords.check_password(password, login, strength=password_strength.check)
        except DomainError as error:
            raise RegionError(error.text) from None
        self.create()
        with self._tx() as cur:
            cur.execute(
                self._q("SELECT 1 FROM {r}.ejournal_region_accounts WHERE login = %s"), (login,)
            )
            if cur.fetchone():
                raise RegionError(f"regional account {login} exists already")
            account = RegionalAccount(uuid4(), login, role, True)
            cur.execute(
                self._q(
                    "INSERT INTO {r}.ejournal_region_accounts (login, id, role, password_hash, "
                    "active, created_at) VALUES (%s, %s, %s, %s, true, %s)"
                ),
                (login, account.id, role, passwords.hash_password(password), datetime.now(UTC)),
            )
        return account

    def accounts(self) -> list[RegionalAccount]:
        """Every regional account."""
        if not self.exists():
            return []
        with self._tx() as cur:
            cur.execute(self._q("SELECT * FROM {r}.ejournal_region_accounts ORDER BY login"))
            return [
                RegionalAccount(r["id"], r["login"], r["role"], r["active"]) for r in cur.fetchall()
            ]

    def sign_in(self, login: str, password: str) -> str | None:
        """A new session token for a right login and password; ``None`` otherwise — also
        for the right one after ``FAILURES`` wrong ones within ``FAILURE_MINUTES`` (a
        regional account opens every school's ledger: guessing is slowed to a stop)."""
        now = datetime.now(UTC)
        with self._tx() as cur:
            cur.execute(
                self._q("DELETE FROM {r}.ejournal_region_sessions WHERE used_at < %s"),
                (now - timedelta(minutes=SESSION_IDLE_MINUTES),),
            )
            cur.execute(
                self._q("DELETE FROM {r}.ejournal_region_failures WHERE at < %s"),
                (now - timedelta(minutes=FAILURE_MINUTES),),
            )
            cur.execute(
                self._q("SELECT count(*) AS n FROM {r}.ejournal_region_failures WHERE login = %s"),
                (login,),
            )
            failed = cur.fetchone()
            cur.execute(
                self._q("SELECT * FROM {r}.ejournal_region_accounts WHERE login = %s"), (login,)
            )
            row = cur.fetchone()
            stored = row["password_hash"] if row else passwords.hash_password("x" * 16)
            right = passwords.verify_password(password, stored)
            if not right or not row or not row["active"] or (failed and failed["n"] >= FAILURES):
                cur.execute(
                    self._q("INSERT INTO {r}.ejournal_region_failures (login, at) VALUES (%s, %s)"),
                    (login[:100], now),
                )
                return None
            token = secrets.token_urlsafe(32)
            cur.execute(
                self._q(
                    "INSERT INTO {r}.ejournal_region_sessions (token_hash, login, started_at, "
                    "used_at) VALUES (%s, %s, %s, %s)"
                ),
                (_hash_token(token), login, now, now),
            )
        return token

    def session(self, token: str) -> RegionalAccount | None:
        """The account of a live session (its idle clock restarted); ``None`` when ended."""
        now = datetime.now(UTC)
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "SELECT a.*, s.started_at, s.used_at FROM {r}.ejournal_region_sessions s "
                    "JOIN {r}.ejournal_region_accounts a USING (login) WHERE s.token_hash = %s"
                ),
                (_hash_token(token),),
            )
            row = cur.fetchone()
            if row is None:
                return None
            if (
                not row["active"]
                or now - row["started_at"] > timedelta(hours=SESSION_HOURS)
                or now - row["used_at"] > timedelta(minutes=SESSION_IDLE_MINUTES)
            ):
                self._end(cur, token)
                return None
            cur.execute(
                self._q(
                    "UPDATE {r}.ejournal_region_sessions SET used_at = %s WHERE token_hash = %s"
                ),
                (now, _hash_token(token)),
            )
        return RegionalAccount(row["id"], row["login"], row["role"], row["active"])

    def sign_out(self, token: str) -> None:
        """End a session for good."""
        with self._tx() as cur:
            self._end(cur, token)

    def _end(self, cur: psycopg.Cursor[dict[str, Any]], token: str) -> None:
        cur.execute(
            self._q("DELETE FROM {r}.ejournal_region_sessions WHERE token_hash = %s"),
            (_hash_token(token),),
        )


def schema_paths(settings: Settings) -> list[Path]:
    """The folders of every school of the deployment (for operators' listings)."""
    return sorted((settings.var_dir / "schools").glob("*"))
