"""API tokens for other systems (``/api/v1``): the list — service accounts' tokens apart from
the tokens people issued for themselves on «Мой профиль» —, issuing one for a service account
(never for a person: ``TokenForAnotherPerson``) — the token is shown once, on the answer to
the form, and never again (only its digest is stored) — and revoking any with a reason."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import errors
from domain.api_tokens import IssuedToken
from domain.service import Receipt
from web import forms
from web.access import permission
from web.admin import forms as admin_forms
from web.admin.base import bp, page
from web.pages import actor, attempt, services


def _tokens_page(
    problems: dict[str, str] | None = None, status: int = 200, **shown: Any
) -> tuple[str, int]:
    reads = services().reads
    items = reads.accounts.tokens()
    service = reads.accounts.service_ids()
    return page(
        "admin/tokens.html",
        problems,
        status,
        tokens=[t for t in items if t.account_id in service],
        personal=[t for t in items if t.account_id not in service],
        **shown,
    )


@bp.get("/tokens")
@permission("admin.accounts")
def tokens() -> ResponseReturnValue:
    """Every token: account, name, issued, revoked; the forms to issue and revoke."""
    return _tokens_page()


@bp.post("/tokens")
@permission("admin.accounts")
def issue_token() -> ResponseReturnValue:
    """Issue a token; the answer shows it once (not a redirect: it is in no cookie or URL)."""
    journal = services().journal
    data: dict[str, Any] = {}
    tokens: list[IssuedToken] = []

    def command() -> Receipt:
        data.update(forms.parse(admin_forms.TokenForm(), request.form))
        account = journal.queries.account_by_login(data["login"])
        tokens.append(journal.tokens.issue_api_token(account.id, data["name"], actor()))
        return Receipt(tokens[0].id, tokens[0].position)

    def unknown(_error: errors.AccountNotFound) -> ResponseReturnValue:
        return _tokens_page({"login": _("Нет учётной записи с таким логином.")}, 422)

    def shown(_receipt: Receipt) -> ResponseReturnValue:
        body, status = _tokens_page(issued_token=tokens[0].token, issued_for=data["login"])
        return body, status, {"Cache-Control": "no-store"}

    return attempt(
        command,
        _tokens_page,
        None,
        url_for("admin.tokens"),
        refusals={errors.AccountNotFound: unknown},
        shown=shown,
    )


@bp.post("/tokens/<uuid:token_id>/revoke")
@permission("admin.accounts")
def revoke_token(token_id: UUID) -> ResponseReturnValue:
    """Revoke a token with a reason: from the next request on it authenticates no one."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.LockForm(), request.form)
        receipt: Receipt = services().journal.tokens.revoke_api_token(
            token_id, data["reason"], actor()
        )
        return receipt

    return attempt(command, _tokens_page, _("Токен отозван."), url_for("admin.tokens"))
