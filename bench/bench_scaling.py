"""Many schools on one PostgreSQL: does a school answer as fast beside N−1 others as alone?

Issue 19, item 6 (ADR 0027). In one run:

1. a region schema unique to the run (``bench_scale_<hex>``; with ``--keep`` the fixed
   ``bench_scale``, reused when seeded); ``--schools`` (50) schools made with ``ejournal
   school add`` and seeded with ``ejournal --school CODE demo --weeks W`` in 2 parallel
   processes (``--weeks``: lessons of the first W weeks only, to keep seeding affordable);
   seed time and storage (``pg_total_relation_size`` over the school's schema) per school;
2. the raw database limits of the same server (``bench/common.py``: single-row commits/s
   and executemany rows/s), printed as the other benches do;
3. ``ejournal serve --processes 2`` and one ``ejournal worker`` over every school (``/s/CODE/``),
   ``EJOURNAL_SCHOOL_POOL_SIZE`` (1 unless set) connections per school's event store;
4. in interleaved rounds, ``--clients`` browsers (teachers for the grid page and the grid
   save, parents and the deputy head for the diary) either all on the first school
   («one school») or each on another school («spread over N»): the grid page p95, the diary
   p95 and the grid save (``POST /journal/lessons/<id>/column`` of every pupil of the class,
   up to 30 marks, on a lesson the client holds first, untimed) p95 and rate; each «spread»
   figure as a ratio to the «one school» figure of the same run (target ≤ 1.2);
5. the worker's lag: a poller reads every school's newest event and its views' lowest
   position every 50 ms during the save rounds; lag = from first seeing an event to seeing
   every view of that school past it (p95 over all schools; the views include the ledger's);
6. ``ejournal --school CODE views rebuild`` of the second school while the other schools'
   grid pages are read: their p95 during it as a ratio to the spread figure without it;
7. connections: ``count(*) from pg_stat_activity`` before the app starts and its peak while
   the rounds run (sampled with the lag).

Everything the run made is dropped at the end (also on SIGTERM) unless ``--keep``.
Benchmarks are not tests: the exit status is 0 unless the script itself crashed.

    .venv/bin/python -m bench.bench_scaling [--schools 50] [--weeks 2] [--clients 8]
                                            [--seconds 6] [--rounds 2] [--processes 2]
                                            [--threads 8] [--seed-only] [--keep]
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
import tempfile
import threading
import time
import uuid
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
from tests.httpload.client import (
    Form,
    Response,
    Session,
    SetupError,
    children,
    class_pupils,
    hold_lesson,
    own_courses,
    sign_in,
)
from tests.httpload.school import Reader, Teacher, entry_days, logins_of, school_year, term_on

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


def seed(app: App, n: int, weeks: int, year: str) -> list[Seeded]:
    """``school add`` then ``--school CODE demo`` for every school not seeded yet, two at
    a time; each school's seconds (add + demo)."""
    var = app.folder / "var"
    listed = run(app, "school", "list")[1] if (var / "keys").exists() else ""

    def one(code: str) -> Seeded:
        if (var / "schools" / code / "demo-logins.json").exists():
            return Seeded(code, 0.0, "")
        started = time.perf_counter()
        if not re.search(rf"^{code}\b", listed, re.M):
            status, out = run(app, "school", "add", code, "--name", f"Школа {code}")
            if status:
                return Seeded(code, 0.0, f"school add: {out.splitlines()[-1:]}")
        status, out = run(app, "--school", code, "demo", "--year", year, "--weeks", str(weeks))
        if status:
            return Seeded(code, 0.0, f"demo: {out.splitlines()[-1:]}")
        return Seeded(code, time.perf_counter() - started)

    # The first school alone: it makes the registry and the master key the others share.
    done = [one(codes(n)[0])]
    with ThreadPoolExecutor(2) as pool:
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


def browsers(app: App, code: str, count: int, year: str) -> Browsers:
    """``count`` teachers', diary readers' and savers' browsers of school ``code``."""
    logins = logins_of(app.folder / "var" / "schools" / code)
    staff = logins.get("teacher", []) + logins.get("class_teacher", [])
    parents, deputy = logins.get("parent", []), logins.get("deputy", [])
    if not staff or not deputy:
        raise SetupError(f"school {code}: the demo logins hold no teacher or deputy head")
    today = clock.today()
    days = entry_days(year, today)
    term = term_on(year, days[0]) if days else TERM
    teachers, readers, savers = [], [], []
    kept: dict[tuple[str, int], list[str]] = {}
    turn = [0]

    def teacher(name: str, term: int) -> tuple[Session, list[str]]:
        """The next teacher (in turn) who keeps a course journal in ``term``, signed in."""
        for _ in range(2 * len(staff)):
            login, password = staff[turn[0] % len(staff)]
            turn[0] += 1
            if kept.get((login, term)) == []:
                continue
            session = SchoolSession(app.port, f"{code} {name} ({login})", code)
            sign_in(session, login, password)
            kept[(login, term)] = own_courses(session, term)
            if kept[(login, term)]:
                return session, kept[(login, term)]
        raise SetupError(f"{code}: no teacher keeps a course journal in term {term}")

    for k in range(count):
        session, courses = teacher(f"teacher {k}", TERM)
        teachers.append(Teacher(session, courses))
        parent = k % 2 == 0 and bool(parents)
        login, password = parents[(k // 2) % len(parents)] if parent else deputy[0]
        session = SchoolSession(app.port, f"{code} diary {k}", code)
        sign_in(session, login, password)
        pupils = children(session) if parent else class_pupils(session, k // 2)
        readers.append(Reader(session, pupils, "parent" if parent else "deputy"))
        if days:
            session, mine = teacher(f"saver {k}", term)
            course = mine[k % len(mine)]
            page = session.expect(200, "GET", f"/journal/{course}/{term}").text
            pupils = list(dict.fromkeys(re.findall(r'data-pupil="([0-9a-f-]{36})"', page)))
            slots = [(d.isoformat(), p) for d in days for p in range(1, 13)]
            random.Random(k).shuffle(slots)
            savers.append(Saver(session, course, pupils[:30], slots, term))
    return Browsers(code, teachers, readers, savers)


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

    def __init__(self, server: str, region: str, school_codes: list[str]) -> None:
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
                row = conn.execute("SELECT count(*) FROM pg_stat_activity").fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
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
    baseline: Tally
    during: Tally
    rebuild: tuple[str, float, bool]  # school, seconds, failed
    spread_schools: int


def tally_phase(app: App, endpoint: Endpoint, seconds: float) -> Tally:
    tally = Tally(endpoint.name)
    webload.run_phase(endpoint, seconds, tally, app)
    return tally


def measure(
    args: argparse.Namespace, app: App, server: str, region: str, school_codes: list[str]
) -> Found:
    """The rounds, the lag, the rebuild."""
    year = school_year(clock.today())
    spread_codes = school_codes[: max(1, min(len(school_codes), args.clients))]
    started = time.perf_counter()
    one = browsers(app, school_codes[0], args.clients, year)
    spread = [browsers(app, code, 1, year) for code in spread_codes]
    k = 0
    while sum(len(b.teachers) for b in spread) < args.clients:  # fewer schools than clients
        spread.append(browsers(app, spread_codes[k % len(spread_codes)], 1, year))
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
    for endpoint in (
        grid_endpoint("warm-up", one.teachers + flat.teachers),
        diary_endpoint("warm-up", one.readers + flat.readers),
    ):
        tally_phase(app, endpoint, args.warmup)
    with LagPoller(server, region, school_codes) as poller:
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
        baseline,
        during,
        (rebuild_code, rebuild_seconds, rebuild_failed),
        len(spread_codes),
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
        ok = pair.ratio <= TARGET and not pair.bad
        print(
            f"   {pair.name:<14} {len(pair.one):>6} {pair.p95('one'):>11.1f} "
            f"{len(pair.spread):>9} {pair.p95('spread'):>14.1f} {pair.ratio:>6.2f}  "
            f"{common.verdict(ok) if pair.one else 'not measured'}"
            f"{f' ({pair.bad} bad answers)' if pair.bad else ''}"
        )
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
            verdict=common.verdict(pair.ratio <= TARGET and not pair.bad),
        )
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
    add("--clients", type=int, default=8, help="concurrent browsers per figure (8)")
    add("--seconds", type=float, default=6.0, help="per figure, arrangement and round (6)")
    add("--rounds", type=int, default=2, help="interleaved rounds (2)")
    add("--warmup", type=float, default=4.0, help="seconds of warm-up, not counted (4)")
    add("--threads", type=int, default=8, help="waitress threads per process (8)")
    add("--processes", type=int, default=2, help="`ejournal serve --processes` (2)")
    add("--seed-only", action="store_true", help="seed the schools (with --keep) and stop")
    add("--keep", action="store_true", help=f"keep schema {KEPT_SCHEMA}* (reused when seeded)")
    common.arguments(parser)
    args = parser.parse_args(argv)
    common.quick(args, schools=2, weeks=1, clients=2, seconds=2.0, rounds=1, warmup=0.5)
    return args


def stopped(*_: object) -> None:
    print("\nstopped by SIGTERM: removing the schemas and the temporary directory", flush=True)
    sys.exit(143)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    figures = common.Figures("bench_scaling", args)
    signal.signal(signal.SIGTERM, stopped)
    server = common.postgres_server("many-schools", args)
    if not server:
        return 0
    region = KEPT_SCHEMA if args.keep else f"bench_scale_{uuid.uuid4().hex[:8]}"
    folder = (
        Path(tempfile.gettempdir()) / "ejournal-bench-scale-kept"
        if args.keep
        else Path(tempfile.mkdtemp(prefix="ejournal-bench-scale-"))
    )
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("EJOURNAL_SCHOOL_POOL_SIZE", "1")
    common.create_schema(server, region) if not args.keep else _ensure(server, region)
    app = App(folder, common.with_schema(server, region), args.threads, args.processes)
    app.env["EJOURNAL_SCHOOL_POOL_SIZE"] = os.environ["EJOURNAL_SCHOOL_POOL_SIZE"]
    print(
        f"{args.schools} schools × demo of {args.weeks} week(s); serve --processes "
        f"{args.processes} × {args.threads} threads, one worker; EJOURNAL_SCHOOL_POOL_SIZE="
        f"{app.env['EJOURNAL_SCHOOL_POOL_SIZE']}; region schema {region}"
    )
    try:
        year = school_year(clock.today())
        started = time.perf_counter()
        seeded = seed(app, args.schools, args.weeks, year)
        wall = time.perf_counter() - started
        failed = [s for s in seeded if s.failed]
        fresh = [s.seconds for s in seeded if s.seconds]
        sizes = [storage(server, region, s.code) for s in seeded if not s.failed]
        print(
            f"seeded {len(fresh)} schools in {wall:.0f} s wall (2 in parallel; "
            f"{len(seeded) - len(fresh) - len(failed)} reused): per school (add + demo) "
            f"median {common.median(fresh) if fresh else 0:.1f} s, "
            f"max {max(fresh, default=0):.1f} s; "
            f"storage per school median {common.median(sizes) / 2**20:.1f} MiB, "
            f"total {sum(sizes) / 2**20:.0f} MiB"
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
        found = measure(args, app, server, region, codes(args.schools))
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
