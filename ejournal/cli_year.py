"""``ejournal year``: close the school year (the cut-off of its record series) and re-open
it under an order."""

from __future__ import annotations

import sys

import click

from domain import errors
from domain.school_year import SchoolYear
from ejournal.cli_support import actor, as_option, refused, ru_date, system
from retention.closing import MissingMark, close_year, find_year, missing_marks, reopen_year


@click.group()
def year() -> None:
    """The school year: close it (deputy head or head) and re-open it under an order."""


def _describe(built: object, missing: list[MissingMark]) -> list[str]:
    views = built.views  # type: ignore[attr-defined]
    return [m.describe(views.reads.people.name(m.student_id, short=True)) for m in missing]


@year.command("missing")
@click.argument("year_label", metavar="YEAR")
def year_missing(year_label: str) -> None:
    """List the term and year marks still missing in the classes of YEAR (2025/26)."""
    with system() as built, refused():
        built.views.catch_up()
        with built.views.reader() as reader:
            missing = missing_marks(reader, find_year(reader, year_label))
        for line in _describe(built, missing):
            click.echo(line)
    click.echo(f"не выставлено отметок: {len(missing)}")


@year.command("close")
@click.argument("year_label", metavar="YEAR")
@as_option
@click.option("--force", is_flag=True, help="Close although marks are missing (needs --reason).")
@click.option("--reason", default="", help="Why the year is closed with marks missing.")
def year_close(year_label: str, login: str, force: bool, reason: str) -> None:
    """Close the school YEAR (2025/26): the cut-off of its journals and summary sheets,
    which then accept no new entry. Refused while marks are missing (they are listed),
    unless --force with --reason."""
    with system() as built:
        who = actor(built, login)
        try:
            receipt, missing = close_year(
                built.journal, built.views, year_label, who, force=force, reason=reason
            )
        except errors.YearIncomplete:
            built.views.catch_up()
            with built.views.reader() as reader:
                listed = missing_marks(reader, find_year(reader, year_label))
            click.echo(
                f"Учебный год {year_label} не закрыт: не выставлено отметок — {len(listed)}:",
                err=True,
            )
            for line in _describe(built, listed):
                click.echo(f"  {line}", err=True)
            click.echo("Выставьте их или закройте год с --force --reason ТЕКСТ.", err=True)
            sys.exit(1)
        except (errors.DomainError, LookupError) as error:
            raise click.ClickException(str(error)) from None
        closed_on = built.journal.load(SchoolYear, receipt.id).closed_on
    forced = f" принудительно, не выставлено отметок: {len(missing)}" if missing else ""
    click.echo(f"учебный год {year_label} закрыт {ru_date(closed_on)}{forced}")


@year.command("reopen")
@click.argument("year_label", metavar="YEAR")
@as_option
@click.option("--reason", required=True, help="Why the year is re-opened.")
@click.option("--order", "order_no", default="", help="Number of the head's order.")
def year_reopen(year_label: str, login: str, reason: str, order_no: str) -> None:
    """Re-open a closed school YEAR under a reason and the head's order number: its series
    accept entries again and lose their cut-off until the year is closed again."""
    with system() as built, refused():
        reopen_year(built.journal, built.views, year_label, reason, order_no, actor(built, login))
    click.echo(f"учебный год {year_label} открыт (приказ {order_no or '—'})")
