"""On PostgreSQL a transaction of access-log entries only notifies quietly (the worker may
take it up within ``QUIET_SECONDS``), any other write plainly; a worker woken quietly
still catches the entries up (ADR 0034)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from ejournal.bootstrap import build
from ejournal.pools import CHANNEL, QUIET
from ejournal.worker import Listener, run_worker
from tests.conftest import settings_for
from tests.school import build_school

pytestmark = pytest.mark.postgres


def test_access_log_entries_notify_quietly_and_are_still_caught_up(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    server, url = pg_schema
    schema = url.rsplit("schema=", 1)[1]
    settings = replace(settings_for(tmp_path, url), views_mode="worker")
    with build(settings) as system, psycopg.connect(server, autocommit=True) as listening:
        listening.execute(f"LISTEN {CHANNEL}")
        school = build_school(system.journal)
        # The year's first entry opens the year's series (a register entry: plain).
        system.journal.access_log.record_access(school.teacher, "/journal", school.pupils)
        list(listening.notifies(timeout=0.5))  # the school's set-up and that entry
        seen = system.journal.access_log.record_access(school.teacher, "/journal", school.pupils)
        quiet = [n.payload for n in listening.notifies(timeout=2, stop_after=1)]
        school.hold()
        plain = [n.payload for n in listening.notifies(timeout=2, stop_after=1)]
        assert quiet == [schema + QUIET] and plain == [schema]

        listener = Listener(system.settings.database.conninfo(), 0.2)
        stop = threading.Event()
        wake = listener.wake_of(schema)
        worker = threading.Thread(target=run_worker, args=(system, stop, 30.0, None, wake))
        worker.start()
        try:
            assert system.views.wait_for(seen.position, timeout=20)  # its first catch-up
            again = system.journal.access_log.record_access(school.teacher, "/journal", [])
            # Woken only quietly (its poll is 30 s away): caught up all the same.
            assert system.views.wait_for(again.position, timeout=20)
        finally:
            stop.set()
            wake.set()
            worker.join(30)
            listener.close()
