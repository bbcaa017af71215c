"""Annual archive benchmark (issue 7, «Measure»; DESIGN.md §8–9).

1. A 300-page class journal (a synthetic ``Book``: 30 pupils, 10 subjects, four terms of
   lessons with topics, homework and marks — no database): reportlab alone, then reportlab
   + PDF/A-2b (pikepdf, with its validation of the written bytes) + PAdES B-LTA signing
   (pyHanko, demo PKI, in-process timestamper); pages/s of each and the ratio.
2. A full demo year: the last school year over (``seed_demo`` of the year before today's,
   10 classes of 25 pupils — 5А–9Б, the 9th grade with exams — SQLite in a temporary
   folder), complete with year, exam and final marks and the council's decisions:
   ``Archiver.close_year`` **without force** — completeness check, the close, every class's
   journal and summary sheet, every extracurricular group's journal, PDF/A, signature,
   capture — in seconds (target < 300 s, issue 16) and pages, against the raw scan of the
   year's events in the same run (``select_notifications`` in batches, each event decrypted
   and decoded: the least that reading the year costs).
3. ``archive refresh`` of that year's volumes with the clock 20 days on (every file inside
   the 14-day margin of its 4-week CRL): fresh CRL and a new document timestamp per file,
   recorded; volumes/s against close-year's volumes/s of the same run, and bytes added.

Benchmarks are not tests: the exit status is 0 unless the script itself crashed.

``--quick``: one round of a 60-page book, a demo year of two classes.

    .venv/bin/python -m bench.bench_archive [--part all|book|school] [--rounds N] [--quick]
                                            [--json FILE]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import common, dataset
from domain import clock, ids
from ejournal import demo
from ejournal.archiving import archiver, refresher, renewal, signing_setup
from ejournal.bootstrap import System, build
from ejournal.pki import make_demo_pki
from ejournal.settings import ArchiveSettings
from retention.archive import pdfa
from retention.archive.model import Book, GridRow, Lesson, SubjectPart, TermPart
from retention.archive.render import Seal, render_book
from retention.archive.service import Made
from retention.archive.signing import sign_pdf

#: The demo's subjects and quarters: a long year of the same school.
SUBJECTS = tuple(demo.SUBJECTS)
TERMS = tuple(title for _, title, _, _ in demo.quarters("2025/26"))
BOOK_LESSONS = 100  # lessons a term: about 300 pages
SCHOOL_TARGET = 300.0  # seconds to close a full demo year (issue 16: < 5 min)
SCAN_BATCH = 10_000  # rows per select_notifications, as rebuilds read


def synthetic_book(lessons_per_term: int = BOOK_LESSONS, pupils: int = 30) -> Book:
    """A class journal of about 300 pages (100 lessons a term: a long year), no database."""
    rng = random.Random(7)
    names = tuple(f"Фамилия{i:02d} И. О." for i in range(1, pupils + 1))
    days = tuple(f"{d % 28 + 1:02d}.{(d // 28) % 9 + 1:02d}" for d in range(lessons_per_term))
    subjects = []
    for subject in SUBJECTS:
        terms = []
        for title in TERMS:
            rows = tuple(
                GridRow(
                    n,
                    name,
                    tuple(rng.choice(("", "", "5о", "4д", "3к", "Н", "5о 4с")) for _ in days),
                    f"{rng.uniform(3, 5):.2f}",
                    rng.choice("345"),
                )
                for n, name in enumerate(names, 1)
            )
            lessons = tuple(
                Lesson(day, 2, f"Тема урока номер {i}: повторение и закрепление", "§ 12, № 5")
                for i, day in enumerate(days)
            )
            terms.append(TermPart(title, days, rows, lessons))
        finals = tuple((name, ("4", "5", "4", "5", "5")) for name in names)
        subjects.append(SubjectPart("id", subject, "Учитель У. У.", tuple(terms), finals))
    return Book(
        "journal",
        "id",
        "5А",
        "2025/26",
        "demo",
        "journal/2025-26/5А",
        "Руководитель К. Р.",
        names,
        TERMS,
        tuple(subjects),
        (),
        {"о": "Ответ на уроке", "к": "Контрольная"},
    )


def _seal() -> Seal:
    checkpoint = {
        "size": 1,
        "root": "0" * 64,
        "time": "2026-06-05T10:00:00+00:00",
        "key_id": "0" * 16,
        "signature": "x",
        "format": "ejournal-checkpoint/v1",
    }
    return Seal("00000000-0000-0000-0000-000000000000", "journal", checkpoint, (), ("head",))


def measure_book(rounds: int, lessons: int, figures: common.Figures) -> list[str]:
    """Part 1: reportlab alone vs reportlab + PDF/A + signature, on one 300-page book."""
    book = synthetic_book(lessons)
    folder = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    make_demo_pki(folder / "pki", "bench")
    setup = signing_setup(
        ArchiveSettings.from_env({"EJOURNAL_PKI_DIR": str(folder / "pki")}, folder)
    )
    plain_best = full_best = float("inf")
    pages = 0
    for _ in range(rounds):
        started = time.perf_counter()
        plain, pages = render_book(book, _seal())
        plain_best = min(plain_best, time.perf_counter() - started)
        started = time.perf_counter()
        plain, pages = render_book(book, _seal())
        rendered = pdfa.make_pdfa(plain)
        sign_pdf(rendered, setup, reason="bench", location="bench")
        full_best = min(full_best, time.perf_counter() - started)
    figures.add(
        f"annual archive: {pages}-page class journal, PDF/A-2b + PAdES B-LTA",
        "—",
        "—",
        pages / full_best,
        "pages/s",
        raw=pages / plain_best,
        raw_label="pages/s, reportlab alone (same book)",
    )
    return [
        f"{pages}-page class journal: {pages} pages, best of {rounds}",
        f"  reportlab only            {plain_best:6.2f} s  {pages / plain_best:7.1f} pages/s",
        f"  + PDF/A-2b + PAdES B-LTA  {full_best:6.2f} s  {pages / full_best:7.1f} pages/s",
        f"  ratio (full / reportlab)  {full_best / plain_best:6.2f}×",
    ]


def scan_year(system: System) -> tuple[int, float]:
    """The raw limit: every event of the log (the year's: the demo holds one year) read in
    batches, decrypted and decoded; (events, seconds)."""
    journal = system.journal
    head = journal.recorder.max_notification_id() or 0
    started, count = time.perf_counter(), 0
    for notes in dataset.batches(journal.recorder, head, SCAN_BATCH):
        for note in notes:
            journal.mapper.to_domain_event(note)
        count += len(notes)
    return count, time.perf_counter() - started


def past_year() -> str:
    """The last school year over by today: the one a year ago (its graduation in June)."""
    return ids.school_year_of(clock.today() - timedelta(days=365))


def measure_school(classes: int, figures: common.Figures) -> list[str]:
    """Part 2: a full demo year, seeded afresh, closed and archived whole (not forced)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-archive-school-"))
    settings = common.settings(folder)
    make_demo_pki(settings.archiving.pki_dir, settings.school)
    year = past_year()
    with build(settings) as system:
        listeners = list(system.journal.saved_listeners)
        system.journal.saved_listeners.clear()
        seeding = time.perf_counter()
        school = demo.seed_demo(system.journal, year=year, classes=classes)
        seeded = time.perf_counter() - seeding
        system.journal.saved_listeners[:] = listeners
        system.views.rebuild()
        events, scanned = scan_year(system)
        started = time.perf_counter()
        made = archiver(system).close_year(school.year_id, ids.account_id("head"))
        elapsed = time.perf_counter() - started
        lines = measure_refresh(system, made, elapsed, figures)
    pages = sum(m.pages for m in made)
    figures.add(
        f"annual archive: close-year of a full demo year with decisions ({classes} classes, "
        f"{events:,} events, {pages} pages)",
        "sqlite",
        settings.views_mode,
        elapsed,
        "s",
        raw=scanned,
        raw_label="s, raw scan of the year's events, decrypted and decoded (same run)",
        ratio=scanned / elapsed,
        target=f"< {SCHOOL_TARGET:.0f} s",
        verdict=common.verdict(elapsed < SCHOOL_TARGET),
    )
    return [
        f"demo year {year}: {len(school.classes)} classes, {school.pupils} pupils, "
        f"{school.lessons} lessons, {school.marks} marks, {school.year_marks} year marks, "
        f"{school.exam_marks} exam marks, {school.decisions} decisions; seeded in {seeded:.0f} s",
        f"  raw scan of its {events:,} events (decrypted, decoded): {scanned:.1f} s",
        f"  close-year (not forced): {len(made)} volumes, {pages} pages in {elapsed:.1f} s "
        f"({pages / elapsed:.1f} pages/s; {elapsed / scanned:.1f}× the raw scan; "
        f"target < {SCHOOL_TARGET:.0f} s)",
        *lines,
    ]


def measure_refresh(
    system: System, made: list[Made], made_in: float, figures: common.Figures
) -> list[str]:
    """Part 3: ``archive refresh`` of the year just made, 20 days on."""
    before = sum(m.path.stat().st_size for m in made)
    with clock.travel(clock.now() + timedelta(days=20)):
        started = time.perf_counter()
        outcomes = refresher(system).run(clock.now(), renewal(system), ids.account_id("head"))
        elapsed = time.perf_counter() - started
    done = sum(1 for o in outcomes if o.state == "refreshed")
    added = sum(m.path.stat().st_size for m in made) - before
    rate, raw = done / elapsed, len(made) / made_in
    figures.add(
        f"annual archive: refresh of a year's volumes ({done} files, LTA: CRL + timestamp)",
        "sqlite",
        "—",
        rate,
        "volumes/s",
        raw=raw,
        raw_label="volumes/s, close-year of the same volumes (same run)",
    )
    return [
        f"  refresh 20 days on: {done} of {len(outcomes)} volumes in {elapsed:.1f} s "
        f"({rate:.1f} volumes/s; close-year made {raw:.2f} volumes/s, ratio {rate / raw:.0f}×)",
        f"  bytes added: {added / 1024:.0f} KiB in all, "
        f"{added / max(done, 1) / 1024:.1f} KiB a file",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for and print the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.arguments(parser, postgres=False)
    parser.add_argument("--part", choices=("all", "book", "school"), default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lessons", type=int, default=BOOK_LESSONS, help="per term of the book")
    parser.add_argument("--classes", type=int, default=10, help="of the demo year (10)")
    args = parser.parse_args(argv)
    common.quick(args, rounds=1, lessons=20, classes=2)
    figures = common.Figures("bench_archive", args)
    common.describe_machine("archive", None, ("reportlab", "pikepdf", "pyhanko"))
    if args.part in ("all", "book"):
        print("\n".join(measure_book(args.rounds, args.lessons, figures)), flush=True)
    if args.part in ("all", "school"):
        print("\n".join(measure_school(args.classes, figures)), flush=True)
    figures.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
