"""Search by name benchmark (issue 17 item 9, ADR 0020): names are sealed in the views, so a
search opens every person's sealed row in memory and compares (no index of names is stored).
On SQLite, the test school (``tests.web``) plus ``--pupils`` pupils in classes of 25, each
with a guardian (a school of ~1,000 pupils has ~2,000 people in the catalogue):

1. ``reads.people.search(«смирнов»)`` — select every person's row and open it;
2. the raw limit of the same run: the same rows selected and not opened
   (``reader.select(PERSONS)``), and the opening alone (``reads.people.names`` of everyone,
   what the guardian dropdown did on every pupil page before);
3. the access log page through the Flask test client with and without ``?q=``.

Medians of ``--repeat`` calls after 3 warm-up ones; ratios to the raw select.

    .venv/bin/python -m bench.bench_search [--pupils 1000] [--repeat 20] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from bench import common
from domain import clock
from domain.enrolment import GuardianDetails, PupilRow
from ejournal.bootstrap import build
from ejournal.webapp import web_app
from projections.views import catalog
from tests.school import at
from tests.web import build_web_school, sign_in

SURNAMES = ("Смирнов", "Иванов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков")


def _school(system: Any, pupils: int) -> Any:
    """The test school and ``pupils`` more pupils with a guardian each, in classes of 25."""
    web = build_web_school(system.journal)
    s = web.school
    with clock.travel(at(date(2025, 8, 27), 10)):
        for start in range(0, pupils, 25):
            group = system.journal.classes.form_class(s.year_id, f"6-{start // 25}", 6, s.admin)
            rows = [
                PupilRow(
                    n + 1,
                    SURNAMES[(start + n) % len(SURNAMES)],
                    f"Имя{start + n}",
                    "",
                    date(2013, 1, 1),
                    GuardianDetails("Родитель", f"Имя{start + n}", "", "", "", "мать"),
                )
                for n in range(min(25, pupils - start))
            ]
            system.journal.classes.import_class_list(group.id, rows, date(2025, 9, 1), s.admin)
    system.views.catch_up()
    return web


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pupils", type=int, default=1000, help="pupils added to the school")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per figure")
    common.arguments(parser, postgres=False)
    args = parser.parse_args()
    common.quick(args, pupils=200, repeat=5)
    figures = common.Figures("bench_search", args)
    common.describe_machine("Search by sealed name")
    with tempfile.TemporaryDirectory() as folder:
        settings = common.settings(Path(folder) / "sqlite")
        with build(replace(settings, views_mode="inline")) as system:
            web = _school(system, args.pupils)
            reads = system.views.reads
            people = system.views.read(
                lambda r: [row["person_id"] for row in r.select(catalog.PERSONS)]
            )
            raw = common.per_call(
                lambda: system.views.read(lambda r: r.select(catalog.PERSONS)), args.repeat, 3
            )
            search = common.per_call(lambda: reads.people.search("смирнов"), args.repeat, 3)
            names = common.per_call(lambda: reads.people.names(people), args.repeat, 3)
            client = web_app(system, testing=True).test_client()
            sign_in(client, *web.logins["auditor"])
            plain = common.per_call(lambda: client.get("/audit/access-log"), args.repeat, 3)
            searched = common.per_call(
                lambda: client.get("/audit/access-log?q=смирнов"), args.repeat, 3
            )
    rows = [
        ("select every person's row, not opened (raw)", raw),
        ("reads.people.search («смирнов»)", search),
        ("reads.people.names of everyone (opening alone)", names),
        ("access log page", plain),
        ("access log page ?q=смирнов", searched),
    ]
    print(f"\nsqlite, {len(people)} people in the catalogue, median of {args.repeat}")
    for label, seconds in rows:
        print(f"  {label:<50} {seconds * 1000:8.2f} ms = {seconds / raw:6.1f} × raw")
        figures.add(label, "sqlite", "inline", seconds * 1000, "ms", raw=raw * 1000)
    figures.write()


if __name__ == "__main__":
    main()
