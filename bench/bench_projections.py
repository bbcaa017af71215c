"""Projection benchmark: rebuild of every view over a million events, beside the raw scan.

On PostgreSQL, in one run (DESIGN.md §5, §9; issue 3, «Measure»):

1. the data set of ``bench/dataset.py`` (at least 1,000,000 events of a school over six
   years; about 2 minutes for 1,075,045 events on the reference machine) in a throwaway
   schema, or reused with ``--keep``;
2. raw limits measured in the same run: ``select_notifications`` alone, and with
   ``mapper.to_domain_event`` (decryption and decoding) for every event;
3. ``views.rebuild()`` of every registered view, in events/s and as a ratio to the raw
   scan with decoding;
4. the grid query (30 pupils × about 50 lessons) p50/p95 over the SQL views, and the
   diary query p95 when the product has one;
5. with ``--profile``: where a rebuild's time goes on a 100,000-event slice (stages timed
   without a profiler, then cProfile by category and by function);
6. with ``--kept-history``: the same rebuild with the records' history kept as a view, as
   before ADR 0029 (built on demand since), right after it in each round: the before figure
   of the same run.

Generating the data set takes minutes; ``--keep`` keeps the schema afterwards and reuses
it on the next run when it is complete. Without ``--keep`` the schema is dropped at the
end. ``--quick``: one school year of five classes (tens of thousands of events), fewer
query repeats. Benchmarks are not tests: the exit status is 0 unless the script itself
crashed.

    .venv/bin/python -m bench.bench_projections [--keep] [--profile] [--kept-history]
                                                [--rounds N] [--quick]
                                                [--json FILE]
                                                [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
from eventsourcing.persistence import ApplicationRecorder
from psycopg import sql

from bench import common, dataset
from bench.common import n
from domain import clock
from ejournal.bootstrap import System, build
from ejournal.viewdb import PostgresViewDatabase
from projections.processor import TRACKING, Processor
from projections.store import MemoryStore
from projections.view import Applied
from projections.views import history

DEFAULT_SCHEMA = "bench_projections"

#: Targets (issue 3, DESIGN.md §9; the share raised by issue 19).
REBUILD_TARGET = 50_000.0  # events/s
REBUILD_SHARE = 0.4  # of the raw scan with decoding (issue 19; was 0.25, issue 3)
GRID_TARGET_MS = 20.0  # grid query p95
QUERY_REPEATS = 200
SLICE = 100_000  # events in the profiled slice


# --- measuring ------------------------------------------------------------------------------------
def rebuild_all(system: System, processor: Processor | None = None) -> common.Timed:
    """``views.rebuild()`` of every view: in memory, then DELETE + COPY in one transaction.
    Timed here (the row count afterwards is not part of it). The ledger is left out: its
    sealing from the stored rows (which ``ejournal views rebuild`` also redoes) is measured by
    ``bench_ledger`` against its own raw limit. With ``processor``: its views instead (the
    views as they were before ADR 0029, see ``rebuild_kept_history``)."""
    built = [0.0]
    cpu, started = time.process_time(), time.perf_counter()

    def progress(done: int, head: int) -> None:
        if done >= head and not built[0]:
            built[0] = time.perf_counter() - started

    if processor is None:
        names = [v.name for v in system.views.processor.views]
        last = system.views.rebuild(names, progress=progress)
        tables = [t for v in system.views.processor.views for t in v.tables]
    else:
        last = processor.rebuild(progress=progress)
        tables = [t for v in processor.views for t in v.tables]
    total, used = time.perf_counter() - started, time.process_time() - cpu
    rows = count_rows(system, [t.name for t in tables])
    write = total - built[0]
    return common.Timed(
        last,
        total,
        used,
        f"in-memory build {built[0]:.1f} s, DELETE + COPY of {rows:,} rows {write:.1f} s "
        f"({rows / max(write, 1e-9):,.0f} rows/s)",
    )


def count_rows(system: System, names: list[str]) -> int:
    """Rows in these view tables."""
    with system.view_db.read() as cur:
        total = 0
        for name in names:
            cur.execute(f"SELECT COUNT(*) FROM {name}")
            row = cur.fetchone()
            total += int(row[0]) if row else 0
    return total


def rebuild_kept_history(system: System) -> common.Timed:
    """The same rebuild with the records' history kept as a view, as before ADR 0029 (its
    four tables made for the run, dropped afterwards): the before figure, in the same run."""
    processor = system.views.processor
    kept = Processor(
        [*processor.views, history.VIEW],
        processor.recorder,
        processor.mapper,
        processor.db,
        processor.sealer,
        processor.batch_size,
    )
    kept.setup()
    try:
        return rebuild_all(system, kept)
    finally:
        with processor.db.transaction() as cur:
            for table in history.VIEW.tables:
                cur.execute(f"DROP TABLE IF EXISTS {table.name}")
            cur.execute(f"DELETE FROM {TRACKING} WHERE view = %s", (history.VIEW.name,))


@dataclass
class Query:
    """Durations of one query, repeated; or why it was not measured."""

    label: str
    durations: list[float] = field(default_factory=list)
    skipped: str = ""
    shape: str = ""

    def percentile(self, q: float) -> float:
        return common.percentile(self.durations, q)


def repeat(query: Query, call: Callable[[], object], times: int) -> Query:
    """Warm up, then time ``call`` ``times`` times."""
    for _ in range(5):
        call()
    for _ in range(times):
        started = time.perf_counter()
        call()
        query.durations.append(time.perf_counter() - started)
    return query


def grid_query(system: System, data: dataset.DataSet, times: int) -> Query:
    course, term, _, label = data.grid
    query = Query(f"grid query ({label})")
    try:
        grid = system.views.reads.journal.grid(course, term)
    except Exception as error:
        query.skipped = f"failed: {type(error).__name__}: {error}"
        return query
    cells = sum(len(v) for v in grid.marks.values())
    query.shape = f"{len(grid.pupils)} pupils × {len(grid.lessons)} lessons, {cells} marks"
    return repeat(query, lambda: system.views.reads.journal.grid(course, term), times)


def diary_query(system: System, data: dataset.DataSet, times: int) -> Query:
    """The diary through ``Views``."""
    student, year = data.diary
    query = Query("diary query (one pupil, the current year)")
    method = system.views.reads.reports.diary
    since = datetime.combine(
        dataset.TODAY - timedelta(days=7), datetime.min.time(), clock.SCHOOL_TZ
    )
    calls: list[Callable[[], object]] = [
        lambda: method(student, year_id=year, since=since),
        lambda: method(student, year_id=year),
        lambda: method(student),
    ]
    for call in calls:
        try:
            found: Any = call()
        except TypeError:
            continue
        except Exception as error:
            query.skipped = f"failed: {type(error).__name__}: {error}"
            return query
        subjects = getattr(found, "subjects", ())
        marks = sum(len(getattr(s, "marks", ())) for s in subjects)
        query.shape = f"{len(subjects)} subjects, {marks} marks"
        return repeat(query, call, times)
    query.skipped = "Views.diary takes arguments this benchmark does not know"
    return query


# --- where the time goes --------------------------------------------------------------------------
class TimedStore(MemoryStore):
    """A ``MemoryStore`` that adds up the time spent in it."""

    spent = 0.0

    def upsert(self, table: Any, row: Any) -> None:
        started = time.perf_counter()
        super().upsert(table, row)
        self.spent += time.perf_counter() - started

    def update(self, table: Any, key: Any, changes: Any) -> None:
        started = time.perf_counter()
        super().update(table, key, changes)
        self.spent += time.perf_counter() - started

    def delete(self, table: Any, key: Any) -> None:
        started = time.perf_counter()
        super().delete(table, key)
        self.spent += time.perf_counter() - started

    def get(self, table: Any, key: Any) -> Any:
        started = time.perf_counter()
        found = super().get(table, key)
        self.spent += time.perf_counter() - started
        return found

    def select(self, table: Any, where: Any = None, within: Any = None) -> list[Any]:
        started = time.perf_counter()
        found = super().select(table, where, within)
        self.spent += time.perf_counter() - started
        return found


#: cProfile categories: (name, test on "file:function"), first match wins.
CATEGORIES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("decryption (AES-GCM decrypt)", lambda f: "'decrypt'" in f),
    ("sealing in handlers (AES-GCM encrypt)", lambda f: "'encrypt'" in f),
    (
        "ledger (Merkle hashing, frontier)",
        lambda f: "merkle" in f or "ledger" in f or "sha256" in f,
    ),
    ("COPY (psycopg copy, bulk_load)", lambda f: "copy" in f.lower() or "bulk_load" in f),
    (
        "JSON decoding (json, object_hook, transcodings, UUID/date parsing)",
        lambda f: any(
            k in f for k in ("json/decoder", "_decode_obj", ":decode", "uuid.py", "fromisoformat")
        ),
    ),
    ("JSON encoding in handlers (json.dumps)", lambda f: "json/encoder" in f or "_jsonable" in f),
    (
        "mapper (topic, ids, key lookup, event object)",
        lambda f: any(k in f for k in ("mapper.py", "persistence.py", "keyring.py", "utils.py")),
    ),
    ("fetch (select_notifications, psycopg)", lambda f: "psycopg" in f or "postgres.py" in f),
    ("MemoryStore (incl. plain, key_of)", lambda f: "store.py" in f or "schema.py" in f),
    ("handlers (views' code)", lambda f: "projections/view" in f or "viewdb.py" in f),
)


def stages(system: System, last: int, db: Any) -> list[str]:
    """Each stage of a rebuild of events 1..``last``, timed on its own without a profiler."""
    from ejournal.mapper import HEADER, MAGIC, associated_data, key_id_of

    journal, processor = system.journal, system.views.processor
    mapper: Any = journal.mapper
    views, size = processor.views, processor.batch_size * 5
    found: list[tuple[str, float]] = []

    def stage(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        found.append((name, time.perf_counter() - started))
        return result

    notes = stage(
        "fetch (select_notifications)",
        lambda: [note for b in dataset.batches(journal.recorder, last, size) for note in b],
    )

    def decrypt() -> list[bytes]:
        plain = []
        for note in notes:
            key: Any = mapper.keyring.key_by_id(key_id_of(note.state))
            nonce, data = note.state[len(MAGIC) + 16 : HEADER], note.state[HEADER:]
            aad = associated_data(note.originator_id, note.originator_version)
            plain.append(key.aead.decrypt(nonce, data, aad))
        return plain

    plains = stage("decryption (key lookup + AES-GCM)", decrypt)
    stage(
        "JSON decoding (transcoder.decode)", lambda: [mapper.transcoder.decode(p) for p in plains]
    )
    started = time.perf_counter()
    events = [mapper.to_domain_event(n) for n in notes]
    rest = time.perf_counter() - started - found[-1][1] - found[-2][1]
    found.append(("rest of the mapper (topic, ids, event object)", rest))
    memory = TimedStore()
    started = time.perf_counter()
    for note, event in zip(notes, events, strict=True):
        applied = Applied(note.id, processor.sealer, note)
        for view in views:
            view.apply(memory, event, applied)
    applying = time.perf_counter() - started
    found.append(("handlers (views' code, sealing, JSON)", applying - memory.spent))
    found.append(("MemoryStore", memory.spent))
    by_view = []
    for view in views:
        alone = MemoryStore()
        started = time.perf_counter()
        for note, event in zip(notes, events, strict=True):
            view.apply(alone, event, Applied(note.id, processor.sealer, note))
        by_view.append(f"{view.name} {time.perf_counter() - started:.2f} s")
    rows = sum(len(memory.rows(t)) for v in views for t in v.tables)

    def copy() -> None:
        with db.transaction() as cur:
            for view in views:
                for table in view.tables:
                    cur.execute(f"DELETE FROM {table.name}")
                    names = table.column_names
                    data = memory.rows(table).values()
                    db.bulk_load(cur, table, ([r[c] for c in names] for r in data))

    stage(f"DELETE + COPY ({rows:,} rows)", copy)
    total, count = sum(s for _, s in found), len(notes)
    lines = [f"events 1–{last:,}; views: {', '.join(v.name for v in views)}"]
    for name, seconds in found:
        lines.append(
            f"   {name:<46} {seconds:6.2f} s {1e6 * seconds / count:7.1f} µs/event"
            f" {seconds / total:6.1%}"
        )
    lines.append(
        f"   {'total':<46} {total:6.2f} s {1e6 * total / count:7.1f} µs/event"
        f"  = {count / total:,.0f} events/s"
    )
    lines.append(f"   handlers + MemoryStore, each view alone: {', '.join(by_view)}")
    return lines


def cprofile(system: System, last: int, db: Any) -> list[str]:
    """``Processor.rebuild`` of events 1..``last`` under cProfile: own time by category and
    the top functions."""
    processor = system.views.processor
    sliced = Processor(
        processor.views,
        cast(ApplicationRecorder, dataset.SliceRecorder(system.journal.recorder, last)),
        system.journal.mapper,
        db,
        processor.sealer,
        processor.batch_size,
    )
    return common.profiled(
        sliced.rebuild, f"Processor.rebuild of events 1–{last:,}", CATEGORIES, top=20, width=66
    )


def profile(system: System, head: int, server: str, scratch: str) -> list[str]:
    """Where a rebuild's time goes, on the first ``SLICE`` events, written to a scratch
    schema (dropped afterwards). The slice starts at the log's beginning because views
    need each record's creation event (the history view keys its seals by it)."""
    last = min(head, SLICE)
    with dataset.scratch_views(server, scratch) as db:
        processor = system.views.processor
        Processor(
            processor.views, system.journal.recorder, system.journal.mapper, db, processor.sealer
        ).setup()
        return [*stages(system, last, db), *cprofile(system, last, db)]


# --- report ---------------------------------------------------------------------------------------
def one_round(system: System, head: int, size: int, w: int) -> tuple[common.Timed, common.Timed]:
    """The raw scans and the rebuild, printed; (the scan with decoding, the rebuild)."""
    fetch = common.timed(lambda: dataset.fetch_only(system, head, size))
    print(
        f"   {f'raw select_notifications ({size:,}/batch)':<{w}} {n(fetch.rate):>9} "
        f"events/s   ({fetch.seconds:.1f} s, client CPU {fetch.cpu:.1f} s)"
    )
    scan = common.timed(lambda: dataset.scan_decoding(system, head, size))
    print(
        f"   {'raw scan + mapper.to_domain_event':<{w}} {n(scan.rate):>9} events/s"
        f"   ({scan.seconds:.1f} s, client CPU {scan.cpu:.1f} s)"
    )
    cleaned = vacuum(system)
    rebuild = rebuild_all(system)
    print(
        f"   {'views.rebuild() — all views, not the ledger':<{w}} "
        f"{n(rebuild.rate):>9} events/s"
        f"  = {rebuild.rate / scan.rate:.2f} × raw scan with decoding"
        f"   ({rebuild.seconds:.1f} s, client CPU {rebuild.cpu:.1f} s)"
    )
    print(f"   {'':<{w}} {rebuild.detail}; VACUUM before, untimed: {cleaned:.0f} s")
    return scan, rebuild


def kept_round(
    system: System, scan: common.Timed, rebuild: common.Timed, head: int, w: int
) -> tuple[float, float]:
    """The rebuild with the history kept, printed beside this round's; (rate, ratio)."""
    cleaned = vacuum(system)
    old = rebuild_kept_history(system)
    print(
        f"   {'the same with the history kept (before ADR 0029)':<{w}} "
        f"{n(old.rate):>9} events/s  = {old.rate / scan.rate:.2f} × raw scan with "
        f"decoding   ({old.seconds:.1f} s, client CPU {old.cpu:.1f} s)"
    )
    print(f"   {'':<{w}} {old.detail}; VACUUM before, untimed: {cleaned:.0f} s")
    print(
        f"   {'':<{w}} client CPU per event: {1e6 * rebuild.cpu / head:.0f} µs now, "
        f"{1e6 * old.cpu / head:.0f} µs with the history kept, "
        f"{1e6 * scan.cpu / head:.0f} µs the raw scan with decoding"
    )
    return old.rate, old.rate / scan.rate


def measure(
    args: argparse.Namespace,
    server: str,
    data: dataset.DataSet,
    folder: Path,
    figures: common.Figures,
) -> None:
    """Every measurement on the data set, printed as it comes; then the targets."""
    kept: list[tuple[float, float]] = []
    w = 48
    with build(dataset.settings_for(server, data.schema, folder)) as system:
        mode = system.settings.views_mode
        head = system.journal.recorder.max_notification_id() or 0
        size = system.views.processor.batch_size * 5
        views = system.views.processor.views
        tables = sum(len(v.tables) for v in views)
        print(f"views: {', '.join(v.name for v in views)} ({tables} tables); log head {head:,}")
        rebuilds: list[common.Timed] = []
        ratios: list[float] = []
        scans: list[float] = []
        for round_ in range(1, args.rounds + 1):
            print(f"\n== Round {round_} of {args.rounds}")
            scan, rebuild = one_round(system, head, size, w)
            rebuilds.append(rebuild)
            ratios.append(rebuild.rate / scan.rate)
            scans.append(scan.rate)
            if args.kept_history:
                kept.append(kept_round(system, scan, rebuild, head, w))
        print(
            "\n== Queries over the SQL views, right after the rebuild "
            f"(planner statistics of the view tables: {planner_statistics(system)})"
        )
        before = queries(system, data, args.repeats)
        seconds = analyze(system)
        print(
            f"\n== The same after ANALYZE of the view tables ({seconds:.1f} s; autovacuum "
            "would do it some time after a rebuild, when it is on)"
        )
        after = queries(system, data, args.repeats)
        if args.profile:
            print("\n== Where a rebuild's time goes (stages timed without a profiler)")
            for line in profile(system, head, server, f"{data.schema}_profile"):
                print(f"   {line}")

    rate, ratio = common.median([r.rate for r in rebuilds]), common.median(ratios)
    figures.add(
        f"views.rebuild(), all views (the ledger apart), {head:,} events",
        "postgres",
        mode,
        rate,
        "events/s",
        raw=common.median(scans),
        raw_label="events/s, raw scan with decoding",
        ratio=ratio,
        target=f"≥ {n(REBUILD_TARGET)} events/s and ≥ {REBUILD_SHARE} × raw",
        verdict=common.verdict(rate >= REBUILD_TARGET and ratio >= REBUILD_SHARE),
    )
    if kept:
        figures.add(
            f"the same rebuild with the history kept as a view (before ADR 0029), {head:,} events",
            "postgres",
            mode,
            common.median([k[0] for k in kept]),
            "events/s",
            raw=common.median(scans),
            raw_label="events/s, raw scan with decoding",
            ratio=common.median([k[1] for k in kept]),
        )
    print("\nTargets (issues 3 and 19, DESIGN.md §9; a benchmark reports, it does not fail):")
    ok = rate >= REBUILD_TARGET
    print(f"   rebuild {n(rate)} events/s ≥ {n(REBUILD_TARGET)} — {common.verdict(ok)}")
    print(
        f"   rebuild ÷ raw scan with decoding {ratio:.2f} ≥ {REBUILD_SHARE} — "
        f"{common.verdict(ratio >= REBUILD_SHARE)}"
    )
    for when, (grid, diary) in (("right after the rebuild", before), ("after ANALYZE", after)):
        if grid.skipped:
            print(f"   grid query p95 < {GRID_TARGET_MS:.0f} ms — not measured: {grid.skipped}")
        else:
            p95 = grid.percentile(0.95)
            print(
                f"   grid query p95 {p95:.1f} ms < {GRID_TARGET_MS:.0f} ms, {when} — "
                f"{common.verdict(p95 < GRID_TARGET_MS)}"
            )
            figures.add(
                f"grid query p95 ({grid.shape}), {when}",
                "postgres",
                mode,
                p95,
                "ms",
                target=f"< {GRID_TARGET_MS:.0f} ms",
                verdict=common.verdict(p95 < GRID_TARGET_MS),
            )
        if diary.skipped:
            print(f"   diary query p95 (no target) — skipped: {diary.skipped}")
        else:
            p95 = diary.percentile(0.95)
            print(f"   diary query p95 {p95:.1f} ms, {when} (no target set)")
            figures.add(f"diary query p95, {when}", "postgres", mode, p95, "ms")


def queries(system: System, data: dataset.DataSet, repeats: int) -> tuple[Query, Query]:
    """The grid and the diary queries, printed."""
    grid, diary = grid_query(system, data, repeats), diary_query(system, data, repeats)
    for query in (grid, diary):
        if query.skipped:
            print(f"   {query.label}: skipped — {query.skipped}")
        else:
            print(
                f"   {query.label}: p50 {query.percentile(0.5):.1f} ms, "
                f"p95 {query.percentile(0.95):.1f} ms, n={len(query.durations)}"
                f"   [{query.shape}]"
            )
    return grid, diary


def planner_statistics(system: System) -> str:
    """Whether the view tables have been analysed (a kept schema keeps earlier statistics)."""
    names = [t.name for v in system.views.processor.views for t in v.tables]
    with system.view_db.read() as cur:
        cur.execute(
            "SELECT count(DISTINCT tablename) FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            (names,),
        )
        row = cur.fetchone()
        analysed = int(row[0]) if row else 0
    if not analysed:
        return "none yet"
    return f"{analysed} of {len(names)} tables analysed earlier"


def vacuum(system: System) -> float:
    """VACUUM the view tables (untimed): a rebuild deletes every row and COPYs them anew,
    so without (auto)vacuum each run would start from tables twice as big as the last."""
    started = time.perf_counter()
    with psycopg.connect(system.settings.database.conninfo(), autocommit=True) as conn:
        view_db = system.view_db
        assert isinstance(view_db, PostgresViewDatabase)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(view_db.schema)))
        for view in system.views.processor.views:
            for table in view.tables:
                conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(table.name)))
    return time.perf_counter() - started


def analyze(system: System) -> float:
    """ANALYZE every view table (planner statistics); the seconds it took."""
    started = time.perf_counter()
    with system.view_db.transaction() as cur:
        for view in system.views.processor.views:
            for table in view.tables:
                cur.execute(f"ANALYZE {table.name}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.arguments(parser)
    dataset.arguments(parser, DEFAULT_SCHEMA)
    parser.add_argument("--profile", action="store_true", help="profile a 100k-event slice")
    parser.add_argument("--rounds", type=int, default=1, help="raw scan + rebuild rounds (1)")
    parser.add_argument(
        "--kept-history",
        action="store_true",
        help="also rebuild with the history kept as a view, as before ADR 0029 (the before figure)",
    )
    parser.add_argument("--repeats", type=int, default=QUERY_REPEATS, help="per query (200)")
    args = parser.parse_args(argv)
    common.quick(args, repeats=20)
    dataset.quick(args)
    figures = common.Figures("bench_projections", args)
    server = common.postgres_server("projections", args)
    if not server:
        return 0
    with dataset.workspace(args, server, "projections", args.keep) as folder:
        data = dataset.load(args, server, folder)
        measure(args, server, data, folder, figures)
    figures.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
