"""Retention benchmark: planning over 50 school years, and the rate of execution.

On PostgreSQL (issue 6, «Measure»), in a throwaway schema:

1. a synthetic school — 50 school years of 990 pupils in 33 classes of 30 (a new first
   grade each year, pupils moving up to the 11th), each class with a journal (enrolments,
   lessons with every pupil's mark) and a summary sheet (year marks), every year closed on
   30 June — built from the domain aggregates and saved in batches (series registered
   through the same guard the commands use);
2. the plan (``Records.plan``: the register read, states and holds computed) as of a day
   when 45 years of journals are due, median of several runs;
3. an execution of those journals — propose, approve, execute — timed by phase: the
   certificate (counts, keys, files), recording it, destroying the keys (what makes the
   events unreadable), and purging the views (a rebuild without them); series/s and
   events/s made unreadable;
4. beside it, the raw limit: a plain keyring delete of as many keys (one UPDATE per key,
   the keyring's own ``destroy``, and one bulk UPDATE), and the ratio.

Benchmarks are not tests: the exit status is 0 unless the script crashed.

``--quick``: 8 school years of 99 pupils, 2 lessons per journal.

    .venv/bin/python -m bench.bench_retention [--years 50] [--pupils 1000] [--lessons 8]
                                              [--quick] [--json FILE]
                                              [--pg-url postgresql://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from bench import common, dataset
from domain import clock, ids
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.grades import YearGrades
from domain.lesson import Lesson
from domain.people import Student
from domain.school_year import SchoolYear
from ejournal.bootstrap import System, build
from ejournal.keystore import PostgresKeyStore
from ejournal.settings import Settings

GRADES = range(1, 12)
LETTERS = "АБВГ"


def _at(day: date, hour: int = 12) -> datetime:
    return clock.local_datetime(day, hour)


class Generator:
    """Builds the synthetic school year by year, saving a few thousand events at a time."""

    def __init__(self, system: System, pupils: int, lessons: int) -> None:
        self.system, self.journal = system, system.journal
        # three classes a grade, as many pupils in each as make ``pupils`` in 11 grades
        self.per_grade = 3
        self.class_size = max(1, round(pupils / (len(GRADES) * self.per_grade)))
        self.lessons = lessons
        self.cohorts: dict[int, list[uuid.UUID]] = {}
        self.pending: list[Aggregate] = []
        self.events = 0

    def save(self, *aggregates: Aggregate, register: bool = False) -> None:
        if register:  # new series: registered as the commands would register them
            self.journal._memo.loads = {}
            try:
                entries = self.journal.series_guard.prepare(aggregates)
            finally:
                self.journal._memo.loads = None
            self.journal.save(*entries, *aggregates)
            self.journal.series_guard.saved(entries)
            return
        self.pending += aggregates
        if sum(len(a.pending_events) for a in self.pending) > 3000:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.journal.save(*self.pending)
            self.pending = []

    def year(self, start: int) -> None:
        label = f"{start}/{(start + 1) % 100:02d}"
        with clock.travel(_at(date(start, 8, 25))):
            year = SchoolYear(
                school="bench",
                year=label,
                starts=date(start, 9, 1),
                ends=date(start + 1, 5, 31),
                series=ids.year_series(label),
                actor=SYSTEM_ACTOR,
            )
            self.save(year, register=True)
            per_grade = self.per_grade
            new = [self._pupil(start) for _ in range(per_grade * self.class_size)]
            self.save(*new, register=True)
            self.cohorts = {g + 1: p for g, p in self.cohorts.items() if g + 1 <= 11}
            self.cohorts[1] = [p.id for p in new]
        for grade, pupils in sorted(self.cohorts.items()):
            for index in range(per_grade):
                members = pupils[index::per_grade]
                self._class(year, label, f"{grade}{LETTERS[index % len(LETTERS)]}", grade, members)
        self.flush()
        with clock.travel(_at(date(start + 1, 6, 30), 15)):
            year = self.journal.load(SchoolYear, year.id)
            year.close(SYSTEM_ACTOR)
            self.journal.save(year)

    def _pupil(self, start: int) -> Student:
        pupil_id = uuid.uuid4()
        return Student(
            id=pupil_id,
            surname="Иванов",
            name="Иван",
            patronymic="",
            birth_date=date(start - 7, 3, 1),
            series=ids.person_series(pupil_id),
            actor=SYSTEM_ACTOR,
        )

    def _class(
        self, year: SchoolYear, label: str, name: str, grade: int, members: list[uuid.UUID]
    ) -> None:
        start = year.starts
        with clock.travel(_at(date(start.year, 8, 26))):
            group = dataset.class_group(year.id, label, name, grade, SYSTEM_ACTOR)
            for pupil in members:
                group.enrol(pupil, start, SYSTEM_ACTOR)
            course = dataset.course_journal(group, "Математика", SYSTEM_ACTOR)
            self.save(group, course, register=True)
        for number in range(self.lessons):
            day = date(start.year, 9, 2 + 2 * number)
            with clock.travel(_at(day, 10)):
                lesson = Lesson(
                    course_journal_id=course.id,
                    day=day,
                    period=1,
                    kind="lesson",
                    topic=f"Тема {number}",
                    homework="",
                    series=group.series,
                    actor=SYSTEM_ACTOR,
                )
                for pupil in members:
                    lesson._mark_recorded(
                        mark_id=uuid.uuid4(),
                        student_id=pupil,
                        value="5",
                        kind="answer",
                        actor=SYSTEM_ACTOR,
                    )
                self.save(lesson)
        with clock.travel(_at(date(start.year + 1, 5, 28))):
            grades = YearGrades(
                group_id=group.id,
                year_id=year.id,
                series=ids.summary_series(label, name),
                actor=SYSTEM_ACTOR,
            )
            for pupil in members:
                grades._year_mark_set(
                    course_journal_id=course.id,
                    student_id=pupil,
                    value="5",
                    actor=SYSTEM_ACTOR,
                    basis=None,
                    why="",
                )
            self.flush()
            self.save(grades, register=True)


def settings(url: str, schema: str, folder: Path) -> Settings:
    return common.settings(
        folder / "var",
        common.with_schema(url, schema),
        EJOURNAL_VIEWS="worker",
        EJOURNAL_CHECKPOINT_EVERY="100000000",
    )


timed = common.stopwatch


def raw_keyring(system: System, count: int, *, bulk: bool) -> float:
    """Seconds to erase ``count`` keys of a scratch keyring in the same database: one
    UPDATE per key (the keystore's own ``destroy``), or one bulk UPDATE."""
    db = system.settings.database
    scratch = sql.Identifier(f"{db.schema}_raw")
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(scratch))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(scratch))
    url = f"{server(system)}?schema={db.schema}_raw"
    store = PostgresKeyStore(system.settings.with_database(url).database)
    keys = [str(uuid.uuid4()) for _ in range(count)]
    now = datetime.now(UTC)
    for n, key in enumerate(keys):
        store.insert(key, f"raw/{n}", os.urandom(40), now)
    started = time.perf_counter()
    if bulk:
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            statement = "UPDATE {}.ejournal_keyring SET wrapped = NULL WHERE key_id = ANY(%s)"
            conn.execute(sql.SQL(statement).format(scratch), (keys,))
    else:
        for key in keys:
            store.destroy(key, now, "raw")
    seconds = time.perf_counter() - started
    store.close()
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(scratch))
    return seconds


def server(system: System) -> str:
    db = system.settings.database
    return f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    common.arguments(parser)
    parser.add_argument("--years", type=int, default=50)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--lessons", type=int, default=8)
    parser.add_argument("--plans", type=int, default=5)
    args = parser.parse_args(argv)
    common.quick(args, years=8, pupils=99, lessons=2, plans=3)
    figures = common.Figures("bench_retention", args)
    server = common.postgres_server("retention", args, settings=False)
    if not server:
        return 0
    schema = f"bench_retention_{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    common.create_schema(server, schema)
    try:
        with build(settings(server, schema, folder)) as system:
            run(system, args, figures)
    finally:
        common.drop_schema(server, schema)
        shutil.rmtree(folder, ignore_errors=True)
    figures.write()
    return 0


def run(system: System, args: argparse.Namespace, figures: common.Figures) -> None:
    first = 2025 - args.years + 1
    generator = Generator(system, args.pupils, args.lessons)

    def generate() -> None:
        for n in range(args.years):
            generator.year(first + n)
            if (n + 1) % 10 == 0:
                print(f"   {n + 1} years generated", flush=True)

    seconds, _ = timed(generate)
    events = system.journal.recorder.max_notification_id() or 0
    print(f"generated {args.years} years, {events:,} events in {seconds:.0f} s")
    seconds, _ = timed(system.views.rebuild)  # in memory, as a fresh deployment would
    print(f"views built in {seconds:.0f} s ({events / seconds:,.0f} events/s)")

    # "Today" is 2 July after the last year closed: 45 of 50 years of journals are due
    # (and 24 of summary sheets); the journals are proposed and executed.
    as_of = date(first + max(args.years, 6), 7, 2)
    records = system.records
    runs = [timed(lambda: records.plan(as_of))[0] for _ in range(args.plans)]
    plan = records.plan(as_of)
    registered = len(records.register(as_of))
    median, fastest = statistics.median(runs) * 1000, min(runs) * 1000
    print(
        f"plan as of {as_of}: {registered:,} series in the register, "
        f"{len(plan.executable):,} executable; median {median:.0f} ms over {args.plans} runs "
        f"(min {fastest:.0f} ms)"
    )

    with clock.travel(_at(as_of, 10)):
        archivist = system.journal.accounts.create_account(
            "archivist", "А", "А", "", ["archivist"], "bench-secret-1", SYSTEM_ACTOR
        ).id
        head = system.journal.accounts.create_account(
            "head", "Д", "Д", "", ["head"], "bench-secret-1", SYSTEM_ACTOR
        ).id
        proposing, [proposal] = timed(
            lambda: records.propose(archivist, record_class="class-journal")
        )
        approving, _ = timed(
            lambda: system.journal.retention.approve_disposition(proposal, head, "7", clock.today())
        )
        info = system.journal.retention.disposition(proposal)
        certifying, (certificate, problems) = timed(lambda: records.certify(info, archivist))
        assert not problems, problems
        recording, _ = timed(
            lambda: system.journal.retention.execute_disposition(proposal, certificate, archivist)
        )
        shred = records.infra.shredder
        series = [i["series"] for i in certificate["items"]]
        shredding, _ = timed(lambda: shred.destroy(series, certificate["certificate_id"]))
        purging, _ = timed(records.infra.purge)
        writing, _ = timed(lambda: records.write_certificate(certificate))
    count, destroyed = certificate["totals"]["series"], certificate["totals"]["events"]
    total = certifying + recording + shredding + purging + writing
    per_key = raw_keyring(system, count, bulk=False)
    bulk = raw_keyring(system, count, bulk=True)
    print(f"proposal of {count:,} series in {proposing:.1f} s, approval in {approving:.1f} s")
    print(
        f"execution: certificate {certifying:.1f} s, record {recording:.1f} s, "
        f"keys {shredding:.2f} s, view purge {purging:.1f} s, files {writing:.2f} s"
    )
    print(
        f"  keys destroyed: {count / shredding:,.0f} series/s, "
        f"{destroyed / shredding:,.0f} events/s made unreadable"
    )
    print(f"  whole execution: {count / total:,.1f} series/s, {destroyed / total:,.0f} events/s")
    print(
        f"raw keyring delete of {count:,} keys: {count / per_key:,.0f} keys/s one by one, "
        f"{count / bulk:,.0f} keys/s in one UPDATE"
    )
    print(
        f"ratio, shredding through the keyring : raw one-by-one = {per_key / shredding:.2f}; "
        f": raw bulk = {bulk / shredding:.3f}"
    )
    views = system.settings.views_mode
    figures.add(
        f"retention plan, {registered:,} series in the register",
        "postgres",
        views,
        median,
        "ms",
    )
    figures.add(
        f"retention: keys destroyed ({count:,} series)",
        "postgres",
        views,
        count / shredding,
        "series/s",
        raw=count / per_key,
        raw_label="keys/s, raw keyring delete one by one",
    )
    figures.add(
        "retention: whole execution",
        "postgres",
        views,
        count / total,
        "series/s",
        raw=count / per_key,
        raw_label="keys/s, raw keyring delete one by one",
    )


if __name__ == "__main__":
    raise SystemExit(main())
