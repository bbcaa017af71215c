"""«Что нового»: how far each account has seen each pupil's diary (ADR 0017).

An operational table beside the views, not a view and not a record: the position is the
user's reading state, not a fact of the journal, so it is no event; ``views rebuild`` does
not touch it, and losing it only shows some news again. Per account and pupil, so a parent
with several children keeps one position per child, on every device.

A news item is seen once it was **shown** and then either acknowledged («Прочитано», which
sends the moment of the list it acknowledges) or the account came back in another visit (a
new sign-in, another browser or device). Re-rendering the page within the same visit — a tab
switch, a reload, the next week — shows the same items again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from projections.schema import Table
from projections.sqlstore import Database

SEEN = Table(
    "ops_diary_seen",
    (
        ("account_id", "text"),
        ("student_id", "text"),
        ("seen_at", "text"),
        ("shown_at", "text"),
        ("shown_visit", "text"),
    ),
    ("account_id", "student_id"),
)


@dataclass(frozen=True)
class Position:
    """Where «что нового» starts for this visit: ``since`` is None on the first visit."""

    since: datetime | None


def _iso(moment: datetime) -> str:
    """UTC ISO text: positions compare as text."""
    return moment.astimezone(UTC).isoformat()


class SeenPositions:
    """The ``ops_diary_seen`` table in the views' database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ready = False

    def _setup(self) -> None:
        if not self._ready:
            with self.db.transaction() as cur:
                for statement in SEEN.ddl(self.db.dialect):
                    cur.execute(statement)
            self._ready = True

    def visit(self, account_id: str, student_id: str, visit: str, now: datetime) -> Position:
        """Start showing the diary of ``student_id`` to ``account_id`` in ``visit``: what
        an earlier visit showed counts as seen now. The first visit ever starts at ``now``
        (nothing is news yet)."""
        self._setup()
        p = self.db.param
        key = (account_id, student_id)
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT seen_at, shown_at, shown_visit FROM {SEEN.name} "
                f"WHERE account_id = {p} AND student_id = {p}",
                key,
            )
            row = cur.fetchone()
            if row is None:
                cur.execute(
                    f"INSERT INTO {SEEN.name} (account_id, student_id, seen_at) "
                    f"VALUES ({p}, {p}, {p})",
                    (*key, _iso(now)),
                )
                return Position(None)
            seen_at, shown_at, shown_visit = row
            if shown_at is not None and shown_visit != visit:
                seen_at = max(seen_at, shown_at)
                cur.execute(
                    f"UPDATE {SEEN.name} SET seen_at = {p}, shown_at = NULL, shown_visit = NULL "
                    f"WHERE account_id = {p} AND student_id = {p}",
                    (seen_at, *key),
                )
            return Position(datetime.fromisoformat(seen_at))

    def shown(self, account_id: str, student_id: str, visit: str, upto: datetime) -> None:
        """The news up to ``upto`` were shown to ``account_id`` in ``visit``."""
        self._setup()
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE {SEEN.name} SET shown_at = {p}, shown_visit = {p} "
                f"WHERE account_id = {p} AND student_id = {p} AND seen_at < {p}",
                (_iso(upto), visit, account_id, student_id, _iso(upto)),
            )

    def acknowledge(self, account_id: str, student_id: str, upto: datetime) -> None:
        """The user read the news up to ``upto`` (never moves the position back)."""
        self._setup()
        p = self.db.param
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE {SEEN.name} SET seen_at = {p}, shown_at = NULL, shown_visit = NULL "
                f"WHERE account_id = {p} AND student_id = {p} AND seen_at < {p}",
                (_iso(upto), account_id, student_id, _iso(upto)),
            )
