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

``--quick``: one second per measurement, no demo.

    .venv/bin/python -m bench.bench_store [--backend sqlite|postgres|both] [--seconds N]
                                          [--no-demo] [--quick] [--json FILE]
                                          [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from bench import common
from bench.common import BATCH, PUPILS, ROOT, Commands, Raw, latency, n, verdict
from bench.dataset import SINGLE_MARKS_PER_LESSON, BenchSchool, LessonSupply, time_commands
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.settings import Settings

DEMO_SCHEMA = "bench_demo"

#: Targets from the issue (DESIGN.md §9).
GRID_TARGET = 500.0  # grid saves per second on PostgreSQL
DEMO_TARGET = 60.0  # seconds for `ejournal demo`


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
    views: str = ""  # the views mode of the settings the commands ran with


# --- the journal ----------------------------------------------------------------------------------
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


# --- the demo seeder ------------------------------------------------------------------------------
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


# --- one backend ----------------------------------------------------------------------------------
def bench_sqlite(seconds: float, demo: bool) -> Result:
    """Every measurement on SQLite files in a temporary directory."""
    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    try:
        raw = common.sqlite_raw(folder, seconds)
        settings = common.settings(folder / "var")
        grid, single, setup = measure_journal(settings, seconds)
        seeded = run_demo(folder / "demo", None) if demo else Demo(skipped="--no-demo")
        return Result("sqlite", raw, grid, single, seeded, setup, settings.views_mode)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_postgres(seconds: float, server: str, demo: bool) -> Result:
    """Every measurement on PostgreSQL, each in its own schema (dropped afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        raw = common.postgres_raw(server, seconds)
        settings = common.settings(folder / "var", common.with_schema(server, schema))
        grid, single, setup = measure_journal(settings, seconds)
        seeded = Demo(skipped="--no-demo")
        if demo:
            try:
                seeded = run_demo(folder / "demo", common.with_schema(server, DEMO_SCHEMA))
            finally:
                common.drop_schema(server, DEMO_SCHEMA)
        return Result("postgres", raw, grid, single, seeded, setup, settings.views_mode)
    finally:
        common.drop_schema(server, schema)
        shutil.rmtree(folder, ignore_errors=True)


def record(result: Result, figures: common.Figures) -> None:
    """Keep one backend's figures, each beside its raw limit of the same run."""
    raw, grid, single, demo = result.raw, result.grid, result.single, result.demo
    where = (result.backend, result.views)
    ok = grid.per_second >= GRID_TARGET
    target = {"target": f"≥ {GRID_TARGET:.0f}/s", "verdict": verdict(ok)}
    figures.add(
        f"grid save ({PUPILS} marks, 1 command)",
        *where,
        grid.per_second,
        "commands/s",
        raw=raw.commits,
        raw_label="commits/s, raw single-row insert+commit",
        **(target if result.backend == "postgres" else {}),
    )
    figures.add(
        "grid save, as events",
        *where,
        grid.per_second * PUPILS,
        "events/s",
        raw=raw.rows,
        raw_label=f"rows/s, raw executemany of {BATCH}",
    )
    figures.add(
        "single-mark command",
        *where,
        single.per_second,
        "commands/s",
        raw=raw.commits,
        raw_label="commits/s, raw single-row insert+commit",
    )
    if demo.wall is not None and not demo.failed:
        figures.add(
            "ejournal demo --reset (wall)",
            *where,
            demo.wall,
            "s",
            target=f"< {DEMO_TARGET:.0f} s",
            verdict=verdict(demo.wall < DEMO_TARGET),
        )


# --- report ---------------------------------------------------------------------------------------
def report(result: Result, figures: common.Figures) -> list[str]:
    """Print one backend's table and keep its figures; return its target lines."""
    raw, grid, single, demo = result.raw, result.grid, result.single, result.demo
    name = "SQLite" if result.backend == "sqlite" else "PostgreSQL"
    print(f"\n== {name} — {raw.durability}; views mode {result.views}")
    record(result, figures)
    print(f"   {result.setup}")
    w = 44
    print(f"   {'raw single-row insert+commit':<{w}} {n(raw.commits):>9} commits/s")
    print(f"   {f'raw executemany, {BATCH} rows/transaction':<{w}} {n(raw.rows):>9} rows/s")
    print(f"   {f'raw executemany, {PUPILS} rows/transaction':<{w}} {n(raw.grid_rows):>9} rows/s")
    print(
        f"   {f'grid save ({PUPILS} marks, 1 command)':<{w}} {n(grid.per_second):>9} commands/s"
        f"  = {grid.per_second / raw.commits:.2f} × raw commits/s"
        f"   ({latency(grid)})"
    )
    events = grid.per_second * PUPILS
    print(
        f"   {'  … as events':<{w}} {n(events):>9} events/s"
        f"  = {events / raw.rows:.3f} × executemany rows/s"
        f"   ({events / raw.grid_rows:.2f} × at {PUPILS} rows/transaction)"
    )
    print(
        f"   {'single-mark command':<{w}} {n(single.per_second):>9} commands/s"
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
            f"{name}: grid save {n(grid.per_second)} commands/s ≥ {GRID_TARGET:.0f} — "
            f"{verdict(grid.per_second >= GRID_TARGET)}",
        )
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.arguments(parser)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    parser.add_argument("--no-demo", action="store_true", help="skip `ejournal demo`")
    args = parser.parse_args(argv)
    common.quick(args, seconds=1.0, no_demo=True)
    figures = common.Figures("bench_store", args)
    server = common.server_url(args.pg_url)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    common.describe_machine("store", server if "postgres" in backends else None)

    targets: list[str] = []
    for backend in backends:
        if backend == "sqlite":
            targets += report(bench_sqlite(args.seconds, not args.no_demo), figures)
            continue
        problem = common.postgres_reachable(server)
        if problem:
            print(f"\n== PostgreSQL — skipped: {problem}")
            targets.append(f"PostgreSQL: skipped ({problem})")
            continue
        targets += report(bench_postgres(args.seconds, server, not args.no_demo), figures)

    common.print_targets("DESIGN.md §9", targets)
    figures.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
