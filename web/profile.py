"""«Мой профиль»: one's own account — roles, roles awaiting confirmation, and one's own API
tokens (issued and revoked only by their owner: nobody acts in another's name, issue 14) —
and the request hooks that say how the acting person was authenticated (``domain.auth_context``)
and lead a person whose password an administrator set to ``auth.change_password`` first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from domain import auth_context, clock
from domain.account import ROLES
from domain.api_tokens import IssuedToken
from domain.auth_context import AuthenticatedBy
from domain.service import Receipt
from projections.views.api_tokens import TokenRow
from web import forms
from web.access import permission
from web.admin import forms as admin_forms
from web.errors import API_PREFIX
from web.pages import actor, attempt, services

bp = Blueprint("profile", __name__, url_prefix="/profile")

#: The session key of this sign-in's public reference (not a credential: it names the
#: sign-in in the events it causes, so the history tells a page from a token).
SIGN_IN_REF = "sign_in_ref"
#: Pages a person who must change their password may still open.
_OPEN_WHILE_FORCED = frozenset({"auth.change_password", "auth.logout", "auth.login", "static"})


def authenticated(by: AuthenticatedBy) -> None:
    """Name how the current request's person was authenticated, for the events its
    commands cause (undone when the request ends)."""
    if "auth_context" not in g:
        g.auth_context = auth_context.begin(by)


def register(app: Flask) -> None:
    """The blueprint and the request hooks."""
    app.register_blueprint(bp)

    @app.before_request
    def password_change_first() -> ResponseReturnValue | None:
        """After an administrator set the password, every page leads to the change page."""
        if request.path.startswith(API_PREFIX) or request.endpoint in _OPEN_WHILE_FORCED:
            return None
        if request.endpoint and request.endpoint.startswith("i18n."):
            return None
        if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
            return redirect(url_for("auth.change_password"))
        return None

    @app.teardown_request
    def forget_authentication(_error: BaseException | None) -> None:
        token = g.pop("auth_context", None)
        if token is not None:
            auth_context.end(token)


def _own_tokens() -> list[TokenRow]:
    return services().reads.accounts.tokens(str(actor()))


def _page(
    problems: dict[str, str] | None = None, status: int = 200, **shown: Any
) -> tuple[str, int]:
    account = services().journal.queries.account(actor())
    return render_template(
        "profile/index.html",
        account=account,
        roles=ROLES,
        tokens=_own_tokens(),
        problems=problems or {},
        form=request.form,
        **shown,
    ), status


@bp.get("/")
@permission("account.self")
def index() -> ResponseReturnValue:
    """«Мой профиль»: login, name, roles, roles awaiting confirmation, own API tokens."""
    return _page()


@bp.post("/tokens")
@permission("account.self")
def issue_token() -> ResponseReturnValue:
    """Issue a token for oneself; the answer shows it once."""
    issued: list[IssuedToken] = []

    def command() -> Receipt:
        data = forms.parse(admin_forms.OwnTokenForm(), request.form)
        issued.append(services().journal.tokens.issue_api_token(actor(), data["name"], actor()))
        return Receipt(issued[0].id, issued[0].position)

    def shown(_receipt: Receipt) -> ResponseReturnValue:
        body, status = _page(issued_token=issued[0].token)
        return body, status, {"Cache-Control": "no-store"}

    return attempt(command, _page, None, url_for("profile.index"), shown=shown)


@bp.post("/tokens/<uuid:token_id>/revoke")
@permission("account.self")
def revoke_token(token_id: UUID) -> ResponseReturnValue:
    """Revoke one of one's own tokens."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.LockForm(), request.form)
        receipt: Receipt = services().journal.tokens.revoke_api_token(
            token_id, data["reason"], actor()
        )
        return receipt

    return attempt(command, _page, _("Токен отозван."), url_for("profile.index"))


@bp.get("/grants")
@permission("accounts.confirm")
def grants() -> ResponseReturnValue:
    """Privileged roles awaiting a second person's confirmation."""
    return _grants_page()


def _grants_page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    reads = services().reads
    items = reads.accounts.pending(clock.now())
    return render_template(
        "profile/grants.html",
        accounts=items,
        roles=ROLES,
        names=reads.people.name,
        problems=problems or {},
        form=request.form,
    ), status


@bp.post("/grants/<uuid:account_id>")
@permission("accounts.confirm")
def decide_grant(account_id: UUID) -> ResponseReturnValue:
    """Confirm or reject a pending grant (``role``, ``action`` = confirm | reject)."""
    journal = services().journal
    if services().reads.accounts.account(str(account_id), clock.now()) is None:
        abort(404)

    def command() -> Receipt:
        data = forms.parse(admin_forms.GrantDecisionForm(), request.form)
        decide = (
            journal.accounts.confirm_role_grant
            if data["action"] == "confirm"
            else journal.accounts.reject_role_grant
        )
        receipt: Receipt = decide(account_id, data["role"], actor())
        return receipt

    done = _("Решение о назначении роли записано.")
    back = request.form.get("back", "")
    to = (
        url_for("admin.account", account_id=account_id)
        if back == "account"
        else url_for("profile.grants")
    )
    return attempt(command, _grants_page, done, to)
