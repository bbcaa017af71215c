"""``ejournal school add | list | disable | enable | move`` and ``ejournal region account``:
the registry of a regional deployment (ADR 0027, docs/operations.md «Много школ»)."""

from __future__ import annotations

import getpass
import os

import click

from ejournal.exitcodes import Exit, Refused
from ejournal.region import ROLES, RegionError, Registry, school_settings
from ejournal.settings import SettingsError


def _registry() -> Registry:
    from ejournal.cli import _base_settings

    try:
        return Registry(_base_settings())
    except RegionError as error:
        raise Refused(Exit.SETTINGS, str(error)) from None


def _refused(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


def add(code: str, name: str, cluster: str) -> None:
    """Register school CODE and open it: its schema, key-encryption key and ledger signing
    key are made; it serves at /s/CODE/ (then `ejournal --school CODE demo` or accounts)."""
    from ejournal.cli import _system

    registry = _registry()
    try:
        school = registry.add_school(code, name, cluster)
        settings = school_settings(registry.settings, school, os.environ)
    except (RegionError, SettingsError) as error:
        raise _refused(error) from None
    try:
        with _system(settings, create=True):
            pass
    except BaseException:
        registry.withdraw(school.code, school.created_at)  # nothing half-written
        raise
    click.echo(f"school {school.code} added: schema {school.schema} on cluster {school.cluster}")


def listing() -> None:
    """List the schools: code, status, cluster, schema, name (and why a disabled one is)."""
    for school in _registry().schools():
        state = "active  " if school.active else "DISABLED"
        why = f"  [{school.reason}]" if school.reason and not school.active else ""
        click.echo(
            f"{school.code:<20} {state} {school.cluster:<10} {school.schema:<30} {school.name}{why}"
        )


def set_status(code: str, status: str, reason: str = "") -> None:
    """Enable or disable a school, keeping the reason (shown by `school list` and on the
    regional administrator's page)."""
    reason = " ".join(reason.split())
    if len(reason) > 300 or not reason.isprintable():
        raise click.ClickException("--reason: at most 300 printable characters")
    try:
        school = _registry().set_status(code, status, reason, "cli")
    except RegionError as error:
        raise _refused(error) from None
    word = "enabled" if school.active else "disabled: it refuses every page and command"
    click.echo(f"school {code} {word}")


def register(school: click.Group) -> None:
    """Add the registry's commands to ``ejournal school``."""

    @school.command("add")
    @click.argument("code")
    @click.option("--name", required=True, help="The school's name (shown in the lists).")
    @click.option(
        "--cluster",
        default="main",
        show_default=True,
        help="The PostgreSQL cluster it lives on (`main` or a name of EJOURNAL_CLUSTERS).",
    )
    def add_command(code: str, name: str, cluster: str) -> None:
        """Register school CODE in the regional deployment and open it (ADR 0027)."""
        add(code, name, cluster)

    @school.command("list")
    def list_command() -> None:
        """List the schools of the regional deployment."""
        listing()

    @school.command("disable")
    @click.argument("code")
    @click.option("--reason", default="", help="Why (kept in the registry, shown in lists).")
    def disable_command(code: str, reason: str) -> None:
        """Disable school CODE: its pages answer 503 and its commands are refused, but for
        backup, restore, ledger, views and info."""
        set_status(code, "disabled", reason)

    @school.command("enable")
    @click.argument("code")
    @click.option("--reason", default="", help="Why (kept in the registry).")
    def enable_command(code: str, reason: str) -> None:
        """Enable school CODE again."""
        set_status(code, "active", reason)

    @school.command("move")
    @click.argument("code")
    @click.option("--cluster", required=True, help="`main` or a name of EJOURNAL_CLUSTERS.")
    def move_command(code: str, cluster: str) -> None:
        """Point disabled school CODE at another cluster; then restore its backup there
        (`ejournal --school CODE restore --from DIR`), verify, and enable it."""
        registry = _registry()
        try:
            school = registry.move(code, cluster, os.environ)
        except (RegionError, SettingsError) as error:
            raise _refused(error) from None
        click.echo(
            f"school {code} now on cluster {school.cluster} (schema {school.schema}); restore "
            f"its backup: ejournal --school {code} restore --from DIR"
        )


@click.group()
def region() -> None:
    """Regional accounts of a regional deployment (ADR 0027)."""


@region.group("account")
def account() -> None:
    """Regional administrators and auditors."""


@account.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Read the password from this file (otherwise asked twice at the terminal).",
)
def account_add(login: str, role: str, password_file: str | None) -> None:
    """Create a regional account: `regional_admin` adds and disables schools at /region/;
    `regional_auditor` reads, verifies and downloads each school's ledger checkpoints."""
    if password_file:
        with open(password_file, encoding="utf-8") as handle:
            password = handle.read().strip()
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise click.ClickException("the passwords differ")
    try:
        made = _registry().add_account(login, role, password)
    except RegionError as error:
        raise _refused(error) from None
    click.echo(f"regional account {made.login} ({ROLES[made.role]}) added")


@account.command("list")
def account_list() -> None:
    """List the regional accounts."""
    for found in _registry().accounts():
        click.echo(f"{found.login:<24} {found.role:<18} {'active' if found.active else 'locked'}")
