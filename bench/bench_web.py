"""Web benchmark: the app served the production way, under 20 concurrent browsers.

On PostgreSQL, in one run (issue 4, «Measure»; DESIGN.md §9):

1. the demo school of the current school year (``ejournal demo --year …`` in a subprocess)
   in a throwaway schema;
2. ``ejournal serve`` (waitress) and ``ejournal worker`` as subprocesses, views mode
   ``worker`` (the default on PostgreSQL): a saving POST answers after the worker has
   applied its events (read-your-writes, ``web.pages.saved``);
3. ``--clients`` keep-alive sessions (threads), each signed in through the login form with
   a demo login (teachers for the journal, the parents and the deputy head for the diary);
   what to open is read from the pages, as a user finds it;
4. the grid pages measured are of a full term: each teacher's browser opens its fullest
   journal of the term, and the deputy head adds lessons to it until it has ``--columns``
   (60) in the term, typing a column of marks into each through the grid
   (``POST /journal/lessons/<id>/column``, ADR 0018);
5. in interleaved rounds, every client requesting as fast as answers come: ``GET /healthz``
   (the baseline: a trivial endpoint of the same app, same server, same sessions), the grid
   page of the teacher's journal, a pupil's diary page, and the lesson form's
   POST saving one new mark for one pupil (each client on lessons of its own, held through
   the grid's form on days within the entry deadline);
6. p50/p95/p99 and throughput of each, as ratios to ``/healthz``; CPU per request of the
   server, the worker, the PostgreSQL backends and the clients; the machine's busy share;
   every answer's status checked (a benchmark of error pages is wrong) — non-2xx/3xx and
   unexpected redirects are counted and printed; then the same with one client at a time;
7. with ``--profile DIR``: the server (and, for the POST, the worker) sampled by py-spy
   while the grid and the POST run, and where their CPU goes.

The schema and the temporary directory are removed at the end, also on SIGTERM. Benchmarks
are not tests: the exit status is 0 unless the script itself crashed.

``--quick``: 4 clients, one round of 2 s per endpoint, 1 s alone.

    .venv/bin/python -m bench.bench_web [--clients 20] [--seconds 8] [--rounds 3] [--serial 3]
                                        [--term 1] [--columns 60] [--threads 8]
                                        [--processes 1] [--pace 0] [--profile DIR] [--keep]
                                        [--quick] [--json FILE]
                                        [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench import common, webload
from bench.common import drop_schema, postgres_reachable, server_url, with_schema
from bench.webload import Endpoint, Request, Tally
from domain import clock
from ejournal.demo import quarters
from tests.httpload.app import HOST, App
from tests.httpload.client import Response, Session, SetupError, hold_lesson
from tests.httpload.client import sign_in as sign_in_as
from tests.httpload.school import (
    Reader,
    Teacher,
    entry_days,
    hold_lessons,
    logins_of,
    readers,
    school_year,
    teachers,
    term_on,
)

KEPT_SCHEMA = "bench_web"
GRID_TARGET = 50.0  # ms, p95 of the grid page
POST_TARGET = 100.0  # ms, p95 of the mark-saving POST


# --- the endpoints --------------------------------------------------------------------------------
def endpoints(staff: list[Teacher], family: list[Reader], term: int) -> list[Endpoint]:
    """The four measured requests, each with its clients and expected answer."""

    def healthz(client: Teacher) -> Request:
        return Request("GET", "/healthz")

    def grid(client: Teacher) -> Request:
        client.turn += 1
        course = client.courses[client.turn % len(client.courses)]
        return Request("GET", f"/journal/{course}/{term}")

    def diary(client: Reader) -> Request:
        client.turn += 1
        pupil = client.pupils[client.turn % len(client.pupils)]
        return Request("GET", f"/diary/{pupil}?term={term}", label=client.label)

    def mark(client: Teacher) -> Request:
        client.turn += 1
        lesson = client.lessons[
            (client.turn // len(client.lessons[0].pupils)) % len(client.lessons)
        ]
        pupil = lesson.pupils[client.turn % len(lesson.pupils)]
        path = f"/journal/lessons/{lesson.lesson_id}"
        form = lesson.with_mark(pupil, client.turn)
        return Request("POST", path, form, status=302, location=path, lesson=lesson)

    return [
        Endpoint("GET /healthz", staff, healthz),
        Endpoint(f"grid page, term {term}", staff, grid),
        Endpoint(f"diary page, term {term}", family, diary),
        Endpoint("mark POST (lesson form)", staff, mark),
    ]


def check_marks(clients: list[Teacher]) -> tuple[int, int]:
    """Open every benchmark lesson again: (lessons, lessons whose page shows a different
    number of marks than the POSTs answered as saved)."""
    wrong = 0
    lessons = 0
    for client in clients:
        for lesson in client.lessons:
            page: Response = client.session.request("GET", f"/journal/lessons/{lesson.lesson_id}")
            lessons += 1
            if page.status != 200 or page.text.count('<span class="mark') != lesson.posted:
                wrong += 1
    return lessons, wrong


# --- a full term ----------------------------------------------------------------------------------
def fill_term(
    port: int,
    logins: dict[str, list[tuple[str, str]]],
    staff: list[Teacher],
    args: argparse.Namespace,
    year: str,
) -> tuple[int, int]:
    """Each teacher's browser opens one grid page, its journal with the most lessons in
    ``args.term``, and that journal gets at least ``args.columns`` lessons in the term: the
    deputy head (who enters late) adds lessons on the term's school days and types a column
    of marks into each through the grid. Returns (journals, the fewest columns of one)."""
    session = Session(HOST, port, "deputy head (full term)")
    sign_in_as(session, *logins["deputy"][0])
    _, _, first, last = quarters(year)[args.term - 1]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [d for d in days if d.weekday() < 5 and d <= clock.today()]
    rng = random.Random(args.term)
    pages: dict[str, str] = {}
    for course in sorted({c for t in staff for c in t.courses}):
        pages[course] = session.expect(200, "GET", f"/journal/{course}/{args.term}").text
    for teacher in staff:
        teacher.courses = [max(teacher.courses, key=lambda c: pages[c].count("data-lesson="))]
    fewest = 10**6
    chosen = sorted({t.courses[0] for t in staff})
    for course in chosen:
        count = pages[course].count("data-lesson=")
        pupils = re.findall(r'data-pupil="([0-9a-f-]{36})"', pages[course])
        slots = [(d.isoformat(), p) for p in range(8, 13) for d in days]
        while count < args.columns and slots:
            day, period = slots.pop(rng.randrange(len(slots)))
            lesson = hold_lesson(session, course, args.term, day, period)
            if lesson is None:
                continue
            typed = {p: rng.choice(["5", "4", "3 4кр", "Н", "5 5"]) for p in rng.sample(pupils, 6)}
            column(session, lesson, typed)
            count += 1
        fewest = min(fewest, count)
    return len(chosen), fewest


def column(session: Session, lesson: str, typed: dict[str, str]) -> None:
    """Type ``typed`` (pupil → cell text) into a lesson's column of the grid and save it; a
    pupil the lesson refuses (not in the class on that day) is left out and the rest sent
    again."""
    for _ in range(2):
        form = [("csrf_token", session.token), ("kind", "answer")]
        for pupil, text in typed.items():
            form += [(f"cell-{pupil}", text), (f"was-{pupil}", "")]
        got = session.request("POST", f"/journal/lessons/{lesson}/column", form)
        if got.status == 200:
            return
        refused = json.loads(got.text or "{}").get("problems", {}) if got.status == 422 else {}
        if not refused:
            break
        typed = {p: t for p, t in typed.items() if p not in refused}
    raise SetupError(f"{session.name}: a grid column answered {got.status}: {got.text[:300]}")


# --- one run --------------------------------------------------------------------------------------
def prepare(
    args: argparse.Namespace, app: App, var_dir: Path
) -> tuple[list[Teacher], list[Reader], list[date]]:
    """Sign every browser in, find its pages, hold the teachers' lessons."""
    today = clock.today()
    year = school_year(today)
    days = entry_days(year, today)
    logins = logins_of(var_dir)
    started = time.perf_counter()
    staff = teachers(app.port, logins, args.clients, args.term)
    family = readers(app.port, logins, args.clients)
    journals, columns = fill_term(app.port, logins, staff, args, year)
    print(
        f"grid pages: {journals} journals (each teacher's fullest), at least {columns} lesson "
        f"columns each in term {args.term} ({time.perf_counter() - started:.1f} s so far)"
    )
    if not days:
        print(f"no school day within the entry deadline on {today}: the mark POST is skipped")
    else:
        hold_lessons(staff, args.lessons, term_on(year, days[0]), days)
    print(
        f"{args.clients} teachers' and {args.clients} diary browsers signed in, "
        f"{sum(len(t.lessons) for t in staff)} lessons held on {', '.join(map(str, days))} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return staff, family, days


def measure(args: argparse.Namespace, app: App, var_dir: Path, figures: common.Figures) -> None:
    """Warm up, the interleaved rounds, the serial pass, the checks, the report."""
    staff, family, days = prepare(args, app, var_dir)
    chosen = [e for e in endpoints(staff, family, args.term) if days or "POST" not in e.name]
    for endpoint in chosen:  # warm-up: every client's first pages, not counted
        webload.run_phase(endpoint, args.warmup, Tally(endpoint.name), app)
    tallies = [Tally(e.name) for e in chosen]
    for number in range(1, args.rounds + 1):
        for endpoint, tally in zip(chosen, tallies, strict=True):
            webload.run_phase(endpoint, args.seconds, tally, app, args.pace)
        print(f"round {number}/{args.rounds} done, load average {load()}")
    serial = [Tally(e.name) for e in chosen]
    for endpoint, tally in zip(chosen, serial, strict=True):
        webload.run_phase(endpoint.alone(), args.serial, tally, app)
    lessons, wrong = check_marks(staff) if days else (0, 0)
    sessions = [c.session for c in staff] + [c.session for c in family]
    cookie = max(len("; ".join(f"{k}={v}" for k, v in s.cookies.items())) for s in sessions)
    connections = (
        f"{sum(s.reconnects for s in sessions)} idle keep-alive connections closed by the "
        f"server and opened again; {sum(s.failures for s in sessions)} requests without an "
        f"answer; largest Cookie header {cookie} bytes (browsers drop a cookie over 4,096)"
    )
    report(args, tallies, serial, app, (lessons, wrong), connections)
    record(args, tallies, app, figures)
    if args.profile:
        webload.profile(
            app,
            [e for e in chosen if "grid" in e.name or "POST" in e.name],
            args.seconds,
            Path(args.profile),
        )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def record(
    args: argparse.Namespace, tallies: list[Tally], app: App, figures: common.Figures
) -> None:
    """Keep each endpoint's p95 and throughput beside ``GET /healthz``'s of the same rounds."""
    base = tallies[0]
    targets = {"grid": GRID_TARGET, "POST": POST_TARGET}
    for tally in tallies[1:]:
        p95 = tally.percentile(0.95)
        target = next((t for k, t in targets.items() if k in tally.name), None)
        figures.add(
            f"{tally.name}, p95, {args.clients} clients",
            "postgres",
            app.views_mode,
            p95,
            "ms",
            raw=base.percentile(0.95),
            raw_label="ms, p95 of GET /healthz (same server, same rounds)",
            ratio=p95 / base.percentile(0.95) if base.percentile(0.95) else None,
            **(
                {
                    "target": f"< {target:g} ms",
                    "verdict": common.verdict(p95 < target and not tally.bad, "MISS"),
                }
                if target is not None
                else {}
            ),
        )
        figures.add(
            f"{tally.name}, throughput, {args.clients} clients",
            "postgres",
            app.views_mode,
            tally.rate,
            "requests/s",
            raw=base.rate,
            raw_label="requests/s of GET /healthz",
        )


# --- report ---------------------------------------------------------------------------------------
def report(
    args: argparse.Namespace,
    tallies: list[Tally],
    serial: list[Tally],
    app: App,
    marks: tuple[int, int],
    connections: str,
) -> None:
    """The tables (ratios to /healthz), the answers' statuses and the targets."""
    base = tallies[0]
    pace = f"one request every {args.pace:g} s each" if args.pace else "no pause between requests"
    print(
        f"\n== {args.clients} clients, {pace}, {args.rounds} rounds × {args.seconds:g} s per "
        f"endpoint, interleaved; waitress {args.threads} threads; views mode {app.views_mode}"
    )
    webload.print_table(tallies, base)
    for tally in tallies:
        for label in sorted(set(tally.labels) - {""}):
            webload.print_subrow(tally, label, base)
    print(f"\n== one client at a time, {args.serial:g} s per endpoint")
    webload.print_table(serial, serial[0], cpu=False)
    print("\nAnswers:")
    for tally in tallies + serial:
        webload.print_statuses(tally)
    posts = next((t for t in tallies if "POST" in t.name), None)
    if posts is not None:
        slow = sum(1 for d in posts.durations if d >= webload.WAIT_TIMEOUT)
        print(
            f"   read-your-writes: {slow} POSTs took ≥ {webload.WAIT_TIMEOUT:g} s (the views "
            f"wait's timeout); {marks[1]} of {marks[0]} lessons show another number of marks "
            "than the POSTs saved"
        )
    print(f"   connections: {connections}")
    print(f"   server log: {app.queue_warnings()} waitress «Task queue depth» warnings")
    print(f"\nload average at the end: {load()}")
    print_targets(tallies)


def print_targets(tallies: list[Tally]) -> None:
    """PASS or MISS of each target of the issue."""
    print("\nTargets (issue 4; a benchmark reports, it does not fail):")
    for name, target in (("grid", GRID_TARGET), ("POST", POST_TARGET)):
        measured = next((t for t in tallies if name in t.name and t.durations), None)
        if measured is None:
            print(f"   {name}: p95 < {target:g} ms — not measured")
            continue
        p95 = measured.percentile(0.95)
        verdict = "PASS" if p95 < target and not measured.bad else "MISS"
        print(f"   {measured.name}: p95 {p95:.1f} ms < {target:g} ms — {verdict}")


def describe(server: str, threads: int, processes: int) -> None:
    """Print what the figures depend on."""
    packages = ("flask", "werkzeug", "jinja2", "waitress", "psycopg", "eventsourcing")
    common.describe_machine("web", None, packages)
    print(f"{common.server_settings(server)}, at {server}")
    passed = [k for k in ("PYTHONOPTIMIZE",) if k in os.environ]
    print(f"also passed to the server from the environment: {', '.join(passed) or 'none'}")
    print(f"ejournal serve: {processes} process(es) × {threads} threads")


# --- main -----------------------------------------------------------------------------------------
def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add(
        "--pace",
        type=float,
        default=0.0,
        help="seconds between a client's requests (0: the next as soon as the answer came)",
    )
    add("--serial", type=float, default=3.0, help="seconds per endpoint, one client (3)")
    add("--term", type=int, default=1, help="term of the grid and diary pages (1: the demo's)")
    add("--lessons", type=int, default=3, help="lessons each client marks (3)")
    add("--columns", type=int, default=60, help="lesson columns of each grid page's term (60)")
    add("--profile", metavar="DIR", help="sample server and worker with py-spy into DIR")
    webload.arguments(parser, clients=20, seconds=8.0, rounds=3, warmup=1.0, processes=1)
    args = parser.parse_args(argv)
    common.quick(args, clients=4, seconds=2.0, rounds=1, serial=1.0, warmup=0.5, lessons=2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    figures = common.Figures("bench_web", args)
    signal.signal(signal.SIGTERM, webload.stopped)
    server = server_url(args.pg_url)
    problem = postgres_reachable(server)
    if problem:
        print(f"PostgreSQL unreachable — skipped: {problem}")
        return 0
    describe(server, args.threads, args.processes)
    schema, folder = webload.place(KEPT_SCHEMA, args.keep)
    app = App(folder, with_schema(server, schema), args.threads, args.processes)
    try:
        print(app.seed(school_year(clock.today())))
        app.start()
        measure(args, app, folder / "var", figures)
    except SetupError as error:
        print(f"\nthe run stopped: {error}")
        print(app.log_tails())
    finally:
        app.stop()
        if not args.keep:
            drop_schema(server, schema)
            shutil.rmtree(folder, ignore_errors=True)
    figures.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
