"""Settings: read once from ``EJOURNAL_*`` environment variables into a frozen dataclass.

Defaults give the embedded SQLite database and keys under ``var/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain import clock
from retention.archive.detached import usable_template


class SettingsError(Exception):
    """Raised when a setting is malformed (one clear message, nothing written)."""


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed ``EJOURNAL_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://…``."""

    backend: str  # "sqlite" | "postgres"
    path: str = ""
    host: str = ""
    port: str = "5432"
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = ""
    #: The event store's connections kept open (and as many more at peak): 8 for a
    #: one-school deployment; for a school of a region (``shared_pools``) the most the
    #: process keeps to the cluster for all its schools (``EJOURNAL_CLUSTER_POOL_SIZE``).
    pool_size: int = 8
    #: The connections are the cluster's, shared by every school of it that the process
    #: serves (ADR 0030): a school of a regional deployment.
    shared_pools: bool = False
    #: The views' connections set the schema in every transaction, not once per session:
    #: safe behind PgBouncer in transaction mode (always so for a regional school).
    path_per_transaction: bool = False

    #: libpq's ``target_session_attrs`` (``read-write`` with several hosts: the one that
    #: accepts writes, ADR 0028); empty: libpq's default.
    target_session_attrs: str = ""

    @property
    def hosts(self) -> list[tuple[str, str]]:
        """Every (host, port) the URL names, in the order libpq tries them."""
        ports = self.port.split(",")
        hosts = self.host.split(",")
        if len(ports) == 1:
            ports = ports * len(hosts)
        return list(zip(hosts, ports, strict=True))

    @property
    def where(self) -> str:
        """``host:port[,host:port…]/dbname`` (no user, no password): for messages."""
        return ",".join(f"{h}:{p}" for h, p in self.hosts) + f"/{self.dbname}"

    @classmethod
    def parse(cls, url: str, name: str = "EJOURNAL_DATABASE_URL") -> DatabaseURL:
        """Parse a URL; raise ``SettingsError`` naming what is wrong. A PostgreSQL URL may name
        several servers, as libpq's own URIs do (``postgresql://USER@HOST1:PORT1,HOST2:PORT2/
        DBNAME?target_session_attrs=read-write``): libpq tries them in order."""
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
            if not path:
                raise SettingsError(f"{name}: expected sqlite:///PATH, got {url!r}")
            return cls("sqlite", path=path)
        if parsed.scheme in ("postgresql", "postgres"):
            return cls._postgres(url, parsed.netloc, parsed.path, parsed.query, name)
        raise SettingsError(
            f"{name}: unsupported scheme {parsed.scheme!r} "
            "(use sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME)"
        )

    @classmethod
    def _postgres(cls, url: str, netloc: str, path: str, query: str, name: str) -> DatabaseURL:
        expected = (
            f"{name}: expected postgresql://USER@HOST:PORT/DBNAME "
            f"(or HOST1:PORT1,HOST2:PORT2), got {_redact(url)!r}"
        )
        credentials, _, hostlist = netloc.rpartition("@")
        user, _, password = credentials.partition(":")
        dbname = unquote(path.lstrip("/"))
        hosts, ports = [], []
        for item in hostlist.split(","):
            matched = re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[^:\[\]]+)(?::(\d{1,5}))?", item)
            if not matched:
                raise SettingsError(expected)
            hosts.append(matched[1].strip("[]"))
            ports.append(matched[2] or "5432")
        if not dbname or not hosts:
            raise SettingsError(expected)
        options = parse_qs(query)
        schema = options.get("schema", [""])[0]
        if schema and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise SettingsError(f"{name}: bad schema name {schema!r}")
        attrs = options.get("target_session_attrs", [""])[0]
        if attrs not in ("", *SESSION_ATTRS):
            raise SettingsError(
                f"{name}: target_session_attrs is one of {', '.join(SESSION_ATTRS)}; got {attrs!r}"
            )
        return cls(
            "postgres",
            host=",".join(hosts),
            port=",".join(ports) if len(set(ports)) > 1 else ports[0],
            user=unquote(user),
            password=unquote(password),
            dbname=dbname,
            schema=schema,
            target_session_attrs=attrs,
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The ``eventsourcing`` infrastructure settings for this database."""
        if self.backend == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        shared = {
            # ADR 0030: the cluster's pool, shared by the schools of this process.
            "PERSISTENCE_MODULE": "ejournal.pools:SharedPoolFactory",
            "EJOURNAL_CLUSTER_POOL_SIZE": str(self.pool_size),
            **{f"EJOURNAL_{k.upper()}": v for k, v in self.connect_options().items()},
        }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            **(shared if self.shared_pools else {}),
            # Inserts with plain arrays and NOTIFY with the schema as payload (ADR 0030).
            "APPLICATION_RECORDER_TOPIC": "ejournal.pools:SchoolRecorder",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": self.port,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema or "public",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_size),
            # The tables are made by ``ejournal.bootstrap.create_event_tables``: the library
            # would run CREATE TYPE at every start (an ERROR in the server's log each time).
            "CREATE_TABLE": "no",
            # With several servers (failover, ADR 0028) a pooled connection is checked when
            # taken, so one broken by the loss of the primary is replaced instead of failing
            # the command that took it.
            "POSTGRES_PRE_PING": "y" if len(self.hosts) > 1 else "n",
        }

    def conninfo(self) -> str:
        """A libpq connection string (PostgreSQL only)."""
        parts = {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
            "connect_timeout": "5",
            "target_session_attrs": self.target_session_attrs,
            # PGAPPNAME, when set, names the connections in pg_stat_activity instead.
            "fallback_application_name": "ejournal",
        }
        return " ".join(f"{k}='{_quoted(v)}'" for k, v in parts.items() if v)

    def connect_options(self) -> dict[str, str]:
        """What libpq needs beyond host, port, database, user and password (passed to the
        event store's connection pool, which takes those five only)."""
        found = {"connect_timeout": "5", "fallback_application_name": "ejournal"}
        if self.target_session_attrs:
            found["target_session_attrs"] = self.target_session_attrs
        return found


#: libpq's values of ``target_session_attrs`` (PostgreSQL 14+).
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


def _quoted(value: str) -> str:
    """A value inside a libpq conninfo's single quotes."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _rate_limits(raw: str) -> tuple[tuple[str, int, int], ...]:
    """``signin-address=60/300,api-account=300/60`` → ((name, count, seconds), …)."""
    found = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        matched = re.fullmatch(r"([a-z-]+)=(\d{1,7})/(\d{1,6})", part)
        if not matched or int(matched[2]) < 1 or int(matched[3]) < 1:
            raise SettingsError(
                f"EJOURNAL_RATE_LIMITS: expected NAME=COUNT/SECONDS, comma-separated; got {part!r}"
            )
        found.append((matched[1], int(matched[2]), int(matched[3])))
    return tuple(found)


def _export_dir(raw: str) -> Path | None:
    """``EJOURNAL_CHECKPOINT_EXPORT_DIR``: empty (off) or an absolute folder — every process
    (server, worker, CLI) must write to the same place whatever its working directory."""
    if not raw.strip():
        return None
    path = Path(raw)
    if not path.is_absolute():
        raise SettingsError(
            f"EJOURNAL_CHECKPOINT_EXPORT_DIR: an absolute path to a folder, not {raw!r}"
        )
    if path.exists() and not path.is_dir():
        raise SettingsError(f"EJOURNAL_CHECKPOINT_EXPORT_DIR: {raw} exists and is not a folder")
    return path


def _read_database(env: Mapping[str, str], primary: DatabaseURL) -> DatabaseURL | None:
    """``EJOURNAL_READ_DATABASE_URL``: a hot standby of the PostgreSQL primary (its schema
    the primary's unless named), or nothing."""
    raw = env.get("EJOURNAL_READ_DATABASE_URL") or ""
    if not raw:
        return None
    name = "EJOURNAL_READ_DATABASE_URL"
    if primary.backend != "postgres":
        raise SettingsError(f"{name}: a standby needs EJOURNAL_DATABASE_URL on PostgreSQL")
    found = DatabaseURL.parse(raw, name)
    if found.backend != "postgres":
        raise SettingsError(f"{name}: expected postgresql://USER@HOST:PORT/DBNAME")
    if found.target_session_attrs in ("read-write", "primary"):
        raise SettingsError(
            f"{name}: target_session_attrs={found.target_session_attrs} would never reach a standby"
        )
    if found.dbname != primary.dbname:
        raise SettingsError(
            f"{name}: database {found.dbname!r} is not the primary's {primary.dbname!r} "
            "(a physical standby holds the same databases)"
        )
    if found.schema and found.schema != (primary.schema or "public"):
        raise SettingsError(f"{name}: schema {found.schema!r} is not the primary's")
    return replace(found, schema=primary.schema)


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


@dataclass(frozen=True)
class ArchiveSettings:
    """The annual archive: where files go, who signs, the timestamp authority, trust.

    ``tsa_url`` empty means the demo's in-process timestamp authority (``tsa.p12`` in the
    PKI directory): for the demo and tests only."""

    folder: Path
    pki_dir: Path
    signers: tuple[str, ...]
    head_pkcs12: Path
    head_passphrase_file: Path
    class_teacher_pkcs12: Path
    class_teacher_passphrase_file: Path
    trust_roots: tuple[Path, ...]
    crl_files: tuple[Path, ...]
    tsa_url: str
    fetch_revocation: bool
    detached_signer: str
    #: The head's key on a PKCS#11 token instead of the PKCS#12 file (library empty: unused).
    pkcs11_library: str = ""
    pkcs11_token: str = ""
    pkcs11_key: str = ""
    pkcs11_cert: str = ""
    pkcs11_pin_file: Path = Path()
    #: ``archive refresh`` renews a file whose signatures verify on their own for less than
    #: this many more days (its newest timestamp's TSA certificate or CRL ends sooner).
    refresh_margin_days: int = 14
    #: The GOST route (``keys demo --gost``, ``retention.archive.gost``): a detached GOST
    #: R 34.10-2012 CMS signature beside every volume and act when the certificate exists,
    #: checked by ``archive verify`` against ``gost_roots``.
    gost_certificate: Path = Path("/nonexistent/gost/signer.pem")
    gost_key: Path = Path("/nonexistent/gost/signer-key.pem")
    gost_passphrase_file: Path = Path("/nonexistent/gost/signer.pass")
    gost_roots: tuple[Path, ...] = ()

    @property
    def gost_dir(self) -> Path:
        """Where ``keys demo --gost`` writes the GOST test PKI (beside the signer's
        certificate: ``EJOURNAL_GOST_DIR``, default ``var/pki/gost``)."""
        return self.gost_certificate.parent

    @classmethod
    def from_env(cls, env: Mapping[str, str], var_dir: Path) -> ArchiveSettings:
        """Read the ``EJOURNAL_ARCHIVE_*``, ``EJOURNAL_SIGNER_*`` and ``EJOURNAL_TSA_URL``
        variables (see README, «Annual archive»)."""
        pki = Path(env.get("EJOURNAL_PKI_DIR") or var_dir / "pki")
        gost = Path(env.get("EJOURNAL_GOST_DIR") or pki / "gost")
        signers = tuple(
            s.strip() for s in (env.get("EJOURNAL_ARCHIVE_SIGNERS") or "head").split(",")
        )
        if signers not in (("head",), ("class_teacher", "head")):
            raise SettingsError("EJOURNAL_ARCHIVE_SIGNERS: 'head' or 'class_teacher,head'")

        margin = env.get("EJOURNAL_ARCHIVE_REFRESH_MARGIN_DAYS") or "14"
        if not margin.isdigit() or not 1 <= int(margin) <= 3650:
            raise SettingsError("EJOURNAL_ARCHIVE_REFRESH_MARGIN_DAYS: whole days, 1 to 3650")

        detached = env.get("EJOURNAL_DETACHED_SIGNER") or ""
        if detached and not usable_template(detached):
            raise SettingsError(
                "EJOURNAL_DETACHED_SIGNER: a command line with {in} and {out} (or {dir})"
            )

        def paths(name: str, default: Path) -> tuple[Path, ...]:
            raw = env.get(name)
            if raw is None:
                return (default,)
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)

        return cls(
            folder=Path(env.get("EJOURNAL_ARCHIVE_DIR") or var_dir / "archive"),
            pki_dir=pki,
            signers=signers,
            head_pkcs12=Path(env.get("EJOURNAL_SIGNER_PKCS12") or pki / "head.p12"),
            head_passphrase_file=Path(
                env.get("EJOURNAL_SIGNER_PASSPHRASE_FILE") or pki / "head.pass"
            ),
            class_teacher_pkcs12=Path(
                env.get("EJOURNAL_COSIGNER_PKCS12") or pki / "class-teacher.p12"
            ),
            class_teacher_passphrase_file=Path(
                env.get("EJOURNAL_COSIGNER_PASSPHRASE_FILE") or pki / "class-teacher.pass"
            ),
            trust_roots=paths("EJOURNAL_TRUST_ROOTS", pki / "root.pem"),
            crl_files=paths("EJOURNAL_CRL_FILES", pki / "root.crl"),
            tsa_url=env.get("EJOURNAL_TSA_URL") or "",
            fetch_revocation=(env.get("EJOURNAL_FETCH_REVOCATION") or "0") in ("1", "true"),
            detached_signer=detached,
            pkcs11_library=env.get("EJOURNAL_SIGNER_PKCS11_LIB") or "",
            pkcs11_token=env.get("EJOURNAL_SIGNER_PKCS11_TOKEN") or "",
            pkcs11_key=env.get("EJOURNAL_SIGNER_PKCS11_KEY") or "",
            pkcs11_cert=env.get("EJOURNAL_SIGNER_PKCS11_CERT")
            or env.get("EJOURNAL_SIGNER_PKCS11_KEY")
            or "",
            pkcs11_pin_file=Path(env.get("EJOURNAL_SIGNER_PKCS11_PIN_FILE") or pki / "token.pin"),
            refresh_margin_days=int(margin),
            gost_certificate=Path(env.get("EJOURNAL_GOST_CERT") or gost / "signer.pem"),
            gost_key=Path(env.get("EJOURNAL_GOST_KEY") or gost / "signer-key.pem"),
            gost_passphrase_file=Path(
                env.get("EJOURNAL_GOST_PASSPHRASE_FILE") or gost / "signer.pass"
            ),
            gost_roots=paths("EJOURNAL_GOST_ROOTS", gost / "root.pem"),
        )


@dataclass(frozen=True)
class Settings:
    """Every setting of the product (see README, «Configuration»)."""

    var_dir: Path
    database: DatabaseURL
    database_url: str
    master_key_file: Path
    policies_dir: Path
    school: str
    views_mode: str  # "inline": after each command, in-process; "worker": `ejournal worker`
    view_batch_size: int = 2000
    ledger_key_file: Path = Path("var/keys/ledger-ed25519.pem")
    checkpoint_every: int = 1000
    checkpoint_seconds: int = 3600
    secret_key_file: Path = Path("var/keys/web-secret.key")
    secure_cookies: bool = False
    archive_dir: Path = Path("var/archive")
    certificates_dir: Path = Path("var/certificates")
    key_recheck_seconds: float = 0.5
    archive: ArchiveSettings | None = None
    aggregate_cache: int = 5000
    #: PostgreSQL connections for the views per process (``serve`` raises it to its
    #: ``--threads`` + 4: each request holds one while it runs).
    view_pool_size: int = 16
    #: Overrides of the web's rate limits (``web.limits``): (name, count, seconds).
    rate_limits: tuple[tuple[str, int, int], ...] = ()
    #: Every signed checkpoint is also written here (one JSON file per checkpoint) for the
    #: operator to mirror outside the database; None: not exported.
    checkpoint_export_dir: Path | None = None
    #: The school's IANA time zone (EJOURNAL_TIMEZONE): "today" and every moment shown.
    timezone: str = clock.DEFAULT_ZONE
    #: A hot standby of the PostgreSQL database (EJOURNAL_READ_DATABASE_URL, ADR 0028): the
    #: diaries, reports and the auditor's replays read there; None: everything on the primary.
    read_database: DatabaseURL | None = None
    #: How long a page waits for the standby to replay the reader's own last write before it
    #: reads from the primary instead (EJOURNAL_REPLICA_WAIT_MS).
    replica_wait_seconds: float = 0.2
    #: A school of a regional deployment (``ejournal.region``, ADR 0027): its series keys
    #: are wrapped by its own key-encryption key, itself wrapped by the master key.
    regional: bool = False
    #: The school's policies overlay: files here replace the same-named files of
    #: ``policies_dir`` (``var/schools/CODE/policies``; None: no overlay).
    policies_overlay: Path | None = None
    #: The school's own folder in a regional deployment (``var/schools/CODE``).
    school_var_dir: Path | None = None

    @property
    def archiving(self) -> ArchiveSettings:
        """The annual archive's settings (defaults under ``var/`` when not read from env)."""
        return self.archive or ArchiveSettings.from_env({}, self.var_dir)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``EJOURNAL_*`` variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("EJOURNAL_VAR_DIR") or "var")
        url = env.get("EJOURNAL_DATABASE_URL") or f"sqlite:///{var_dir / 'ejournal.sqlite'}"
        school = env.get("EJOURNAL_SCHOOL") or "demo"
        database = DatabaseURL.parse(url)
        default_mode = "inline" if database.backend == "sqlite" else "worker"
        views_mode = env.get("EJOURNAL_VIEWS") or default_mode
        if views_mode not in ("inline", "worker"):
            raise SettingsError("EJOURNAL_VIEWS: 'inline' or 'worker'")
        batch = env.get("EJOURNAL_VIEW_BATCH_SIZE") or "2000"
        if not batch.isdigit() or not 1 <= int(batch) <= 100_000:
            raise SettingsError("EJOURNAL_VIEW_BATCH_SIZE: a whole number from 1 to 100000")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", school):
            raise SettingsError("EJOURNAL_SCHOOL: lowercase letters, digits, '-' and '_'")
        every = env.get("EJOURNAL_CHECKPOINT_EVERY") or "1000"
        seconds = env.get("EJOURNAL_CHECKPOINT_SECONDS") or "3600"
        if not every.isdigit() or not seconds.isdigit() or int(every) < 1:
            raise SettingsError("EJOURNAL_CHECKPOINT_EVERY / _SECONDS: whole numbers")
        recheck = env.get("EJOURNAL_KEY_RECHECK_SECONDS") or "0.5"
        try:
            if not 0 <= float(recheck) <= 60:
                raise ValueError(recheck)
        except ValueError:
            raise SettingsError("EJOURNAL_KEY_RECHECK_SECONDS: seconds from 0 to 60") from None
        export_dir = _export_dir(env.get("EJOURNAL_CHECKPOINT_EXPORT_DIR") or "")
        zone = env.get("EJOURNAL_TIMEZONE") or clock.DEFAULT_ZONE
        try:
            ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(
                "EJOURNAL_TIMEZONE: an IANA time zone such as Europe/Moscow"
            ) from None
        read_database = _read_database(env, database)
        wait = env.get("EJOURNAL_REPLICA_WAIT_MS") or "200"
        if not wait.isdigit() or int(wait) > 10_000:
            raise SettingsError("EJOURNAL_REPLICA_WAIT_MS: milliseconds from 0 to 10000")
        cache = env.get("EJOURNAL_AGGREGATE_CACHE") or "5000"
        if not cache.isdigit() or int(cache) > 1_000_000:
            raise SettingsError("EJOURNAL_AGGREGATE_CACHE: a whole number from 0 to 1000000")
        return cls(
            var_dir=var_dir,
            database=database,
            database_url=_redact(url),
            master_key_file=Path(
                env.get("EJOURNAL_MASTER_KEY_FILE") or var_dir / "keys" / "master.key"
            ),
            policies_dir=Path(env.get("EJOURNAL_POLICIES_DIR") or "policies"),
            school=school,
            views_mode=views_mode,
            view_batch_size=int(batch),
            ledger_key_file=Path(
                env.get("EJOURNAL_LEDGER_KEY_FILE") or var_dir / "keys" / "ledger-ed25519.pem"
            ),
            checkpoint_every=int(every),
            checkpoint_seconds=int(seconds),
            secret_key_file=Path(
                env.get("EJOURNAL_SECRET_KEY_FILE") or var_dir / "keys" / "web-secret.key"
            ),
            secure_cookies=(env.get("EJOURNAL_SECURE_COOKIES") or "0") in ("1", "true", "yes"),
            archive_dir=Path(env.get("EJOURNAL_ARCHIVE_DIR") or var_dir / "archive"),
            certificates_dir=Path(env.get("EJOURNAL_CERTIFICATES_DIR") or var_dir / "certificates"),
            key_recheck_seconds=float(recheck),
            archive=ArchiveSettings.from_env(env, var_dir),
            aggregate_cache=int(cache),
            rate_limits=_rate_limits(env.get("EJOURNAL_RATE_LIMITS") or ""),
            checkpoint_export_dir=export_dir,
            timezone=zone,
            read_database=read_database,
            replica_wait_seconds=int(wait) / 1000,
        )

    @property
    def demo_logins_file(self) -> Path:
        """Where ``ejournal demo`` writes the demo logins (read by the home page)."""
        return (self.school_var_dir or self.var_dir) / "demo-logins.json"

    def with_database(self, url: str) -> Settings:
        """A copy using another database (tests, benchmarks)."""
        database = DatabaseURL.parse(url)
        standby = self.read_database
        if standby is not None:  # the same standby, at the new database's schema
            standby = replace(standby, schema=database.schema)
        return replace(self, database=database, database_url=_redact(url), read_database=standby)
