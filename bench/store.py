"""Write-path benchmark: the journal's commands beside the raw database limits.

For SQLite and PostgreSQL in one run, every figure is printed beside the raw limit measured
in the same run, as a ratio (DESIGN.md §9):

1. raw limits — single-row insert+commit per second; ``executemany`` rows/s with 1,000 rows
   per transaction, and with 30 rows per transaction (the shape of one grid);
2. grid save — ``journal.entry.record_marks(lesson, [30 marks], teacher)``: one command, one
   transaction, for a class of 30 pupils; commands/s against raw commits/s, events/s
   against ``executemany`` rows/s;
3. single-mark commands (one ``MarkEntry`` per command) against raw commits/s;
4. wall time of ``ejournal demo --reset`` (in a subprocess).

Commits stay durable: SQLite in WAL mode with its default ``synchronous``; PostgreSQL with
the server's ``fsync``/``synchronous_commit`` (both printed). Everything is written to a
temporary directory or to throwaway schemas, removed at the end. Benchmarks are not tests:
the exit status is 0 unless the script itself crashed.

    .venv/bin/python bench/store.py [--backend sqlite|postgres|both] [--seconds N]
                                    [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
from psycopg import sql

from domain import clock
from domain.base import SYSTEM_ACTOR
from domain.journal import Journal
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEMO_SCHEMA = "bench_demo"

#: Targets from the issue (DESIGN.md §9).
GRID_TARGET = 500.0  # grid saves per second on PostgreSQL
DEMO_TARGET = 60.0  # seconds for `ejournal demo`

PUPILS = 30
BATCH = 1000  # rows per transaction of the raw executemany limit
BLOB = os.urandom(400)  # about the size of one encrypted MarkRecorded state
TOPIC = "domain.lesson:Lesson.MarkRecorded"
SINGLE_MARKS_PER_LESSON = 5  # single-mark commands per lesson (the lesson grows 1 → 6 events)
HOLD_CHUNK = 50  # lessons held (untimed) between timed stretches

#: eventsourcing settings that change the write path when set in the environment.
LIBRARY_ENV = (
    "AGGREGATE_CACHE_MAXSIZE",
    "AGGREGATE_CACHE_FASTFORWARD",
    "AGGREGATE_CACHE_FASTFORWARD_SKIPPING",
    "DEEPCOPY_FROM_AGGREGATE_CACHE",
    "POSTGRES_ENABLE_DB_FUNCTIONS",
    "COMPRESSOR_TOPIC",
)

YEAR = "2025/26"
QUARTERS = (
    (1, "1 четверть", date(2025, 9, 1), date(2025, 10, 26)),
    (2, "2 четверть", date(2025, 11, 5), date(2025, 12, 28)),
    (3, "3 четверть", date(2026, 1, 12), date(2026, 3, 22)),
    (4, "4 четверть", date(2026, 4, 1), date(2026, 5, 26)),
)
SUBJECTS = (
    "Математика",
    "Русский язык",
    "Литература",
    "История",
    "Биология",
    "География",
    "Английский язык",
    "Информатика",
)
SURNAMES = ("Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов")
NAMES = ("Артём", "Илья", "Михаил", "Егор", "Иван")


# --- measuring -------------------------------------------------------------------------------
def _rate(seconds: float, step: Callable[[], int]) -> float:
    """Run ``step`` (which returns how many units it did) for ``seconds``; units per second."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        done += step()
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


@dataclass
class Raw:
    """The raw database limits of one backend."""

    commits: float  # single-row insert+commit per second
    rows: float  # executemany rows/s, BATCH rows per transaction
    grid_rows: float  # executemany rows/s, 30 rows per transaction
    durability: str


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
        ordered = sorted(self.durations)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Demo:
    """``ejournal demo`` on one backend: wall time, or why it did not run."""

    wall: float | None = None
    seeder: float | None = None
    counts: str = ""
    skipped: str = ""
    failed: str = ""


@dataclass
class Result:
    """Everything measured on one backend."""

    backend: str
    raw: Raw
    grid: Commands
    single: Commands
    demo: Demo
    setup: str = ""


# --- raw limits ------------------------------------------------------------------------------
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
            commits=_rate(seconds, one),
            rows=_rate(seconds, many(BATCH)),
            grid_rows=_rate(seconds, many(PUPILS)),
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
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
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
                commits=_rate(seconds, one),
                rows=_rate(seconds, many(BATCH)),
                grid_rows=_rate(seconds, many(PUPILS)),
                durability=f"PostgreSQL {version}, fsync={fsync}, "
                f"synchronous_commit={synchronous_commit}, wal_sync_method={wal_sync_method}",
            )
    finally:
        drop_schema(server, schema)
    return raw


def drop_schema(server: str, schema: str) -> None:
    """Drop a schema the benchmark made, with everything in it."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# --- the journal -----------------------------------------------------------------------------
def at(day: date, hour: int) -> datetime:
    """The UTC moment of ``hour`` o'clock school time on ``day``."""
    return clock.local_datetime(day, hour)


def school_days() -> Iterator[date]:
    """Every weekday of every quarter."""
    for _, _, starts, ends in QUARTERS:
        day = starts
        while day <= ends:
            if day.weekday() < 5:
                yield day
            day += timedelta(days=1)


@dataclass
class BenchSchool:
    """One class of 30 pupils, its teacher, and course journals opened as lessons run out."""

    journal: Journal
    admin: UUID
    teacher: UUID
    year_id: UUID
    class_id: UUID
    pupils: list[UUID]

    @classmethod
    def build(cls, journal: Journal) -> BenchSchool:
        """Open the year with its quarters, a teacher, class 5А with 30 enrolled pupils."""
        with clock.travel(at(date(2025, 8, 25), 10)):
            admin = journal.accounts.create_account(
                "admin", "Админов", "Админ", "", ["admin"], "admin-pass-1", SYSTEM_ACTOR
            ).id
            year_id = journal.school.open_school_year(
                "bench", YEAR, date(2025, 9, 1), date(2026, 5, 31), admin
            ).id
            for number, title, starts, ends in QUARTERS:
                journal.school.define_term(year_id, number, title, starts, ends, admin)
            teacher = journal.accounts.create_account(
                "teacher", "Петрова", "Анна", "Ивановна", ["teacher"], "teacher-pass-1", admin
            ).id
            class_id = journal.classes.form_class(year_id, "5А", 5, admin).id
            pupils = []
            for i in range(PUPILS):
                surname = f"{SURNAMES[i % len(SURNAMES)]}-{i + 1}"
                born = date(2014, 1, 1) + timedelta(days=11 * i)
                pupil = journal.people.register_student(
                    surname, NAMES[i % len(NAMES)], "", born, admin
                ).id
                journal.classes.enrol(class_id, pupil, date(2025, 9, 1), admin)
                pupils.append(pupil)
        return cls(journal, admin, teacher, year_id, class_id, pupils)

    def open_course(self, n: int) -> UUID:
        """Open the ``n``-th subject's journal for the class, kept by the teacher."""
        subject = SUBJECTS[n] if n < len(SUBJECTS) else f"Предмет {n + 1}"
        with clock.travel(at(date(2025, 8, 26), 10)):
            course = self.journal.classes.open_course_journal(
                self.class_id, subject, "five_point", self.admin
            ).id
            self.journal.classes.assign_teacher(course, self.teacher, self.admin)
        return course


class LessonSupply:
    """Holds lessons on valid dates (periods 1–7 of every school weekday, subject after
    subject) and hands them out; holding is not timed."""

    def __init__(self, school: BenchSchool) -> None:
        self.school = school
        self._slots = self._all_slots()

    def _all_slots(self) -> Iterator[tuple[UUID, date, int]]:
        for n in itertools.count():
            course = self.school.open_course(n)
            for day in school_days():
                for period in range(1, 8):
                    yield course, day, period

    def hold(self, count: int) -> list[tuple[UUID, date]]:
        """Hold ``count`` more lessons (at 9:00 on their day); their ids and days."""
        held = []
        for course, day, period in itertools.islice(self._slots, count):
            with clock.travel(at(day, 9)):
                receipt = self.school.journal.entry.hold_lesson(
                    course, day, period, "Дроби", "№ 12", self.school.teacher
                )
            held.append((receipt.id, day))
        return held


def time_commands(
    supply: LessonSupply,
    seconds: float,
    per_lesson: int,
    command: Callable[[UUID, int], object],
    warmup: int = 5,
) -> Commands:
    """Run ``command(lesson_id, k)`` for k < ``per_lesson`` on fresh lessons, each at 15:00
    on the lesson's day (within the entry deadline), until ``seconds`` of command time."""
    result = Commands()
    try:
        for lesson_id, day in supply.hold(warmup):
            clock.set_time(at(day, 15))
            for k in range(per_lesson):
                command(lesson_id, k)
        while result.spent < seconds:
            lessons = supply.hold(max(1, HOLD_CHUNK // per_lesson))
            for lesson_id, day in lessons:
                clock.set_time(at(day, 15))
                for k in range(per_lesson):
                    cpu = time.process_time()
                    started = time.perf_counter()
                    command(lesson_id, k)
                    took = time.perf_counter() - started
                    result.cpu += time.process_time() - cpu
                    result.durations.append(took)
                    result.spent += took
                    result.count += 1
    finally:
        clock.set_time(None)
    return result


def measure_journal(settings: Settings, seconds: float) -> tuple[Commands, Commands, str]:
    """Build a system on ``settings``, a school in it, and time grid and single-mark saves."""
    with build(settings) as system:
        journal = system.journal
        started = time.perf_counter()
        school = BenchSchool.build(journal)
        setup = f"school built through commands in {time.perf_counter() - started:.1f} s"
        supply = LessonSupply(school)
        values = "5435424354"
        grid = [
            MarkEntry(pupil, values[i % len(values)], "answer")
            for i, pupil in enumerate(school.pupils)
        ]
        singles = [[entry] for entry in grid]

        def save_grid(lesson_id: UUID, _: int) -> object:
            return journal.entry.record_marks(lesson_id, grid, school.teacher)

        def save_one(lesson_id: UUID, k: int) -> object:
            return journal.entry.record_marks(lesson_id, singles[k], school.teacher)

        grid_result = time_commands(supply, seconds, 1, save_grid)
        single_result = time_commands(supply, seconds, SINGLE_MARKS_PER_LESSON, save_one)
        events = journal.recorder.max_notification_id() or 0
        setup += f"; {events:,} events stored at the end"
    return grid_result, single_result, setup


# --- the demo seeder -------------------------------------------------------------------------
def run_demo(folder: Path, database_url: str | None) -> Demo:
    """Time ``ejournal demo --reset`` in a subprocess on a fresh var dir."""
    if not (ROOT / "ejournal" / "demo.py").exists():
        return Demo(skipped="ejournal/demo.py does not exist yet")
    executable = Path(sys.executable).parent / "ejournal"
    if not executable.exists():
        return Demo(skipped=f"no {executable} (run `make` to install the package)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    env["EJOURNAL_VAR_DIR"] = str(folder)
    env["EJOURNAL_POLICIES_DIR"] = str(ROOT / "policies")
    if database_url:
        env["EJOURNAL_DATABASE_URL"] = database_url
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(executable), "demo", "--reset"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Demo(skipped="did not finish in 30 minutes")
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit status {proc.returncode}"
        if "ejournal.demo" in proc.stderr and "No module named" in proc.stderr:
            return Demo(skipped="ejournal/demo.py is missing")
        return Demo(wall=wall, failed=f"`ejournal demo` failed ({reason})")
    seeded = re.search(r"seeded in ([\d.]+) s: (.*)", proc.stdout)
    return Demo(
        wall=wall,
        seeder=float(seeded.group(1)) if seeded else None,
        counts=seeded.group(2) if seeded else "",
    )


# --- one backend -----------------------------------------------------------------------------
def bench_sqlite(seconds: float, demo: bool) -> Result:
    """Every measurement on SQLite files in a temporary directory."""
    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    try:
        raw = sqlite_raw(folder, seconds)
        settings = settings_for(folder / "var", None)
        grid, single, setup = measure_journal(settings, seconds)
        seeded = run_demo(folder / "demo", None) if demo else Demo(skipped="--no-demo")
        return Result("sqlite", raw, grid, single, seeded, setup)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_postgres(seconds: float, server: str, demo: bool) -> Result:
    """Every measurement on PostgreSQL, each in its own schema (dropped afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        raw = postgres_raw(server, seconds)
        settings = settings_for(folder / "var", with_schema(server, schema))
        grid, single, setup = measure_journal(settings, seconds)
        seeded = Demo(skipped="--no-demo")
        if demo:
            try:
                seeded = run_demo(folder / "demo", with_schema(server, DEMO_SCHEMA))
            finally:
                drop_schema(server, DEMO_SCHEMA)
        return Result("postgres", raw, grid, single, seeded, setup)
    finally:
        drop_schema(server, schema)
        shutil.rmtree(folder, ignore_errors=True)


def settings_for(var_dir: Path, database_url: str | None) -> Settings:
    """Settings with keys under ``var_dir`` and the repository's policies."""
    env = {"EJOURNAL_VAR_DIR": str(var_dir), "EJOURNAL_POLICIES_DIR": str(ROOT / "policies")}
    if database_url:
        env["EJOURNAL_DATABASE_URL"] = database_url
    return Settings.from_env(env)


def server_url(url: str) -> str:
    """The URL without a query (``?schema=…`` is ours, not libpq's)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def with_schema(server: str, schema: str) -> str:
    """The ``EJOURNAL_DATABASE_URL`` of ``schema`` on ``server``."""
    return f"{server}?schema={schema}"


# --- report ----------------------------------------------------------------------------------
def _n(value: float) -> str:
    return f"{value:,.0f}"


def latency(commands: Commands) -> str:
    """Median and p95 per command, and how much of it was this process's CPU."""
    return (
        f"p50 {commands.percentile(0.5):.1f} ms, p95 {commands.percentile(0.95):.1f} ms, "
        f"client CPU {1000 * commands.cpu / commands.count:.1f} ms/command, n={commands.count}"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW"


def report(result: Result) -> list[str]:
    """Print one backend's table; return its target lines."""
    raw, grid, single, demo = result.raw, result.grid, result.single, result.demo
    name = "SQLite" if result.backend == "sqlite" else "PostgreSQL"
    print(f"\n== {name} — {raw.durability}")
    print(f"   {result.setup}")
    w = 44
    print(f"   {'raw single-row insert+commit':<{w}} {_n(raw.commits):>9} commits/s")
    print(f"   {f'raw executemany, {BATCH} rows/transaction':<{w}} {_n(raw.rows):>9} rows/s")
    print(f"   {f'raw executemany, {PUPILS} rows/transaction':<{w}} {_n(raw.grid_rows):>9} rows/s")
    print(
        f"   {f'grid save ({PUPILS} marks, 1 command)':<{w}} {_n(grid.per_second):>9} commands/s"
        f"  = {grid.per_second / raw.commits:.2f} × raw commits/s"
        f"   ({latency(grid)})"
    )
    events = grid.per_second * PUPILS
    print(
        f"   {'  … as events':<{w}} {_n(events):>9} events/s"
        f"  = {events / raw.rows:.3f} × executemany rows/s"
        f"   ({events / raw.grid_rows:.2f} × at {PUPILS} rows/transaction)"
    )
    print(
        f"   {'single-mark command':<{w}} {_n(single.per_second):>9} commands/s"
        f"  = {single.per_second / raw.commits:.2f} × raw commits/s"
        f"   ({latency(single)})"
    )
    targets = []
    if demo.wall is None:
        print(f"   {'ejournal demo --reset':<{w}} skipped: {demo.skipped}")
        targets.append(f"{name}: demo seed < {DEMO_TARGET:.0f} s — skipped: {demo.skipped}")
    elif demo.failed:
        print(f"   {'ejournal demo --reset':<{w}} {demo.failed} after {demo.wall:.1f} s")
        targets.append(f"{name}: demo seed < {DEMO_TARGET:.0f} s — not measured: {demo.failed}")
    else:
        seeder = f" (seeder {demo.seeder:.1f} s)" if demo.seeder is not None else ""
        print(f"   {'ejournal demo --reset':<{w}} {demo.wall:>9.1f} s wall{seeder}  {demo.counts}")
        targets.append(
            f"{name}: demo seed {demo.wall:.1f} s < {DEMO_TARGET:.0f} s — "
            f"{verdict(demo.wall < DEMO_TARGET)}"
        )
    if result.backend == "postgres":
        targets.insert(
            0,
            f"{name}: grid save {_n(grid.per_second)} commands/s ≥ {GRID_TARGET:.0f} — "
            f"{verdict(grid.per_second >= GRID_TARGET)}",
        )
    return targets


def describe_machine(server: str | None) -> None:
    """Print what the figures depend on."""
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.1f} GiB RAM"
    except (ValueError, OSError):
        pass
    print(
        f"ejournal store benchmark — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}, "
        f"eventsourcing {metadata.version('eventsourcing')}, psycopg {psycopg.__version__}"
    )
    library = [f"{k}={os.environ[k]}" for k in LIBRARY_ENV if k in os.environ]
    print(f"library settings from the environment: {', '.join(library) or 'none (defaults)'}")
    if server:
        print(f"PostgreSQL server: {server}")


def postgres_reachable(server: str) -> str:
    """Empty when the server answers; otherwise why not."""
    try:
        with psycopg.connect(server, connect_timeout=5):
            return ""
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("EJOURNAL_TEST_POSTGRES_URL") or DEFAULT_PG_URL,
        help="PostgreSQL server (default: $EJOURNAL_TEST_POSTGRES_URL, else "
        f"{DEFAULT_PG_URL}); the benchmark makes its schemas there and drops them",
    )
    parser.add_argument("--no-demo", action="store_true", help="skip `ejournal demo`")
    args = parser.parse_args(argv)
    server = server_url(args.pg_url)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    describe_machine(server if "postgres" in backends else None)

    targets: list[str] = []
    for backend in backends:
        if backend == "sqlite":
            targets += report(bench_sqlite(args.seconds, not args.no_demo))
            continue
        problem = postgres_reachable(server)
        if problem:
            print(f"\n== PostgreSQL — skipped: {problem}")
            targets.append(f"PostgreSQL: skipped ({problem})")
            continue
        targets += report(bench_postgres(args.seconds, server, not args.no_demo))

    print("\nTargets (DESIGN.md §9; a benchmark reports, it does not fail):")
    for line in targets:
        print(f"   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
