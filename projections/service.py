"""``Views``: what the UI, the CLI and the archive use to read — current views from SQL,
or any view as of a moment, rebuilt in memory from the events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from domain.policies import Policies
from projections.processor import Processor, Progress, ViewStatus
from projections.queries import attendance, completeness, diary, summary
from projections.queries import class_journal as class_journal_view
from projections.queries.scope import Scope
from projections.sqlstore import Database, SQLReader
from projections.store import Reader
from projections.view import Sealer
from projections.views import catalog, final_marks
from projections.views import grid as grid_view
from projections.views import history as history_view

T = TypeVar("T")


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
    def reading_codes(self, *, allowed: bool) -> AbstractContextManager[grid_view.Codes]:
        """Within this block attendance codes are opened for a reader who may (``allowed``)
        or may not see the sensitive ones (``policies/attendance.toml``): a web request,
        a CLI command."""
        return grid_view.reading_codes(
            grid_view.Codes(self.sealer, self.policies.attendance, allowed)
        )

    def pinned(self) -> AbstractContextManager[None]:
        """Within this block the reads of the calling thread share one database
        transaction where the backend gains by it (one web request)."""
        return self.db.pinned()

    @contextmanager
    def reader(self, as_of: datetime | None = None, names: Sequence[str] = ()) -> Iterator[Reader]:
        """Current views (SQL), or the views as they stood at ``as_of`` (built in memory:
        only ``names`` when given — an as-of grid needs the catalogue and the grid only).
        Attendance codes are read as the enclosing ``reading_codes`` says; outside one, as
        for a reader not allowed the sensitive codes."""
        with ExitStack() as stack:
            if grid_view.reading() is None:
                stack.enter_context(self.reading_codes(allowed=False))
            if as_of is not None:
                chosen = [self.processor.view(n) for n in names] if names else self.processor.views
                memory, _ = self.processor.build_in_memory(chosen, until=as_of)
                yield memory
                return
            with self.db.read() as cursor:
                yield SQLReader(self.db, cursor)

    def read(
        self, query: Callable[..., T], *args: Any, as_of: datetime | None = None, **kwargs: Any
    ) -> T:
        """Run a query function of ``projections.queries`` or ``projections.views`` —
        ``query(reader, *args, **kwargs)`` — on the current views, or as of a moment."""
        with self.reader(as_of) as reader:
            return query(reader, *args, **kwargs)

    def names(self, person_ids: Iterable[str], *, short: bool = False) -> dict[str, str]:
        """Names of many people at once, decrypted for display."""
        with self.reader() as reader:
            return catalog.display_names(reader, self.sealer, person_ids, short=short)

    def grid(
        self, course_journal_id: str, term: int, as_of: datetime | None = None
    ) -> grid_view.Grid:
        """A course journal's grid for a term."""
        with self.reader(as_of, ("catalog", "grid")) as reader:
            return grid_view.grid(reader, self.policies.grading, course_journal_id, term)

    def term_marks(
        self, course_journal_id: str, term: int, as_of: datetime | None = None
    ) -> dict[str, final_marks.FinalMark]:
        """Term marks of a course journal for a term, by pupil id."""
        with self.reader(as_of, ("final_marks",)) as reader:
            return final_marks.term_marks(reader, course_journal_id, term)

    def year_marks(
        self, group_id: str, as_of: datetime | None = None
    ) -> dict[tuple[str, str], final_marks.FinalMark]:
        """Year marks of a class, by (pupil id, course journal id)."""
        with self.reader(as_of) as reader:
            return final_marks.year_marks(reader, group_id)

    def summary_sheet(self, group_id: str, as_of: datetime | None = None) -> summary.SummarySheet:
        """The summary sheet («сводная ведомость») of a class for its school year."""
        with self.reader(as_of) as reader:
            return summary.summary_sheet(reader, self.policies.grading, group_id)

    def class_journal(
        self, group_id: str, term: int, as_of: datetime | None = None
    ) -> class_journal_view.ClassJournal:
        """Every subject's grid of a class for a term, ordered by subject."""
        with self.reader(as_of) as reader:
            return class_journal_view.class_journal(reader, self.policies.grading, group_id, term)

    def history(
        self, record_id: str, as_of: datetime | None = None
    ) -> list[history_view.HistoryRow]:
        """Every event of a record: actor, time, type, reason, values before and after."""
        with self.reader(as_of) as reader:
            return history_view.record_history(reader, self.sealer, record_id)

    def mark_history(self, mark_id: str) -> list[history_view.HistoryRow]:
        """A mark's chain: entry, requests and decisions, corrections, cancellation."""
        with self.reader() as reader:
            return history_view.mark_history(reader, self.sealer, mark_id)

    def diary(
        self,
        student_id: str,
        *,
        year_id: str | None = None,
        first: date | None = None,
        last: date | None = None,
        since: datetime | None = None,
        as_of: datetime | None = None,
    ) -> diary.Diary:
        """A pupil's diary: marks by subject with averages, attendance, homework, and what
        is new since ``since``."""
        with self.reader(as_of) as reader:
            return diary.diary(
                reader,
                self.policies.grading,
                student_id,
                year_id=year_id,
                first=first,
                last=last,
                since=since,
            )

    def attendance(
        self, group_id: str, first: date, last: date, as_of: datetime | None = None
    ) -> attendance.AttendanceReport:
        """Attendance of a class's pupils from ``first`` to ``last``."""
        with self.reader(as_of) as reader:
            return attendance.attendance_report(
                reader, self.policies.attendance, group_id, first, last
            )

    def completeness(
        self,
        *,
        day: date,
        group_id: str | None = None,
        year_id: str | None = None,
        term: int | None = None,
        first: date | None = None,
        last: date | None = None,
        recent_days: int = 1,
        as_of: datetime | None = None,
    ) -> completeness.Completeness:
        """The filling-completeness report of a class (or a whole year) for a term or a
        date range, as it stands on ``day``."""
        with self.reader(as_of) as reader:
            if term is not None:
                year = year_id or self._year_of(reader, group_id)
                first, last = completeness.term_dates(reader, year, term)
            if first is None or last is None:
                raise LookupError("give a term, or both first and last dates")
            return completeness.completeness_report(
                reader,
                self.policies.journal,
                first=first,
                last=last,
                as_of=day,
                group_id=group_id,
                year_id=year_id,
                recent_days=recent_days,
            )

    @staticmethod
    def _year_of(reader: Reader, group_id: str | None) -> str:
        group = reader.get(catalog.GROUPS, (str(group_id),)) if group_id else None
        if group is None:
            raise LookupError(f"no class or group {group_id}")
        return str(group["year_id"])

    def name(self, person_id: str, *, short: bool = False) -> str:
        """A person's name, decrypted for display (placeholder when destroyed)."""
        with self.reader() as reader:
            return catalog.display_name(reader, self.sealer, person_id, short=short)

    def owns(
        self, account_id: str, person_id: str | None, roles: list[str], kind: str, record_id: str
    ) -> bool:
        """True when one of ``roles`` of this user reaches ``record_id`` of ``kind``
        (see ``projections.queries.scope``)."""
        with self.reader() as reader:
            scope = Scope(reader, account_id, person_id)
            return any(scope.owns(role, kind, record_id) for role in roles)

    def owned(
        self, account_id: str, person_id: str | None, roles: list[str], kind: str
    ) -> frozenset[str]:
        """Every record of ``kind`` one of ``roles`` of this user reaches."""
        with self.reader() as reader:
            scope = Scope(reader, account_id, person_id)
            return frozenset().union(*(scope.owned(role, kind) for role in roles))
