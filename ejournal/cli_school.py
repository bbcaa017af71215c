"""``ejournal school profile``: the school's details printed on the archive's volumes and
on acts — full and short name, address, the head's name and position, OGRN and INN."""

from __future__ import annotations

import click

from domain.school_profile import LABELS
from ejournal.cli_support import actor, as_option, refused, system


@click.group()
def school() -> None:
    """The school as its documents name it."""


@school.group("profile", invoke_without_command=True)
@click.pass_context
def profile(ctx: click.Context) -> None:
    """Show the school's profile (`profile set` changes it)."""
    if ctx.invoked_subcommand is not None:
        return
    with system() as built:
        found = built.views.reads.school.profile(built.settings.school)
    if not found.entered:
        click.echo("сведения о школе не внесены: ejournal school profile set …")
        return
    for key, value in found.to_dict().items():
        click.echo(f"{LABELS[key]}: {value or '—'}")


@profile.command("set")
@click.option("--full-name", required=True, help="Full name as in the charter (устав).")
@click.option("--short-name", required=True, help="Short name.")
@click.option("--address", required=True, help="Address (legal address of the school).")
@click.option("--head-name", required=True, help="Full name of the head of school.")
@click.option("--head-position", default="Директор", show_default=True, help="Their position.")
@click.option("--ogrn", default="", help="OGRN, 13 digits (checked); optional.")
@click.option("--inn", default="", help="INN of the organisation, 10 digits (checked); optional.")
@as_option
def set_profile(
    full_name: str,
    short_name: str,
    address: str,
    head_name: str,
    head_position: str,
    ogrn: str,
    inn: str,
    login: str,
) -> None:
    """Record the school's details (the administrator): every change is an event, and
    the volumes and acts made afterwards print them."""
    values = {
        "full_name": full_name,
        "short_name": short_name,
        "address": address,
        "head_name": head_name,
        "head_position": head_position,
        "ogrn": ogrn,
        "inn": inn,
    }
    with system() as built, refused():
        built.journal.profile.set_profile(built.settings.school, values, actor(built, login))
        built.views.catch_up()
    click.echo("сведения о школе сохранены")
