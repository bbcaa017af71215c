"""``Views``: what the UI, the CLI and the archive use to read — current views from SQL,
or any view as of a moment, rebuilt in memory from the events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from domain.policies import Policies
from projections.processor import Processor, Progress, ViewStatus
from projections.sqlstore import Database, SQLReader
from projections.store import Reader
from projections.view import Sealer
from projections.views import catalog
from projections.views import grid as grid_view


class Views:
    """Read access to the views, and their upkeep (catch-up, rebuild, status)."""

    def __init__(
        self, processor: Processor, db: Database, sealer: Sealer, policies: Policies
    ) -> None:
        self.processor = processor
        self.db = db
        self.sealer = sealer
        self.policies = policies

    # --- upkeep ----------------------------------------------------------------------------
    def catch_up(self) -> int:
        """Process every new event into every view."""
        return self.processor.catch_up()

    def nudge(self) -> None:
        """Catch up after a command (in-process mode); see ``Processor.nudge``."""
        self.processor.nudge()

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until the views have processed ``position`` (read-your-writes)."""
        return self.processor.wait_for(position, timeout)

    def rebuild(self, names: list[str] | None = None, progress: Progress | None = None) -> int:
        """Drop and rebuild views from the whole log."""
        return self.processor.rebuild(names, progress)

    def status(self) -> list[ViewStatus]:
        """Position and lag of every view."""
        return self.processor.status()

    def counts(self, names: list[str] | None = None) -> dict[str, int]:
        """Row count of every table of the views (all, or ``names``)."""
        views = [self.processor.view(n) for n in names] if names else self.processor.views
        with self.db.read() as cursor:
            found = {}
            for view in views:
                for table in view.tables:
                    cursor.execute(f"SELECT COUNT(*) FROM {table.name}")  # noqa: S608
                    found[table.name] = int(cursor.fetchone()[0])
        return found

    # --- reading ---------------------------------------------------------------------------
    @contextmanager
    def reader(self, as_of: datetime | None = None) -> Iterator[Reader]:
        """Current views (SQL), or every view as it stood at ``as_of`` (built in memory)."""
        if as_of is not None:
            memory, _ = self.processor.build_in_memory(self.processor.views, until=as_of)
            yield memory
            return
        with self.db.read() as cursor:
            yield SQLReader(self.db, cursor)

    def grid(
        self, course_journal_id: str, term: int, as_of: datetime | None = None
    ) -> grid_view.Grid:
        """A course journal's grid for a term."""
        with self.reader(as_of) as reader:
            return grid_view.grid(reader, self.policies.grading, course_journal_id, term)

    def name(self, person_id: str, *, short: bool = False) -> str:
        """A person's name, decrypted for display (placeholder when destroyed)."""
        with self.reader() as reader:
            return catalog.display_name(reader, self.sealer, person_id, short=short)
