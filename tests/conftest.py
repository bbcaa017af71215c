"""Fixtures shared by integration and end-to-end tests: a built system on SQLite or on
PostgreSQL (each test in its own schema, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from domain import passwords
from ejournal.bootstrap import System, build
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG_URL_VAR = "EJOURNAL_TEST_POSTGRES_URL"
PG_SKIP = (
    f"{PG_URL_VAR} is not set: PostgreSQL tests skipped "
    f"(e.g. {PG_URL_VAR}=postgresql://postgres@127.0.0.1:5432/test make test)"
)


#: The test modules that take longest (seeding schools, signing archives, processes under
#: faketime, a venv for `make run`), longest first as measured (each 2–6 % of the run).
#: pytest-xdist hands out whole modules (``make test``: ``--dist loadfile
#: --no-loadscope-reorder``) in collection order; these go first, so that neither worker starts
#: one of them while the other has nothing left to do — the last ones handed out are short.
#: Measured: docs/benchmarks.md, «CI time». Modules not listed keep their collection order.
LONG_FIRST = (
    "tests/integration/test_ledger.py",
    "tests/integration/test_archive_ltv.py",
    "tests/integration/test_tenants.py",
    "tests/integration/test_no_plaintext_pg.py",
    "tests/integration/test_worker_crash.py",
    "tests/e2e/test_make_run.py",
    "tests/e2e/test_web_sessions_server.py",
    "tests/integration/test_regulations.py",
    "tests/integration/test_no_plaintext.py",
    "tests/integration/test_archive.py",
    "tests/e2e/test_web_access.py",
    "tests/e2e/test_notify_processes.py",
    "tests/unit/test_demo.py",
    "tests/integration/test_acts.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the modules of ``LONG_FIRST`` first (the same order in every xdist worker: the
    sort is stable and depends on the node ids only)."""
    rank = {path: n for n, path in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Hash test passwords with a lower scrypt cost (it is stored in each hash, so verifying
    is unchanged); the production cost would spend most of the suite's time hashing."""
    production = passwords.SCRYPT_N
    passwords.SCRYPT_N = 2**10
    yield
    passwords.SCRYPT_N = production


def postgres_url() -> str:
    """The test server's URL; skip when not configured, fail when configured but down."""
    url = os.environ.get(PG_URL_VAR)
    if not url:
        pytest.skip(PG_SKIP)
    try:
        with psycopg.connect(url, connect_timeout=5):
            pass
    except psycopg.OperationalError as error:
        pytest.fail(f"{PG_URL_VAR} is set but PostgreSQL is unreachable: {error}")
    return url


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema; yields (server URL, URL with ?schema=…)."""
    url = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield url, f"{url}{'&' if '?' in url else '?'}schema={schema}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def settings_for(tmp_path: Path, database_url: str | None = None) -> Settings:
    """Settings with everything under ``tmp_path`` (and the repository's policies)."""
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    if database_url:
        env["EJOURNAL_DATABASE_URL"] = database_url
    return Settings.from_env(env)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for the same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield settings_for(tmp_path)
        return
    _, url = request.getfixturevalue("pg_schema")
    yield settings_for(tmp_path, url)


@pytest.fixture
def system(backend_settings: Settings) -> Iterator[System]:
    """A built system (encrypted store, keyring, journal) on each backend."""
    with build(backend_settings) as built:
        yield built
