"""``ejournal year``: close the school year (the cut-off of its record series) and re-open
it under an order."""

from __future__ import annotations

import sys

import click

from domain import errors
from domain.grades import DECISIONS
from domain.school_year import SchoolYear
from ejournal.cli_support import actor, as_option, parse_date, parse_id, refused, ru_date, system
from retention.closing import (
    MissingMark,
    close_year,
    find_year,
    missing_marks,
    record_decisions,
    reopen_year,
    undecided_pupils,
)


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


def _undecided(built: object, year_label: str) -> list[str]:
    views = built.views  # type: ignore[attr-defined]
    views.catch_up()
    with views.reader() as reader:
        found = undecided_pupils(reader, find_year(reader, year_label))
    return [u.describe(views.reads.people.name(u.student_id, short=True)) for u in found]


@year.command("undecided")
@click.argument("year_label", metavar="YEAR")
def year_undecided(year_label: str) -> None:
    """List the pupils of YEAR (2025/26) without a decision of the pedagogical council."""
    with system() as built, refused():
        lines = _undecided(built, year_label)
        for line in lines:
            click.echo(line)
    click.echo(f"нет решения педагогического совета: {len(lines)}")


@year.command("decide")
@click.argument("year_label", metavar="YEAR")
@click.argument("group")
@as_option
@click.option(
    "--decision",
    required=True,
    type=click.Choice(list(DECISIONS)),
    help="promoted — переведён(а); conditional — переведён(а) условно; "
    "retained — оставлен(а) на повторное обучение; graduated — выпущен(а).",
)
@click.option("--protocol", "protocol_no", required=True, help="Number of the council's protocol.")
@click.option("--date", "protocol_date", required=True, help="Date of the protocol (2026-05-28).")
@click.option(
    "--pupil",
    "pupils",
    multiple=True,
    help="Pupil id (repeatable); without it, every pupil of GROUP still without a decision.",
)
@click.option("--reason", default="", help="Why a decision already recorded is changed.")
def year_decide(
    year_label: str,
    group: str,
    login: str,
    decision: str,
    protocol_no: str,
    protocol_date: str,
    pupils: tuple[str, ...],
    reason: str,
) -> None:
    """Record the pedagogical council's decision on pupils of class GROUP (5А) in YEAR
    (deputy head or head), with the protocol's number and date; all in one transaction.
    The summary sheet prints it; the year closes only when every pupil has one."""
    day = parse_date(protocol_date, "--date")
    assert day is not None
    ids = [parse_id(p, "--pupil") for p in pupils]
    with system() as built, refused():
        done = record_decisions(
            built.journal,
            built.views,
            year_label,
            group,
            ids,
            decision,
            protocol_no,
            day,
            actor(built, login),
            reason=reason,
        )
    if not done:
        raise click.ClickException(
            f"у всех обучающихся {group} решение уже есть; чтобы изменить его, укажите --pupil "
            "и --reason"
        )
    click.echo(
        f"{group}: решение «{DECISIONS[decision]}» (протокол № {protocol_no.strip()} "
        f"от {ru_date(day)}) — обучающихся: {len(done)}"
    )


@year.command("close")
@click.argument("year_label", metavar="YEAR")
@as_option
@click.option(
    "--force",
    is_flag=True,
    help="Close although marks or council decisions are missing (needs --reason).",
)
@click.option("--reason", default="", help="Why the year is closed with something missing.")
def year_close(year_label: str, login: str, force: bool, reason: str) -> None:
    """Close the school YEAR (2025/26): the cut-off of its journals and summary sheets,
    which then accept no new entry. Refused while marks or decisions of the pedagogical
    council are missing (they are listed), unless --force with --reason."""
    with system() as built:
        who = actor(built, login)
        undecided: list[str] = []
        try:
            undecided = _undecided(built, year_label)
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
        except errors.DecisionsMissing:
            undecided = _undecided(built, year_label)
            click.echo(
                f"Учебный год {year_label} не закрыт: нет решения педагогического совета "
                f"для обучающихся — {len(undecided)}:",
                err=True,
            )
            for line in undecided:
                click.echo(f"  {line}", err=True)
            click.echo(
                "Внесите решения (ejournal year decide) или закройте год с --force --reason ТЕКСТ.",
                err=True,
            )
            sys.exit(1)
        except (errors.DomainError, LookupError) as error:
            raise click.ClickException(str(error)) from None
        closed_on = built.journal.load(SchoolYear, receipt.id).closed_on
    lacking = [f"не выставлено отметок: {len(missing)}"] if missing else []
    if undecided:
        lacking.append(f"нет решения педагогического совета: {len(undecided)}")
    forced = f" принудительно, {', '.join(lacking)}" if lacking else ""
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
