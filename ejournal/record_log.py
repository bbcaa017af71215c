"""One record's stored events by its id, with their positions in the log: what the history
built on demand reads (``projections.views.history.OnDemand``, ADR 0029).

eventsourcing's ``select_events`` reads a record's events by the primary key
(originator_id, originator_version) but without their notification ids, which the history
shows (and the auditor's proofs use); this reads the same index and returns them, for the
event table of this store only (its schema on PostgreSQL: a school's own, see ADR 0029).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql

from projections.views.history import RecordLog


def _uuid(record_id: str) -> UUID | None:
    try:
        return UUID(str(record_id))
    except ValueError:
        return None


def _postgres(recorder: PostgresApplicationRecorder) -> RecordLog:
    statement = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {}.{} WHERE originator_id = %s ORDER BY originator_version"
    ).format(sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name))

    def read(record_id: str) -> Sequence[Notification]:
        uid = _uuid(record_id)
        if uid is None:
            return []
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (uid,), prepare=True)
            rows: list[Any] = curs.fetchall()
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]

    return read


def _sqlite(recorder: SQLiteApplicationRecorder) -> RecordLog:
    statement = (
        f"SELECT rowid, * FROM {recorder.events_table_name} "  # noqa: S608 (the library's name)
        "WHERE originator_id = ? ORDER BY originator_version"
    )

    def read(record_id: str) -> Sequence[Notification]:
        uid = _uuid(record_id)
        if uid is None:
            return []
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (uid.hex,))
            rows: list[Any] = cursor.fetchall()
        return [
            Notification(
                id=row["rowid"],
                originator_id=recorder.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in rows
        ]

    return read


def record_log(recorder: ApplicationRecorder) -> RecordLog | None:
    """The reader of one record's events for this recorder (None for another kind: the
    views then scan the log)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres(recorder)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite(recorder)
    return None
