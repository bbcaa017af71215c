"""What every benchmark shares: the machine's description, PostgreSQL URLs and throwaway
schemas, the raw database limits, timers, verdicts, and the figures written as JSON for
``bench/report.py``.

Every figure a benchmark prints stands beside a raw limit measured in the same run, as a
ratio (DESIGN.md §9); ``Figures`` keeps the same numbers for the «Current results» table of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sqlite3
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ejournal.settings import Settings
from tests.httpload.database import (
    create_schema,
    drop_schema,
    postgres_reachable,
    server_url,
    with_schema,
)

__all__ = [
    "ROOT",
    "Commands",
    "Figures",
    "Raw",
    "Timed",
    "create_schema",
    "drop_schema",
    "postgres_reachable",
    "server_url",
    "with_schema",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL_VAR = "EJOURNAL_TEST_POSTGRES_URL"

#: eventsourcing settings that change the write path when set in the environment.
LIBRARY_ENV = (
    "AGGREGATE_CACHE_MAXSIZE",
    "AGGREGATE_CACHE_FASTFORWARD",
    "AGGREGATE_CACHE_FASTFORWARD_SKIPPING",
    "DEEPCOPY_FROM_AGGREGATE_CACHE",
    "POSTGRES_ENABLE_DB_FUNCTIONS",
    "COMPRESSOR_TOPIC",
)

PUPILS = 30  # one class: the rows of one grid save
BATCH = 1000  # rows per transaction of the raw executemany limit
BLOB = os.urandom(400)  # about the size of one encrypted MarkRecorded state
TOPIC = "domain.lesson:Lesson.MarkRecorded"


# --- arguments and settings -----------------------------------------------------------------------
def arguments(parser: argparse.ArgumentParser, *, postgres: bool = True) -> None:
    """The options every benchmark takes: ``--json``, ``--quick`` and ``--pg-url``."""
    parser.add_argument(
        "--json", metavar="FILE", type=Path, help="also write the figures to FILE (JSON)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short stretches: a smoke run"
    )
    if postgres:
        parser.add_argument(
            "--pg-url",
            default=os.environ.get(PG_URL_VAR) or DEFAULT_PG_URL,
            help=f"PostgreSQL server (default: ${PG_URL_VAR}, else {DEFAULT_PG_URL}); the "
            "benchmark makes its schemas there and drops them",
        )


def quick(args: argparse.Namespace, **smaller: Any) -> None:
    """With ``--quick``, replace the options named by ``smaller`` by their smaller values."""
    if args.quick:
        for name, value in smaller.items():
            setattr(args, name, value)


def settings(var_dir: Path, database_url: str | None = None, **env: str) -> Settings:
    """Settings with keys under ``var_dir``, the repository's policies, and ``env``
    (``EJOURNAL_…`` variables) on top."""
    values = {"EJOURNAL_VAR_DIR": str(var_dir), "EJOURNAL_POLICIES_DIR": str(ROOT / "policies")}
    if database_url:
        values["EJOURNAL_DATABASE_URL"] = database_url
    return Settings.from_env(values | env)


# --- the machine ----------------------------------------------------------------------------------
def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes): shared machines skew every rate."""
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> str:
    """CPUs, memory and Python."""
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.1f} GiB RAM"
    except (ValueError, OSError):
        pass
    return f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"


def describe_machine(
    title: str,
    server: str | None = None,
    packages: Sequence[str] = ("eventsourcing", "psycopg"),
) -> None:
    """Print what the figures depend on: the machine, its load, the packages' versions, the
    library settings from the environment and the PostgreSQL server."""
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in packages)
    print(
        f"ejournal {title} benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {machine()}, "
        f"{versions}; load average {load_average()} (1, 5, 15 min)"
    )
    library = [f"{k}={os.environ[k]}" for k in LIBRARY_ENV if k in os.environ]
    print(f"library settings from the environment: {', '.join(library) or 'none (defaults)'}")
    if server:
        print(f"PostgreSQL server: {server}")


def server_settings(server: str) -> str:
    """The PostgreSQL server's version and the settings the figures depend on."""
    with psycopg.connect(server) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('fsync'), current_setting('synchronous_commit'), "
            "current_setting('autovacuum')"
        ).fetchone()
    assert row is not None
    return (
        f"PostgreSQL {row[0]}, shared_buffers={row[1]}, fsync={row[2]}, "
        f"synchronous_commit={row[3]}, autovacuum={row[4]}"
    )


def postgres_server(title: str, args: argparse.Namespace, *, settings: bool = True) -> str:
    """Describe the machine and the server of ``--pg-url``; the server's URL, or "" (said
    why) when it does not answer."""
    server = server_url(args.pg_url)
    describe_machine(title, server)
    problem = postgres_reachable(server)
    if problem:
        print(f"PostgreSQL unreachable — skipped: {problem}")
        return ""
    if settings:
        print(server_settings(server))
    return server


# --- numbers --------------------------------------------------------------------------------------
def n(value: float) -> str:
    """A rate as a whole number with thousands separators."""
    return f"{value:,.0f}"


def print_targets(source: str, targets: Sequence[str]) -> None:
    """The target lines, under where the targets come from."""
    print(f"\nTargets ({source}; a benchmark reports, it does not fail):")
    for line in targets:
        print(f"   {line}")


def verdict(ok: bool, missed: str = "BELOW") -> str:
    return "PASS" if ok else missed


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def per_call(work: Callable[[], Any], count: int, warm_up: int = 0) -> float:
    """Median seconds of one call over ``count`` calls timed one by one, after ``warm_up``
    untimed ones."""
    for _ in range(warm_up):
        work()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(durations: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(durations)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# --- timers ---------------------------------------------------------------------------------------
def rate(seconds: float, step: Callable[[], int]) -> float:
    """Run ``step`` (which returns how many units it did) for ``seconds``; units per second."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        done += step()
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def stopwatch(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``work``: the seconds it took, and what it returned."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


@dataclass
class Timed:
    """Events handled in a stretch of wall time, and this process's CPU time meanwhile."""

    events: int
    seconds: float
    cpu: float
    detail: str = ""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def timed(work: Callable[[], tuple[int, str]]) -> Timed:
    """Run ``work`` (which returns how many events it handled, and a remark)."""
    cpu, started = time.process_time(), time.perf_counter()
    events, detail = work()
    return Timed(events, time.perf_counter() - started, time.process_time() - cpu, detail)


@dataclass
class Commands:
    """Timed commands: how many, the time they took, each one's duration."""

    count: int = 0
    spent: float = 0.0
    cpu: float = 0.0  # this process's CPU time during the timed commands
    durations: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.count / self.spent if self.spent else 0.0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the command durations, in milliseconds."""
        return percentile(self.durations, q)

    def merge(self, other: Commands) -> None:
        self.count += other.count
        self.spent += other.spent
        self.cpu += other.cpu
        self.durations += other.durations


def latency(commands: Commands) -> str:
    """Median and p95 per command, and how much of it was this process's CPU."""
    return (
        f"p50 {commands.percentile(0.5):.1f} ms, p95 {commands.percentile(0.95):.1f} ms, "
        f"client CPU {1000 * commands.cpu / max(commands.count, 1):.1f} ms/command, "
        f"n={commands.count}"
    )


# --- raw database limits --------------------------------------------------------------------------
@dataclass
class Raw:
    """The raw write limits of one backend."""

    commits: float  # single-row insert+commit per second
    rows: float  # executemany rows/s, BATCH rows per transaction
    grid_rows: float  # executemany rows/s, 30 rows per transaction
    durability: str


def sqlite_raw(folder: Path, seconds: float) -> Raw:
    """Raw sqlite3 limits on a WAL file like the product's (default synchronous)."""
    conn = sqlite3.connect(folder / "raw.sqlite", isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
            conn.execute("PRAGMA synchronous").fetchone()[0]
        ]
        conn.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        insert = "INSERT INTO raw_events VALUES (?, ?, ?, ?)"

        def one() -> int:
            conn.execute("BEGIN")
            conn.execute(insert, (str(uuid.uuid4()), 1, TOPIC, BLOB))
            conn.execute("COMMIT")
            return 1

        def many(size: int) -> Callable[[], int]:
            def step() -> int:
                oid = str(uuid.uuid4())
                conn.execute("BEGIN")
                conn.executemany(insert, [(oid, v, TOPIC, BLOB) for v in range(1, size + 1)])
                conn.execute("COMMIT")
                return size

            return step

        return Raw(
            commits=rate(seconds, one),
            rows=rate(seconds, many(BATCH)),
            grid_rows=rate(seconds, many(PUPILS)),
            durability=f"SQLite {sqlite3.sqlite_version}, journal_mode={mode}, synchronous={sync}",
        )
    finally:
        conn.close()


def postgres_raw(server: str, seconds: float) -> Raw:
    """Raw psycopg limits on a logged table shaped like the product's, in a throwaway schema.

    A TEMPORARY table is not WAL-logged, so PostgreSQL would commit it without flushing
    the WAL: that measures no durable commit. An ordinary table in a schema dropped
    afterwards does."""
    schema = f"bench_raw_{uuid.uuid4().hex[:10]}"
    create_schema(server, schema)
    try:
        with psycopg.connect(server) as conn:
            row = conn.execute(
                "SELECT current_setting('server_version'), current_setting('fsync'), "
                "current_setting('synchronous_commit'), current_setting('wal_sync_method')"
            ).fetchone()
            assert row is not None
            version, fsync, synchronous_commit, wal_sync_method = row
            table = sql.Identifier(schema, "raw_events")
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint "
                    "NOT NULL, topic text, state bytea, notification_id bigserial, "
                    "PRIMARY KEY (originator_id, originator_version))"
                ).format(table)
            )
            conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(table))
            conn.commit()
            insert = sql.SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)"
            ).format(table)
            cur = conn.cursor()

            def one() -> int:
                cur.execute(insert, (uuid.uuid4(), 1, TOPIC, BLOB), prepare=True)
                conn.commit()
                return 1

            def many(size: int) -> Callable[[], int]:
                def step() -> int:
                    oid = uuid.uuid4()
                    cur.executemany(insert, [(oid, v, TOPIC, BLOB) for v in range(1, size + 1)])
                    conn.commit()
                    return size

                return step

            raw = Raw(
                commits=rate(seconds, one),
                rows=rate(seconds, many(BATCH)),
                grid_rows=rate(seconds, many(PUPILS)),
                durability=f"PostgreSQL {version}, fsync={fsync}, "
                f"synchronous_commit={synchronous_commit}, wal_sync_method={wal_sync_method}",
            )
    finally:
        drop_schema(server, schema)
    return raw


# --- figures as JSON ------------------------------------------------------------------------------
@dataclass
class Figure:
    """One measured figure beside the raw limit of the same run."""

    figure: str
    backend: str  # "sqlite", "postgres" or "—" (no database)
    views: str  # the views mode the figure was measured in ("—" where none applies)
    value: float
    unit: str
    raw: float | None = None  # the raw limit it is compared with, same run
    raw_label: str = ""  # what that limit is, with its unit
    target: str = ""  # the target of DESIGN.md §9 / the issue, "" where none is set
    verdict: str = ""  # PASS, BELOW/MISS, or "" without a target
    ratio: float | None = None  # value ÷ raw, unless given (e.g. a time: raw ÷ value)

    def __post_init__(self) -> None:
        if self.ratio is None and self.raw:
            self.ratio = self.value / self.raw


class Figures:
    """The figures of one run of one benchmark, written as JSON (``--json FILE``)."""

    def __init__(self, script: str, args: argparse.Namespace) -> None:
        self.script = script
        self.path: Path | None = getattr(args, "json", None)
        self.run = {
            "script": script,
            "started": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine(),
            "load_at_start": load_average(),
            "quick": bool(getattr(args, "quick", False)),
        }
        self.started = time.perf_counter()
        self.figures: list[Figure] = []

    def add(
        self, figure: str, backend: str, views: str, value: float, unit: str, **more: Any
    ) -> None:
        self.figures.append(Figure(figure, backend, views, value, unit, **more))

    def write(self) -> None:
        """Write the figures when ``--json`` was given (its folder made if need be)."""
        if self.path is None:
            return
        self.run["load_at_end"] = load_average()
        self.run["seconds"] = round(time.perf_counter() - self.started, 1)
        data = {"run": self.run, "figures": [asdict(f) for f in self.figures]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"figures written to {self.path}")


# --- profiles -------------------------------------------------------------------------------------
#: cProfile categories: (name, test on "file:function"), first match wins.
Categories = tuple[tuple[str, Callable[[str], bool]], ...]


def categorise(
    stats: pstats.Stats, categories: Categories, builtin_callers: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Own time (tottime) summed by category; a built-in (sha256, struct.pack, bytes.hex…)
    counts where its most expensive caller belongs when that caller names one of
    ``builtin_callers``."""
    totals: Counter[str] = Counter()
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, callers) in entries:
        label = f"{filename}:{function}"
        if builtin_callers and filename == "~" and callers:
            (caller_file, _, caller_fn), _ = max(callers.items(), key=lambda kv: kv[1][2])
            caller = f"{caller_file}:{caller_fn}"
            if any(k in caller for k in builtin_callers):
                label = caller
        name = next((n for n, test in categories if test(label)), "other (processor, builtins)")
        totals[name] += own
    return [(name, float(seconds)) for name, seconds in totals.most_common()]


def profiled(
    work: Callable[[], Any],
    title: str,
    categories: Categories,
    builtin_callers: Sequence[str] = (),
    top: int = 15,
    width: int = 56,
) -> list[str]:
    """``work`` under cProfile: own time by category and the top functions."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(work)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    own = sum(e[2] for _, e in entries)
    lines = [f"{title}: {wall:.1f} s under cProfile (own time {own:.1f} s)"]
    for name, seconds in categorise(stats, categories, builtin_callers):
        lines.append(f"   {name:<{width}} {seconds:6.2f} s {seconds / own:6.1%}")
    lines.append("   top functions by own time:")
    for (filename, line, function), entry in sorted(entries, key=lambda kv: -kv[1][2])[:top]:
        where = f"{Path(filename).name}:{line}" if line else ""
        lines.append(f"   {entry[2]:6.2f} s {entry[1]:>10,} calls  {function} {where}".rstrip())
    return lines
