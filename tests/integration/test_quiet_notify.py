"""On PostgreSQL a transaction of access-log entries only notifies quietly (the worker may
take it up within ``QUIET_SECONDS``), any other write plainly; a worker woken quietly
still catches the entries up (ADR 0034)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from ejournal.bootstrap import build
from ejournal.pools import CHANNEL, QUIET, split_payload
from ejournal.worker import Listener, Schedule
from tests.conftest import settings_for
from tests.school import build_school

pytestmark = pytest.mark.postgres


def _next_of(listening: psycopg.Connection[object], schema: str) -> str | None:
    """The next notification's payload of ``schema`` (other schools' on this server, e.g. a
    benchmark's, are passed over)."""
    for note in listening.notifies(timeout=5):
        if split_payload(note.payload)[0] == schema:
            return note.payload
    return None


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
        quiet = _next_of(listening, schema)
        school.hold()
        plain = _next_of(listening, schema)
        assert quiet == schema + QUIET and plain == schema

        schedule = Schedule(lanes=1, poll=30.0)  # looks at its log only when woken
        listener = Listener(system.settings.database.conninfo(), 0.2, schedule)
        listener.listen(schema, "school")
        schedule.add("school", system)
        try:
            assert system.views.wait_for(seen.position, timeout=20)  # its first catch-up
            again = system.journal.access_log.record_access(school.teacher, "/journal", [])
            # Woken only quietly (its idle look is 30 s away): caught up all the same.
            assert system.views.wait_for(again.position, timeout=20)
        finally:
            schedule.stop()
            listener.close()
