"""``ejournal timetable``: show the timetable of a school year (bells, days off, the weekly
lessons in force on a day, substitutions), export it as the CSV the import takes, and
import such a CSV from a date on (ADR 0019, ADR 0031). The file format is the web page's
(«Класс;День;Урок;Предмет», docs/operations.md); an import is checked line by line and
saved whole or not at all."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from domain import clock, errors
from domain.timetable import WEEKDAYS, slots_on
from ejournal.cli_support import actor, as_option, parse_date, refused, ru_date, system
from retention.closing import find_year

year_option = click.option(
    "--year",
    "year_label",
    default=None,
    help="The school year (2025/26); the current one by default.",
)


@click.group()
def timetable() -> None:
    """The timetable: show it, export it as CSV, import a CSV from a date on."""


def _year(built: Any, label: str | None) -> dict[str, Any]:
    """The school year of ``label``, or the one in progress (else the latest)."""
    school = built.views.reads.school
    if label:
        with built.views.reader() as reader:
            year_id = find_year(reader, label)
        found = school.year(year_id)
    else:
        found = school.current_year(clock.today())
    if found is None:
        raise click.ClickException("учебный год не открыт")
    return dict(found)


def _weekly(built: Any, year_id: str, day: date, group: str | None) -> list[tuple[str, ...]]:
    """(class, weekday, period, subject) of every weekly lesson in force on ``day``."""
    reads = built.views.reads
    rows = []
    for course in reads.school.courses(year_id):
        if group and course.group_name.casefold() != group.casefold():
            continue
        for weekday, period in sorted(
            slots_on(reads.timetable.patterns(course.course_journal_id), day)
        ):
            rows.append((course.group_name, weekday, period, course.subject))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return [(g, WEEKDAYS[w], str(p), s) for g, w, p, s in rows]


@timetable.command("show")
@year_option
@click.option(
    "--on", "on_day", default=None, help="The day whose weekly timetable is shown (today)."
)
@click.option("--class", "group", default=None, help="Only this class or group (5А).")
def timetable_show(year_label: str | None, on_day: str | None, group: str | None) -> None:
    """Print the bells, the days off, the weekly lessons in force on a day (--on, today by
    default) and the substitutions from that day on."""
    day = parse_date(on_day, "--on") or clock.today()
    with system() as built, refused():
        built.views.catch_up()
        year = _year(built, year_label)
        year_id = str(year["year_id"])
        reads = built.views.reads
        click.echo(f"Учебный год {year['year']}")
        bells = reads.timetable.bells(year_id)
        click.echo("Звонки:" if bells else "Звонки: не заданы")
        for number, (starts, ends) in sorted(bells.items()):
            click.echo(f"  {number} урок  {starts}–{ends}")
        off = reads.timetable.days_off(year_id)
        click.echo("Выходные дни и каникулы внутри четвертей:" if off else "Выходных дней нет")
        for o in off:
            click.echo(f"  {ru_date(o.starts)}–{ru_date(o.ends)}  {o.title}")
        weekly = _weekly(built, year_id, day, group)
        click.echo(f"Расписание на неделю с {ru_date(day)}:" if weekly else "Расписание не задано")
        for name, weekday, period, subject in weekly:
            click.echo(f"  {name}  {weekday}  {period}  {subject}")
        subs = [
            s
            for s in reads.timetable.substitutions(year_id, day)
            if not group or s.course.group_name.casefold() == group.casefold()
        ]
        if subs:
            names = reads.people.names({s.teacher_id for s in subs}, short=True)
            click.echo("Замены:")
            for s in subs:
                click.echo(
                    f"  {ru_date(date.fromisoformat(s.day))}  {s.period} урок  "
                    f"{s.course.group_name}  {s.course.subject}  — {names.get(s.teacher_id, '')}"
                )


@timetable.command("export")
@year_option
@click.option(
    "--on", "on_day", default=None, help="The day whose weekly timetable is exported (today)."
)
@click.option("--to", "target", default="-", help="File to write (standard output by default).")
def timetable_export(year_label: str | None, on_day: str | None, target: str) -> None:
    """Write the weekly timetable in force on a day as CSV («Класс;День;Урок;Предмет»,
    UTF-8) — the file `timetable import` and the timetable page take."""
    from web import timetable_files  # the page's format; the web app only when it is needed

    day = parse_date(on_day, "--on") or clock.today()
    with system() as built, refused():
        built.views.catch_up()
        year = _year(built, year_label)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(timetable_files.TIMETABLE_COLUMNS)
        lines = _weekly(built, str(year["year_id"]), day, None)
        writer.writerows(lines)
    if target == "-":
        sys.stdout.write(out.getvalue())
    else:
        Path(target).write_text(out.getvalue(), encoding="utf-8")
        click.echo(f"записано уроков в неделю: {len(lines)} → {target}", err=True)


@timetable.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--since", required=True, help="The first day the timetable is in force (2026-01-12)."
)
@year_option
@as_option
def timetable_import(source: Path, since: str, year_label: str | None, login: str) -> None:
    """Import the weekly timetable from a CSV file («Класс;День;Урок;Предмет») from --since
    on, for every course journal the file names. A file with a bad line is refused whole:
    every line's problem is printed (exit 1) and nothing is saved."""
    from web import timetable_files  # the page's reader, so the file is read as the page does

    day = parse_date(since, "--since")
    assert day is not None
    with system() as built:
        built.views.catch_up()
        with refused():
            year = _year(built, year_label)
        year_id = str(year["year_id"])
        reads = built.views.reads
        groups = {str(g["name"]): str(g["group_id"]) for g in reads.school.groups(year_id)}
        courses = {
            (c.group_id, c.subject): c.course_journal_id for c in reads.school.courses(year_id)
        }
        try:
            rows = timetable_files.read_timetable(source.read_bytes(), groups, courses)
            built.journal.timetable.import_timetable(UUID(year_id), rows, day, actor(built, login))
        except timetable_files.FileInvalid as error:
            _problems(error.problems)
        except errors.RowsRejected as error:  # every bad line named, not only the summary
            _problems(list(error.problems))
        except errors.DomainError as error:
            raise click.ClickException(error.text) from None
    click.echo(f"расписание импортировано с {ru_date(day)}: уроков в неделю — {len(rows)}")


def _problems(problems: list[tuple[int, str]]) -> None:
    for line, message in problems:
        click.echo(f"строка {line}: {message}" if line else message, err=True)
    raise click.ClickException("файл не импортирован; ничего не сохранено")
