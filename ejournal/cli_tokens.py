"""``ejournal api-token``: bearer tokens of the JSON API. A person's token is issued by that
person, with their password; a service account's by an administrator — the operator at the
server's shell acts as one unless ``--as`` (or ``EJOURNAL_AS``) names an administrator's
login, who is then recorded as the actor. Revoking: an administrator, or the token's owner."""

from __future__ import annotations

import json
from uuid import UUID

import click

from domain.base import SYSTEM_ACTOR
from domain.errors import DomainError
from ejournal.bootstrap import System
from ejournal.cli_support import actor, parse_id, refused, ru_moment, system

as_admin = click.option(
    "--as",
    "login",
    envvar="EJOURNAL_AS",
    help="Login of the administrator who acts (or EJOURNAL_AS; default: the operator).",
)


def _acting(built: System, login: str | None) -> UUID:
    return actor(built, login) if login else SYSTEM_ACTOR


@click.group("api-token")
def api_token() -> None:
    """Bearer tokens for other systems using the JSON API (/api/v1)."""


@api_token.command("issue")
@click.argument("account_login", metavar="LOGIN")
@click.option("--name", default="", help="Which system holds the token (up to 64 characters).")
@as_admin
def issue(account_login: str, name: str, login: str | None) -> None:
    """Issue a token for the account LOGIN and print it once: only its SHA-256 digest is
    stored, so it cannot be shown again. The token acts with the account's roles.

    A person's token is issued only by that person: the command asks for LOGIN's password
    (or reads it from standard input). An administrator (--as, or the operator) issues
    tokens only for service accounts; for anyone else it is refused."""
    with system() as built, refused():
        account = built.journal.queries.account_by_login(account_login)
        if account.service or (login and login.strip().lower() != account.login):
            acting = _acting(built, login)  # for a person: refused (TokenForAnotherPerson)
        else:
            password = click.prompt(f"password of {account.login}", hide_input=True, err=True)
            try:
                built.journal.queries.authenticate(account.login, password)
            except DomainError:
                built.journal.accounts.record_failed_login(account.login)
                raise
            acting = account.id
        issued = built.journal.tokens.issue_api_token(account.id, name, acting)
    click.echo(f"token id {issued.id} for {account.login}; keep it secret, it is shown once:")
    click.echo(issued.token)


@api_token.command("revoke")
@click.argument("token_id")
@click.option("--reason", default="", help="Why (kept in the token's history).")
@as_admin
def revoke(token_id: str, reason: str, login: str | None) -> None:
    """Revoke the token TOKEN_ID (from `api-token list`): it stops working at once."""
    uid = parse_id(token_id, "TOKEN_ID")
    with system() as built, refused():
        built.journal.tokens.revoke_api_token(uid, reason, _acting(built, login))
    click.echo(f"token {uid} revoked")


@api_token.command("list")
@click.argument("account_login", metavar="[LOGIN]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_tokens(account_login: str | None, as_json: bool) -> None:
    """List tokens (all, or LOGIN's): id, account, name, issued, revoked. Never the token."""
    with system() as built, refused():
        account = built.journal.queries.account_by_login(account_login) if account_login else None
        built.views.catch_up()
        owner = str(account.id) if account else None
        rows = built.views.reads.accounts.tokens(owner)
    if as_json:
        click.echo(json.dumps([vars(r) for r in rows], ensure_ascii=False, indent=1))
        return
    for r in rows:
        state = f"revoked {ru_moment(r.revoked_at)}" if r.revoked_at else "active"
        click.echo(f"{r.token_id}  {r.login:<12} {ru_moment(r.issued_at)}  {state:<24} {r.name}")
