"""Processes that start at once on a new PostgreSQL schema — `serve` and `worker` together,
two `notify run` from cron — each set the database up (schema, tables, functions, keyring,
master key): without the set-up lock (``ejournal.bootstrap._setup_lock``) one of them failed
with «tuple concurrently updated» (seen in `tests/e2e/test_notify_processes.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ejournal.bootstrap import _setup_lock, build
from projections import sessions
from tests.conftest import settings_for

pytestmark = pytest.mark.postgres


def _at_once(work: Callable[[], object], count: int, *, timeout: float) -> list[BaseException]:
    """Run ``work`` in ``count`` threads released together; the errors they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # returned to the test
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


def test_systems_built_at_once_on_a_new_schema_all_start(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    _, url = pg_schema
    settings = settings_for(tmp_path, url)
    checks: list[bytes | None] = []

    def start_one() -> None:
        with build(settings) as system:
            checks.append(system.keyring.store.meta("check"))

    assert _at_once(start_one, 4, timeout=300) == []
    assert len(checks) == 4 and len(set(checks)) == 1  # one master key, not one each


def test_server_processes_opening_a_school_at_once_all_make_its_session_tables(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    """`serve --processes 2`: both processes make the server-side session tables on a
    school's first request; without the lock one failed («ops_sessions already exists»)."""
    _, url = pg_schema
    with build(settings_for(tmp_path, url)) as system:
        errors = _at_once(lambda: sessions.setup(system.views.db), 4, timeout=120)
    assert errors == []


def test_making_the_session_tables_waits_for_a_school_being_set_up(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    """The set-up lock of ``build`` and that of the session tables are one lock (one key,
    ``take_setup_lock``): while a process sets the school up, another making the session
    tables waits for it, then makes them."""
    server, url = pg_schema
    settings = settings_for(tmp_path, url)
    key = f"ejournal-setup:{settings.database.schema}"
    with build(settings) as system:
        done = threading.Event()
        errors: list[BaseException] = []

        def open_one() -> None:
            try:
                sessions.setup(system.views.db)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                done.set()

        thread = threading.Thread(target=open_one)
        with _setup_lock(settings.database):
            thread.start()
            waited = _someone_waits_for(server, key, done)
            finished_under_the_lock = done.is_set()
        thread.join(timeout=120)
    assert waited and not finished_under_the_lock
    assert done.is_set() and errors == []


def _someone_waits_for(server: str, key: str, done: threading.Event) -> bool:
    """Whether a session comes to wait for the advisory lock ``key`` before ``done`` is set
    (the waiter finished without waiting: False). The minute is only a bail-out."""
    with psycopg.connect(server, autocommit=True) as conn:
        for _ in range(600):
            if done.is_set():
                return False
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid::bigint = (hashtext(%s)::bigint & 4294967295)",
                (key,),
            ).fetchone()
            if row and row[0]:
                return True
            time.sleep(0.1)
    return False
