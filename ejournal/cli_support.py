"""Helpers shared by the command groups that act as a person (year, retention, pd)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID

import click

from domain import clock
from domain.errors import DomainError
from ejournal.bootstrap import System

#: ``--as LOGIN``: who acts. The CLI is an operator tool on the server; the login names
#: the account whose roles are checked and who is recorded as the actor.
as_option = click.option(
    "--as",
    "login",
    required=True,
    envvar="EJOURNAL_AS",
    help="Login of the account that acts (or EJOURNAL_AS).",
)


def system() -> System:
    """Build the system or stop with one clear message (see ``ejournal.cli``)."""
    from ejournal.cli import _system

    return _system()


def actor(built: System, login: str) -> UUID:
    """The account id of ``login``; exit 1 when there is none."""
    try:
        return built.journal.queries.account_by_login(login).id
    except DomainError:
        raise click.ClickException(f"нет учётной записи «{login}»") from None


@contextmanager
def refused() -> Iterator[None]:
    """Turn a rule's refusal into one message and exit code 1."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(error.text) from None
    except LookupError as error:
        raise click.ClickException(str(error.args[0] if error.args else error)) from None


def parse_date(value: str | None, hint: str = "--as-of") -> date | None:
    """An ISO date, or None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("not a date (2031-07-01)", param_hint=hint) from None


def parse_id(value: str, hint: str = "ID") -> UUID:
    """A record id."""
    try:
        return UUID(value)
    except ValueError:
        raise click.BadParameter("not an id (UUID)", param_hint=hint) from None


def ru_date(value: Any) -> str:
    """01.07.2031 (or a dash)."""
    return value.strftime("%d.%m.%Y") if value else "—"


def ru_moment(value: Any) -> str:
    """A moment (or its ISO text) as people read it: «05.12.2026 04:20», in the school's
    time zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return str(value)
    local = value.astimezone(clock.SCHOOL_TZ) if value.tzinfo else value
    return f"{local:%d.%m.%Y %H:%M}"
