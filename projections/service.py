"""``Views``: the views' upkeep (catch-up, rebuild, status) and the readers every read
goes through — current views from SQL, or any view as of a moment, rebuilt in memory from
the events. The reads themselves are typed methods grouped by feature: ``views.reads``
(``projections.reads``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.persistence import Notification

from domain.policies import Policies
from projections.mail import MailOutbox
from projections.processor import EventSource, Processor, Progress, ViewStatus
from projections.reads import Reads
from projections.sealing import Keeper
from projections.seen import SeenPositions
from projections.sqlstore import Database, SQLReader, StandbyLag
from projections.store import MemoryStore, Reader
from projections.view import Sealer
from projections.views import grid as grid_view
from projections.views import history as history_view
from projections.views import ledger_leaves

LEDGER = "ledger"
LEDGER_TITLE = "Реестр целостности: дерево Меркла над журналом событий"

T = TypeVar("T")


class Views:
    """Read access to the views, and their upkeep (catch-up, rebuild, status)."""

    def __init__(
        self,
        processor: Processor,
        db: Database,
        sealer: Sealer,
        policies: Policies,
        keeper: Keeper | None = None,
        record_log: history_view.RecordLog | None = None,
        standby_events: EventSource | None = None,
    ) -> None:
        self.processor = processor
        #: One record's stored events by its id, for the history built on demand (ADR
        #: 0029); without one (tests of the views alone) the log is scanned for them.
        self.record_log = record_log or self._scan_log
        #: The event store as the hot standby holds it (ADR 0028): the as-of replays of a
        #: request routed to the standby (``db.route_reads``) read their events there.
        self.standby_events = standby_events
        self.db = db
        self.sealer = sealer
        self.policies = policies
        #: The ledger's own processor (sealing): kept up with the views, listed as "ledger".
        self.keeper = keeper
        #: Grids kept between pages while nothing they show changes (ADR 0022).
        self.grids = grid_view.GridCache()
        self.reads = Reads(self)
        #: «Что нового»: how far each account has seen each diary (an ops table, ADR 0017).
        self.seen = SeenPositions(db)
        #: The e-mail outbox and its delivery record (ops tables, ADR 0023).
        self.mail = MailOutbox(db, sealer)

    # --- upkeep ----------------------------------------------------------------------------
    def catch_up(self, *, seal: bool = True) -> int:
        """Process every new event into every view, then (``seal``) seal it into the
        ledger; return how many events the views read."""
        done = self.processor.catch_up()
        if seal:
            self.seal()
        return done

    def seal(self) -> int:
        """Seal every stored row not yet sealed into the ledger (0 without one); a regional
        worker seals after the views others wait for (ADR 0035)."""
        return self.keeper.catch_up() if self.keeper is not None else 0

    def nudge(self) -> None:
        """Catch up after a command (in-process mode); see ``Processor.nudge``."""
        self.processor.nudge()
        if self.keeper is not None:
            self.keeper.nudge()

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until the views have processed ``position`` (read-your-writes)."""
        return self.processor.wait_for(position, timeout)

    # --- a hot standby (ADR 0028) ------------------------------------------------------------
    @property
    def has_standby(self) -> bool:
        """Whether the pages' reads may be served by a hot standby."""
        return self.db.has_standby

    def route_reads(self, after: str | None) -> None:
        """Serve this request's reads of the views (and its as-of replays) from the standby
        once it has replayed ``after`` — the reader's own last write — else the primary."""
        self.db.route_reads(after)

    def reads_from_standby(self) -> bool:
        """Whether this request's reads are served by the standby."""
        return self.db.reads_from_standby()

    def write_position(self) -> str:
        """The primary's WAL position now: remembered after a write (read-your-writes)."""
        return self.db.write_position()

    def standby_lag(self) -> StandbyLag | None:
        """The standby's lag behind the primary (``/healthz``); None without one."""
        return self.db.standby_lag()

    def rebuild(self, names: list[str] | None = None, progress: Progress | None = None) -> int:
        """Drop and rebuild views from the whole log (``"ledger"``: sealed again from the
        stored rows by its own processor)."""
        ledger = self.keeper is not None and (not names or LEDGER in names)
        others = [n for n in names or () if n != LEDGER]
        last = 0
        self.grids.clear()
        if others or not names:
            last = self.processor.rebuild(others or None, progress)
        if ledger:
            assert self.keeper is not None
            sealed = self.keeper.rebuild(progress)
            last = sealed if names == [LEDGER] else last
        return last

    def status(self) -> list[ViewStatus]:
        """Position and lag of every view (and of the ledger's sealing)."""
        found = self.processor.status()
        if self.keeper is not None:
            position = self.keeper.position()
            head = self.processor.recorder.max_notification_id() or 0
            found.append(ViewStatus(LEDGER, LEDGER_TITLE, position, head - position))
        return found

    def counts(self, names: list[str] | None = None) -> dict[str, int]:
        """Row count of every table of the views (all, or ``names``)."""
        tables = [t for v in self.processor.views if not names or v.name in names for t in v.tables]
        if self.keeper is not None and (not names or LEDGER in names):
            tables += ledger_leaves.TABLES
        with self.db.read() as cursor:
            found = {}
            for table in tables:
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
        only ``names`` when given — an as-of grid needs the catalogue and the grid only;
        ``("history",)`` alone builds nothing but the records' histories). Either way the
        history tables are built on demand from the records a query names (ADR 0029).
        Attendance codes are read as the enclosing ``reading_codes`` says; outside one, as
        for a reader not allowed the sensitive codes."""
        with ExitStack() as stack:
            if grid_view.reading() is None:
                stack.enter_context(self.reading_codes(allowed=False))
            if as_of is not None:
                wanted = [n for n in names if n != history_view.VIEW.name]
                memory = MemoryStore()
                if wanted or not names:
                    chosen = [self.processor.view(n) for n in wanted] or self.processor.views
                    source = self.standby_events if self.db.reads_from_standby() else None
                    memory, _ = self.processor.build_in_memory(chosen, until=as_of, source=source)
                yield self.histories(memory, as_of)
                return
            with self.db.read(replica=True) as cursor:
                yield self.histories(SQLReader(self.db, cursor))

    def histories(self, base: Reader, as_of: datetime | None = None) -> history_view.OnDemand:
        """``base`` with the history tables built on demand (as of ``as_of`` when given)."""
        return history_view.OnDemand(
            base, self.record_log, self.processor.decode, self.sealer, as_of
        )

    def _scan_log(self, record_id: str) -> list[Notification]:
        """A record's stored events found by reading the whole log (no ``record_log``)."""
        return [
            note
            for notes in self.processor.notifications()
            for note in notes
            if str(note.originator_id) == record_id
        ]

    def read(
        self, query: Callable[..., T], *args: Any, as_of: datetime | None = None, **kwargs: Any
    ) -> T:
        """Run a query function of ``projections.queries`` or ``projections.views`` —
        ``query(reader, *args, **kwargs)`` — on the current views, or as of a moment (for
        the CLI and tests; the web reads through ``self.reads``)."""
        with self.reader(as_of) as reader:
            return query(reader, *args, **kwargs)
