"""Many schools on one PostgreSQL: does a school answer as fast beside N−1 others as alone?

Issue 19, item 6 (ADR 0027). In one run:

1. a region schema unique to the run (``<region>_<hex>``, ``--region`` ``bench_scale``; with
   ``--keep`` the region itself, reused when seeded); ``--schools`` (50) schools made with
   ``ejournal school add`` and seeded with ``ejournal --school CODE demo --weeks W``,
   ``--seed-parallel`` (2) at a time (``--weeks``: lessons of the first W weeks only, to keep
   seeding affordable);
   seed time and storage (``pg_total_relation_size`` over the school's schema) per school;
2. the raw database limits of the same server (``bench/common.py``: single-row commits/s
   and executemany rows/s), printed as the other benches do;
3. ``ejournal serve --processes 2`` and one ``ejournal worker`` over every school (``/s/CODE/``),
   each process taking its connections from the cluster's shared pools (ADR 0030;
   ``EJOURNAL_CLUSTER_POOL_SIZE`` passed on when set);
4. in interleaved rounds, ``--clients`` browsers (teachers for the grid page and the grid
   save, parents and the deputy head for the diary) either all on the first school
   («one school») or each on another school («spread over N»): the grid page p95, the diary
   p95 and the grid save (``POST /journal/lessons/<id>/column`` of every pupil of the class,
   up to 30 marks, on a lesson the client holds first, untimed) p95 and rate; each «spread»
   figure as a ratio to the «one school» figure of the same run (target ≤ 1.2); the
   clients' schools start at ``--first`` (1), so that runs on a kept region take schools
   whose lesson slots (the days a teacher may still enter) no earlier run has used;
5. the worker's lag: a poller reads every school's newest event and its views' lowest
   position every 50 ms during the save rounds; lag = from first seeing an event to seeing
   every view of that school past it (p95 over all schools; the views include the ledger's);
6. ``ejournal --school CODE views rebuild`` of the second school while the other schools'
   grid pages are read: their p95 during it as a ratio to the spread figure without it;
7. connections: ``count(*) from pg_stat_activity`` before the app starts and its peak while
   the rounds run (sampled with the lag), and the app's own — the server processes' and the
   worker's, told apart by ``application_name`` (``PGAPPNAME``, ``tests/httpload/app.py``).

Everything the run made is dropped at the end (also on SIGTERM) unless ``--keep``.
Benchmarks are not tests: the exit status is 0 unless the script itself crashed.

    .venv/bin/python -m bench.bench_scaling [--schools 50] [--weeks 2] [--clients 8]
                                            [--seconds 6] [--rounds 2] [--processes 2]
                                            [--threads 8] [--seed-only] [--keep]
                                            [--region NAME] [--seed-parallel 2]
                                            [--first 1] [--profile DIR]
                                            [--quick] [--json FILE] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg
from psycopg import sql

from bench import common, webload
from bench.common import percentile
from bench.webload import Endpoint, Request, Tally
from domain import clock
from tests.httpload.app import BIN, HOST, ROOT, App
from tests.httpload.client import Form, Response, Session, SetupError, hold_lesson
from tests.httpload.school import (
    Reader,
    Teacher,
    entry_days,
    logins_of,
    readers,
    school_year,
    teachers,
    term_on,
)

KEPT_SCHEMA = "bench_scale"
TARGET = 1.2  # «spread» ÷ «one school», at most
TERM = 1  # the demo's lessons (first weeks of the year) are in the first term


# --- a browser of one school ----------------------------------------------------------------------
class SchoolSession(Session):
    """A browser of one school: every path under ``/s/CODE``; redirects and links read
    without it."""

    def __init__(self, port: int, name: str, code: str) -> None:
        super().__init__(HOST, port, name)
        self.prefix = f"/s/{code}"

    def request(self, method: str, path: str, form: Form | None = None) -> Response:
        if path.startswith("/") and not path.startswith(self.prefix + "/"):
            path = self.prefix + path
        got = super().request(method, path, form)
        location = got.location
        if location.startswith(self.prefix + "/"):
            location = location[len(self.prefix) :]
        # The school's links as a one-school page has them (the helpers read them).
        body = got.body.replace(b'"' + self.prefix.encode() + b"/", b'"/')
        return replace(got, location=location, body=body)


# --- schools --------------------------------------------------------------------------------------
@dataclass
class Seeded:
    code: str
    seconds: float
    failed: str = ""


def codes(n: int) -> list[str]:
    return [f"s{k:03d}" for k in range(1, n + 1)]


def run(app: App, *args: str, timeout: float = 3600) -> tuple[int, str]:
    """An ``ejournal`` command with the app's environment: its exit status and output."""
    proc = subprocess.run(
        [str(BIN / "ejournal"), *args],
        env=app.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def seed(
    app: App, n: int, weeks: int, year: str, parallel: int = 2, demo: int | None = None
) -> list[Seeded]:
    """``school add`` then ``--school CODE demo`` for every school not seeded yet,
    ``parallel`` at a time; each school's seconds (add + demo). Schools beyond the first
    ``demo`` (all when None) are only added: served, kept by the worker, empty."""
    var = app.folder / "var"
    listed = run(app, "school", "list")[1] if (var / "keys").exists() else ""
    demo = n if demo is None else demo

    def one(code: str) -> Seeded:
        if (var / "schools" / code / "demo-logins.json").exists():
            return Seeded(code, 0.0, "")
        started = time.perf_counter()
        if not re.search(rf"^{code}\b", listed, re.M):
            status, out = run(app, "school", "add", code, "--name", f"Школа {code}")
            if status:
                return Seeded(code, 0.0, f"school add: {out.splitlines()[-1:]}")
        if code not in codes(demo):
            return Seeded(code, 0.0, "")
        status, out = run(app, "--school", code, "demo", "--year", year, "--weeks", str(weeks))
        if status:
            return Seeded(code, 0.0, f"demo: {out.splitlines()[-1:]}")
        return Seeded(code, time.perf_counter() - started)

    # The first school alone: it makes the registry and the master key the others share.
    done = [one(codes(n)[0])]
    with ThreadPoolExecutor(parallel) as pool:
        done += list(pool.map(one, codes(n)[1:]))
    # A kept region may hold more schools than this run's: serve and worker take every
    # active one, so those beyond it are disabled (and this run's enabled again).
    wanted = set(codes(n))
    for line in run(app, "school", "list")[1].splitlines():
        fields = line.split()
        if len(fields) > 1 and re.fullmatch(r"s\d{3}", fields[0]):
            active = fields[1].upper() != "DISABLED"
            if active != (fields[0] in wanted):
                run(app, "school", "enable" if fields[0] in wanted else "disable", fields[0])
    return done


def storage(server: str, region: str, code: str) -> int:
    """Bytes of a school's schema (tables with their indexes and TOAST)."""
    with psycopg.connect(server) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', schemaname, "
            "tablename)::regclass)), 0) FROM pg_tables WHERE schemaname = %s",
            (f"{region}_{code}",),
        ).fetchone()
    return int(row[0]) if row else 0


def connections(server: str) -> int:
    with psycopg.connect(server) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity").fetchone()
    return int(row[0]) if row else 0


def drop_all(server: str, region: str) -> None:
    """The region schema and every school schema of it."""
    with psycopg.connect(server, autocommit=True) as admin:
        names = [
            r[0]
            for r in admin.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
                (region, region.replace("_", r"\_") + r"\_%"),
            )
        ]
        for name in names:
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


# --- the browsers ---------------------------------------------------------------------------------
@dataclass
class Saver:
    """A teacher's browser saving grid columns: its journal, pupils and free slots."""

    session: Session
    course: str
    pupils: list[str]
    slots: list[tuple[str, int]]
    term: int
    durations: list[float] = field(default_factory=list)
    bad: int = 0


@dataclass
class Browsers:
    """One school's browsers for each measurement."""

    code: str
    teachers: list[Teacher]
    readers: list[Reader]
    savers: list[Saver]


def browsers(app: App, code: str, count: int, year: str, reader: int = 0) -> Browsers:
    """``count`` teachers', diary readers' and savers' browsers of school ``code``; the
    readers from the ``reader``-th of ``readers``' alternation of parents and the deputy
    head (so that one reader per school over N schools is the same mix as N on one)."""
    logins = logins_of(app.folder / "var" / "schools" / code)

    def opened(name: str) -> Session:
        return SchoolSession(app.port, f"{code} {name}", code)

    today = clock.today()
    days = entry_days(year, today)
    term = term_on(year, days[0]) if days else TERM
    staff = teachers(app.port, logins, count, TERM, open_session=opened)
    family = readers(app.port, logins, count + reader, open_session=opened)[reader:]
    savers = []
    if days:
        keepers = teachers(app.port, logins, count, term, open_session=opened, first=count)
        for k, keeper in enumerate(keepers):
            course = keeper.courses[k % len(keeper.courses)]
            page = keeper.session.expect(200, "GET", f"/journal/{course}/{term}").text
            pupils = list(dict.fromkeys(re.findall(r'data-pupil="([0-9a-f-]{36})"', page)))
            slots = [(d.isoformat(), p) for d in days for p in range(1, 13)]
            random.Random(k).shuffle(slots)
            savers.append(Saver(keeper.session, course, pupils[:30], slots, term))
    return Browsers(code, staff, family, savers)


def grid_endpoint(name: str, clients: list[Teacher]) -> Endpoint:
    def grid(client: Teacher) -> Request:
        client.turn += 1
        return Request("GET", f"/journal/{client.courses[client.turn % len(client.courses)]}/1")

    return Endpoint(name, clients, grid)


def diary_endpoint(name: str, clients: list[Reader]) -> Endpoint:
    def diary(client: Reader) -> Request:
        client.turn += 1
        pupil = client.pupils[client.turn % len(client.pupils)]
        return Request("GET", f"/diary/{pupil}?term={TERM}", label=client.label)

    return Endpoint(name, clients, diary)


def save_columns(savers: list[Saver], seconds: float) -> tuple[list[float], int, float]:
    """Each saver in its own thread: hold a lesson (untimed), save a column of marks into
    it (timed), again until ``seconds`` pass. (durations, bad answers, wall seconds)"""
    until = time.perf_counter() + seconds
    marks = ["5", "4", "3", "Н", "5 4"]

    def loop(saver: Saver) -> None:
        rng = random.Random(saver.course)
        while time.perf_counter() < until and saver.slots:
            day, period = saver.slots.pop()
            try:
                lesson = hold_lesson(saver.session, saver.course, saver.term, day, period)
            except SetupError:
                lesson = None
            if lesson is None:
                continue
            form = [("csrf_token", saver.session.token), ("kind", "answer")]
            for pupil in saver.pupils:
                form += [(f"cell-{pupil}", rng.choice(marks)), (f"was-{pupil}", "")]
            began = time.perf_counter()
            got = saver.session.request("POST", f"/journal/lessons/{lesson}/column", form)
            took = time.perf_counter() - began
            if got.status == 200:
                saver.durations.append(took)
            else:
                saver.bad += 1

    before = [(len(s.durations), s.bad) for s in savers]
    began = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(s,), daemon=True) for s in savers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    durations = [d for s, (n, _) in zip(savers, before, strict=True) for d in s.durations[n:]]
    bad = sum(s.bad - b for s, (_, b) in zip(savers, before, strict=True))
    return durations, bad, wall


# --- the worker's lag -----------------------------------------------------------------------------
class LagPoller:
    """Every 50 ms, every school's newest event and its views' lowest position: the time
    from first seeing an event to seeing all views of its school past it."""

    def __init__(self, server: str, region: str, school_codes: list[str], app_name: str) -> None:
        parts = [
            sql.SQL(
                "SELECT {code}::text, (SELECT coalesce(max(notification_id), 0) FROM {events}), "
                "(SELECT coalesce(min(position), 0) FROM {tracking})"
            ).format(
                code=sql.Literal(code),
                events=sql.Identifier(f"{region}_{code}", "ejournal_events"),
                tracking=sql.Identifier(f"{region}_{code}", "ejournal_view_tracking"),
            )
            for code in school_codes
        ]
        self.query = sql.SQL(" UNION ALL ").join(parts)
        self.server = server
        self.lags: list[float] = []
        self.peak = 0  # the most connections pg_stat_activity showed
        #: The most connections of the app's server processes and of its worker
        #: (``<app_name>-serve``, ``-worker``), and of both at one moment.
        self.app_name = app_name
        self.own: dict[str, int] = {}
        self.own_peak = 0
        self.pending: dict[str, list[tuple[int, float]]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> LagPoller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def _poll(self) -> None:
        seen: dict[str, int] = {}
        with psycopg.connect(self.server, autocommit=True) as conn:
            while not self.stop.is_set():
                now = time.perf_counter()
                for code, newest, position in conn.execute(self.query).fetchall():
                    waiting = self.pending.setdefault(code, [])
                    if newest > seen.get(code, newest):
                        waiting.append((newest, now))
                    seen[code] = max(newest, seen.get(code, 0))
                    while waiting and position >= waiting[0][0]:
                        self.lags.append(now - waiting.pop(0)[1])
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity "
                    "GROUP BY application_name"
                ).fetchall()
                self.peak = max(self.peak, sum(int(r[1]) for r in rows))
                own = {
                    str(r[0])[len(self.app_name) + 1 :]: int(r[1])
                    for r in rows
                    if str(r[0]).startswith(self.app_name + "-")
                }
                for name, count in own.items():
                    self.own[name] = max(self.own.get(name, 0), count)
                self.own_peak = max(self.own_peak, sum(own.values()))
                self.stop.wait(0.05)


# --- the measurements -----------------------------------------------------------------------------
@dataclass
class Pair:
    """One figure measured with every client on one school and spread over schools."""

    name: str
    one: list[float] = field(default_factory=list)
    spread: list[float] = field(default_factory=list)
    bad: int = 0
    one_wall: float = 0.0
    spread_wall: float = 0.0

    def p95(self, which: str) -> float:
        return percentile(getattr(self, which), 0.95)

    @property
    def ratio(self) -> float:
        one = self.p95("one")
        return self.p95("spread") / one if one else 0.0


@dataclass
class Found:
    """What ``measure`` measured."""

    pairs: dict[str, Pair]
    lags: list[float]
    connections: int
    own: dict[str, int]  # the most of the app's server processes' and worker's connections
    own_peak: int
    baseline: Tally
    during: Tally
    rebuild: tuple[str, float, bool]  # school, seconds, failed
    spread_schools: int
    tallies: list[Tally]  # the pages' rounds, one school and spread, with CPU per request


def tally_phase(app: App, endpoint: Endpoint, seconds: float) -> Tally:
    tally = Tally(endpoint.name)
    webload.run_phase(endpoint, seconds, tally, app)
    return tally


def measure(
    args: argparse.Namespace,
    app: App,
    server: str,
    region: str,
    school_codes: list[str],
    every_code: list[str],
) -> Found:
    """The rounds, the lag, the rebuild (on the schools of ``school_codes``, which hold the
    demo; the worker's lag over ``every_code``)."""
    year = school_year(clock.today())
    spread_codes = school_codes[: max(1, min(len(school_codes), args.clients))]
    started = time.perf_counter()
    one = browsers(app, school_codes[0], args.clients, year)
    spread = [browsers(app, code, 1, year, k % 2) for k, code in enumerate(spread_codes)]
    k = len(spread)
    while sum(len(b.teachers) for b in spread) < args.clients:  # fewer schools than clients
        spread.append(browsers(app, spread_codes[k % len(spread_codes)], 1, year, k % 2))
        k += 1
    print(
        f"browsers signed in: {args.clients} per kind on {school_codes[0]} and one per "
        f"school on {len(spread_codes)} schools ({time.perf_counter() - started:.1f} s)"
    )
    flat = Browsers(
        "spread",
        [t for b in spread for t in b.teachers],
        [r for b in spread for r in b.readers],
        [s for b in spread for s in b.savers],
    )
    pairs = {name: Pair(name) for name in ("grid page", "diary page", "grid save")}
    tallies: dict[tuple[str, str], Tally] = {}  # the pages' phases by (figure, which), with CPU
    for endpoint in (
        grid_endpoint("warm-up", one.teachers + flat.teachers),
        diary_endpoint("warm-up", one.readers + flat.readers),
    ):
        tally_phase(app, endpoint, args.warmup)
    with LagPoller(server, region, every_code, app.app_name) as poller:
        for number in range(1, args.rounds + 1):
            for which, teachers, readers, savers in (
                ("one", one.teachers, one.readers, one.savers),
                ("spread", flat.teachers, flat.readers, flat.savers),
            ):
                for name, endpoint in (
                    ("grid page", grid_endpoint("grid page", teachers)),
                    ("diary page", diary_endpoint("diary page", readers)),
                ):
                    tally = tally_phase(app, endpoint, args.seconds)
                    kept = tallies.setdefault((name, which), Tally(f"{name}, {which}"))
                    webload.merge(kept, tally)
                    getattr(pairs[name], which).extend(tally.durations)
                    pairs[name].bad += sum(tally.bad.values())
                    setattr(
                        pairs[name],
                        f"{which}_wall",
                        getattr(pairs[name], f"{which}_wall") + tally.wall,
                    )
                if savers:
                    durations, bad, wall = save_columns(savers, args.seconds)
                    getattr(pairs["grid save"], which).extend(durations)
                    pairs["grid save"].bad += bad
                    setattr(
                        pairs["grid save"],
                        f"{which}_wall",
                        getattr(pairs["grid save"], f"{which}_wall") + wall,
                    )
            print(f"round {number}/{args.rounds} done, load average {common.load_average()}")
        in_use = max(poller.peak, connections(server))
    if args.profile:
        webload.profile(
            app,
            [
                grid_endpoint("grid page, one", one.teachers),
                grid_endpoint("grid page, spread", flat.teachers),
            ],
            args.seconds,
            Path(args.profile),
        )
    # The rebuild of one school while the others' grid pages are read.
    others = [t for b in spread if b.code != school_codes[-1] for t in b.teachers]
    rebuild_code = school_codes[-1] if len(school_codes) > 1 else school_codes[0]
    baseline = tally_phase(app, grid_endpoint("grid page", others or flat.teachers), args.seconds)
    during = Tally("grid page during rebuild")
    began = time.perf_counter()
    rebuild = subprocess.Popen(
        [str(BIN / "ejournal"), "--school", rebuild_code, "views", "rebuild"],
        env=app.env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = grid_endpoint("grid page during rebuild", others or flat.teachers)
    while rebuild.poll() is None:
        webload.run_phase(endpoint, 1.0, during, app)
    rebuild_seconds = time.perf_counter() - began
    rebuild_failed = rebuild.returncode != 0
    return Found(
        pairs,
        poller.lags,
        in_use,
        dict(poller.own),
        poller.own_peak,
        baseline,
        during,
        (rebuild_code, rebuild_seconds, rebuild_failed),
        len(spread_codes),
        list(tallies.values()),
    )


# --- report ---------------------------------------------------------------------------------------
def report(
    args: argparse.Namespace,
    found: Found,
    raw: common.Raw,
    before: int,
    figures: common.Figures,
) -> None:
    pairs, lags, baseline, during = found.pairs, found.lags, found.baseline, found.during
    code, seconds, failed = found.rebuild
    n = found.spread_schools
    print(f"\n== {args.clients} clients per figure: all on one school vs one per school on {n}")
    print(
        f"   {'figure':<14} {'n one':>6} {'p95 one ms':>11} {'n spread':>9} "
        f"{'p95 spread ms':>14} {'ratio':>6}  target ≤ {TARGET:g}"
    )
    for pair in pairs.values():
        # Both sides measured, or no verdict (a kept region's lesson slots run out for
        # the grid save: the days a teacher may enter are all taken by earlier runs).
        measured = bool(pair.one and pair.spread)
        verdict = (
            common.verdict(pair.ratio <= TARGET and not pair.bad)
            if measured
            else ("not measured (no free lesson slots: seed a new region)")
        )
        print(
            f"   {pair.name:<14} {len(pair.one):>6} {pair.p95('one'):>11.1f} "
            f"{len(pair.spread):>9} {pair.p95('spread'):>14.1f} {pair.ratio:>6.2f}  "
            f"{verdict}{f' ({pair.bad} bad answers)' if pair.bad else ''}"
        )
        if not measured:
            continue
        figures.add(
            f"{pair.name} p95, {args.clients} clients spread over {n} of {args.schools} schools",
            "postgres",
            "worker",
            pair.p95("spread"),
            "ms",
            raw=pair.p95("one"),
            raw_label="ms, p95 with every client on one school (same run)",
            ratio=pair.ratio,
            target=f"≤ {TARGET:g} × one school",
            verdict=verdict,
        )
    if found.tallies:
        print("\n   the pages' rounds: throughput and CPU per request of each part")
        webload.print_table(found.tallies, found.tallies[0])
    save = pairs["grid save"]
    if save.one_wall and save.spread_wall:
        one_rate, spread_rate = len(save.one) / save.one_wall, len(save.spread) / save.spread_wall
        print(
            f"   grid save rate: one school {one_rate:.1f} columns/s, spread {spread_rate:.1f} "
            f"columns/s ({spread_rate / one_rate if one_rate else 0:.2f} ×); raw limit "
            f"{common.n(raw.commits)} commits/s, {common.n(raw.grid_rows)} rows/s at 30 rows per "
            f"transaction → spread = {spread_rate * 30 / raw.grid_rows:.4f} × raw rows"
        )
    lag95 = percentile(lags, 0.95)
    print(
        f"   worker lag (event → every view of its school, 50 ms polling): p50 "
        f"{percentile(lags, 0.5):.0f} ms, p95 {lag95:.0f} ms, n={len(lags)}"
    )
    figures.add("worker lag p95, event → views", "postgres", "worker", lag95, "ms")
    ratio = during.percentile(0.95) / baseline.percentile(0.95) if baseline.durations else 0.0
    print(
        f"   rebuild of {code}: {seconds:.1f} s{' (FAILED)' if failed else ''}; the other "
        f"schools' grid page p95 {during.percentile(0.95):.1f} ms during it vs "
        f"{baseline.percentile(0.95):.1f} ms just before ({ratio:.2f} ×, "
        f"n={len(during.durations)}) "
        f"— {common.verdict(ratio <= TARGET and not failed)}"
    )
    figures.add(
        "others' grid page p95 during one school's views rebuild",
        "postgres",
        "worker",
        during.percentile(0.95),
        "ms",
        raw=baseline.percentile(0.95),
        raw_label="ms, p95 just before the rebuild",
        ratio=ratio,
        target=f"≤ {TARGET:g}",
        verdict=common.verdict(ratio <= TARGET and not failed),
    )
    print(
        f"   the app's own connections (pg_stat_activity by application_name), most at once: "
        f"{found.own_peak} for {args.schools} schools ({found.own_peak / args.schools:.2f} a "
        f"school); most of the {args.processes} server processes "
        f"{found.own.get('serve', 0)}, of the worker {found.own.get('worker', 0)}"
    )
    figures.add(
        f"connections of serve --processes {args.processes} and one worker, {args.schools} schools",
        "postgres",
        "worker",
        found.own_peak,
        "connections",
    )
    print(
        f"   connections (pg_stat_activity): {before} before the app started, "
        f"at most {found.connections} while it served ({found.connections - before} more; "
        "other users of the server count too)"
    )
    print(
        f"   raw database limit (same run): {common.n(raw.commits)} single-row commits/s, "
        f"{common.n(raw.rows)} rows/s executemany, {common.n(raw.grid_rows)} rows/s at 30 rows; "
        f"{raw.durability}"
    )
    print(f"\nload average at the end: {common.load_average()}")


# --- main -----------------------------------------------------------------------------------------
def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--schools", type=int, default=50, help="schools (50)")
    add("--weeks", type=int, default=2, help="weeks of lessons each school's demo holds (2)")
    add("--seed-parallel", type=int, default=2, help="schools seeded at a time (2)")
    add(
        "--demo",
        type=int,
        default=0,
        help="only the first N schools hold the demo, the others are empty (0: all)",
    )
    add("--lanes", type=int, default=2, help="the worker's lanes (ejournal worker --lanes)")
    add("--profile", metavar="DIR", help="sample server and worker with py-spy into DIR")
    add(
        "--first",
        type=int,
        default=1,
        help="the clients' first school (1): «one school» is it, «spread» it and the next; "
        "with --keep a later run takes schools whose lesson slots no run has used",
    )
    add("--seed-only", action="store_true", help="seed the schools (with --keep) and stop")
    add(
        "--region",
        default=KEPT_SCHEMA,
        help=f"the region schema with --keep, else its prefix ({KEPT_SCHEMA})",
    )
    webload.arguments(parser, clients=8, seconds=6.0, rounds=2, warmup=4.0, processes=2)
    args = parser.parse_args(argv)
    common.quick(args, schools=2, weeks=1, clients=2, seconds=2.0, rounds=1, warmup=0.5)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    figures = common.Figures("bench_scaling", args)
    signal.signal(signal.SIGTERM, webload.stopped)
    server = common.postgres_server("many-schools", args)
    if not server:
        return 0
    region, folder = webload.place(args.region, args.keep)
    common.create_schema(server, region) if not args.keep else _ensure(server, region)
    app = App(folder, common.with_schema(server, region), args.threads, args.processes)
    app.worker_args = ["--lanes", str(args.lanes)]
    app.ready_seconds = 1800.0  # serve builds every school before it answers
    for name in ("EJOURNAL_CLUSTER_POOL_SIZE", "EJOURNAL_REGISTRY_SECONDS"):
        if os.environ.get(name):
            app.env[name] = os.environ[name]
    print(
        f"{args.schools} schools × demo of {args.weeks} week(s); serve --processes "
        f"{args.processes} × {args.threads} threads, one worker of {args.lanes} lanes; "
        "EJOURNAL_CLUSTER_POOL_SIZE="
        f"{app.env.get('EJOURNAL_CLUSTER_POOL_SIZE', '8 (default)')}; region schema {region}"
    )
    try:
        year = school_year(clock.today())
        started = time.perf_counter()
        demo = min(args.demo or args.schools, args.schools)
        seeded = seed(app, args.schools, args.weeks, year, args.seed_parallel, demo)
        wall = time.perf_counter() - started
        failed = [s for s in seeded if s.failed]
        failed_codes = {s.code for s in failed}
        fresh = [s.seconds for s in seeded if s.seconds]
        sizes = [storage(server, region, c) for c in codes(demo) if c not in failed_codes]
        print(
            f"seeded {len(fresh)} schools in {wall:.0f} s wall ({args.seed_parallel} in parallel; "
            f"{len(seeded) - len(fresh) - len(failed)} reused): per school (add + demo) "
            f"median {common.median(fresh) if fresh else 0:.1f} s, "
            f"max {max(fresh, default=0):.1f} s; "
            f"storage per school median {common.median(sizes) / 2**20:.1f} MiB, "
            f"total {sum(sizes) / 2**20:.0f} MiB"
        )
        if demo < args.schools:
            print(
                f"   of the {args.schools} schools {demo} hold the demo, "
                f"{args.schools - demo} not seeded by it (added only, or a seeding stopped "
                "half-way): served and kept by the worker, no traffic"
            )
        for bad in failed:
            print(f"   {bad.code} failed: {bad.failed}")
        if failed:
            raise SetupError(f"{len(failed)} schools failed to seed")
        if args.seed_only:
            return 0
        raw = common.postgres_raw(server, 2.0)
        before = connections(server)
        app.start()
        if not 1 <= args.first <= demo:
            raise SetupError(f"--first {args.first}: the region holds {demo} demo schools")
        clients_on = codes(demo)[args.first - 1 :]
        found = measure(args, app, server, region, clients_on, codes(args.schools))
        report(args, found, raw, before, figures)
    except SetupError as error:
        print(f"\nthe run stopped: {error}")
        print(app.log_tails())
    finally:
        app.stop()
        if not args.keep:
            drop_all(server, region)
            shutil.rmtree(folder, ignore_errors=True)
    figures.write()
    return 0


def _ensure(server: str, region: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(region)))


if __name__ == "__main__":
    sys.exit(main())
