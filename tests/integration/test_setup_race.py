"""Processes that start at once on a new PostgreSQL schema — `serve` and `worker` together,
two `notify run` from cron — each set the database up (schema, tables, functions, keyring,
master key): without the set-up lock (``ejournal.bootstrap._setup_lock``) one of them failed
with «tuple concurrently updated» (seen in `tests/e2e/test_notify_processes.py`)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ejournal.bootstrap import build
from projections import sessions
from tests.conftest import settings_for

pytestmark = pytest.mark.postgres


def test_systems_built_at_once_on_a_new_schema_all_start(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    _, url = pg_schema
    settings = settings_for(tmp_path, url)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    checks: list[bytes | None] = []

    def start_one() -> None:
        start.wait()
        try:
            with build(settings) as system:
                checks.append(system.keyring.store.meta("check"))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert len(checks) == 4 and len(set(checks)) == 1  # one master key, not one each


def test_server_processes_opening_a_school_at_once_all_make_its_session_tables(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    """`serve --processes 2`: both processes make the server-side session tables on a
    school's first request; without the lock one failed («ops_sessions already exists»)."""
    _, url = pg_schema
    with build(settings_for(tmp_path, url)) as system:
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def open_one() -> None:
            start.wait()
            try:
                sessions.setup(system.views.db)
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=open_one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
