"""A class list is imported in one transaction, on SQLite and on PostgreSQL: when the
database refuses an event halfway through the insert, nothing of the list is stored."""

from __future__ import annotations

import sqlite3
from datetime import date

import psycopg
import pytest
from eventsourcing.persistence import ProgrammingError
from psycopg import sql

from domain import errors
from domain.enrolment import GuardianDetails, PupilRow
from ejournal.bootstrap import System
from tests.school import build_school

ON = date(2025, 9, 1)


def _rows(count: int) -> list[PupilRow]:
    mother = GuardianDetails("Орлова", "Светлана", "", "+7 900 111-22-33", "", "мать")
    return [
        PupilRow(n + 2, "Орлов", f"Ученик{'а' * n}", "", date(2014, 1, 1), mother)
        for n in range(count)
    ]


def _fail_inserts_beyond(system: System, rows_in_table: int) -> None:
    """Install a trigger that refuses any insert once the event table holds
    ``rows_in_table`` rows — counting rows inserted earlier in the same transaction."""
    db = system.settings.database
    table = system.journal.recorder.events_table_name
    if db.backend == "sqlite":
        with sqlite3.connect(db.path) as conn:
            conn.execute(
                f"CREATE TRIGGER inject_failure BEFORE INSERT ON {table} "
                f"WHEN (SELECT COUNT(*) FROM {table}) >= {rows_in_table} "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
        return
    schema, name = sql.Identifier(db.schema), sql.Identifier(table)
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE FUNCTION {schema}.inject_failure() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "IF (SELECT COUNT(*) FROM {schema}.{table}) >= {limit} THEN "
                "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$"
            ).format(schema=schema, table=name, limit=sql.Literal(rows_in_table))
        )
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER inject_failure BEFORE INSERT ON {schema}.{table} "
                "FOR EACH ROW EXECUTE FUNCTION {schema}.inject_failure()"
            ).format(schema=schema, table=name)
        )


def _stored(system: System) -> int:
    return system.journal.recorder.max_notification_id() or 0


def test_a_failure_halfway_through_the_insert_leaves_nothing(system: System) -> None:
    school = build_school(system.journal)
    before = _stored(system)
    rows = _rows(6)  # 1 guardian + 6 × (registered, linked) + 6 enrolments = 19 events
    _fail_inserts_beyond(system, before + 7)
    # SQLite reports a trigger's RAISE as a constraint error: the command retries on fresh
    # state (the same failure each time) and then reports a conflict; PostgreSQL's error
    # comes through as it is. Either way the command fails and the transaction rolls back.
    sqlite = system.settings.database.backend == "sqlite"
    expected = errors.ConcurrentUpdate if sqlite else ProgrammingError
    with pytest.raises(expected, match=None if sqlite else "injected failure"):
        system.journal.classes.import_class_list(school.class_id, rows, ON, school.admin)
    assert _stored(system) == before
    group = system.journal.queries.group(school.class_id, ON)
    assert group.members == frozenset(school.pupils)


def test_the_whole_list_is_saved_by_one_command(system: System) -> None:
    school = build_school(system.journal)
    before = _stored(system)
    receipt = system.journal.classes.import_class_list(school.class_id, _rows(4), ON, school.admin)
    topics = [n.topic for n in system.journal.recorder.select_notifications(before + 1, 1000)]
    registered = [t for t in topics if t.endswith("RecordSeries.Registered")]
    assert len(topics) - len(registered) == 1 + 4 * 3  # guardian, pupils, links, enrolments
    assert len(registered) == 1 + 4  # the register entry of each new person's series
    assert receipt.position == _stored(system)
    assert len(receipt.created) == 4
    group = system.journal.queries.group(school.class_id, ON)
    assert group.members == frozenset(school.pupils) | set(receipt.created)
    guardians = {system.journal.queries.student(p).guardians for p in receipt.created}
    assert len(guardians) == 1  # the siblings' mother is one person
