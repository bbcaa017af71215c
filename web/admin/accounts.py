"""Accounts: the list, creating one (roles, an initial password, a link to the pupil or
guardian for family accounts), granting and revoking roles, locking and unlocking, and
setting a new password. A password is never shown back, logged or kept in a form."""

from __future__ import annotations

from uuid import UUID

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import clock
from domain.account import ROLES
from domain.service import Receipt
from web import forms
from web.access import permission
from web.admin import forms as admin_forms
from web.admin.base import bp, found, is_uuid, page
from web.pages import Again, actor, attempt, services, viewed


def _family(person_id: str) -> tuple[str, str] | None:
    """(kind, name) of the pupil or guardian a new account is for; None if not one."""
    reads = services().reads
    kind = reads.people.kind_of(person_id) if person_id else None
    if kind not in ("student", "guardian"):
        return None
    return kind, reads.people.names([person_id])[person_id]


@bp.get("/accounts")
@permission("admin.accounts")
def accounts() -> ResponseReturnValue:
    """Every account: login, name, roles, locked or not; and the form for a new one."""
    return _accounts_page()


def _accounts_page(
    problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    items = reads.accounts.accounts(clock.now())
    viewed(request.path, [a.person_id for a in items if a.person_id and "pupil" in a.roles])
    person_id = request.values.get("person", request.form.get("person_id", ""))
    return page(
        "admin/accounts.html",
        problems,
        status,
        accounts=items,
        roles=ROLES,
        person_id=person_id,
        family=_family(person_id) if is_uuid(person_id) else None,
        service_roles=[r for r in ROLES if r in services().policies.access.duties.service_roles],
    )


@bp.post("/accounts")
@permission("admin.accounts")
def create_account() -> ResponseReturnValue:
    """Create an account with its roles and an initial password."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.AccountForm(), request.form)
        roles = [r for r in ROLES if request.form.get(f"role-{r}") == "on"]
        if not roles:
            raise forms.FormInvalid({"roles": _("Отметьте хотя бы одну роль.")})
        person = data["person_id"]
        if person and not is_uuid(person):
            raise forms.FormInvalid({"person_id": _("Неверный идентификатор.")})
        receipt: Receipt = services().journal.accounts.create_account(
            data["login"],
            data["surname"],
            data["name"],
            data["patronymic"],
            roles,
            data["password"],
            actor(),
            person_id=UUID(person) if person else None,
        )
        return receipt

    return attempt(
        command,
        _accounts_page,
        _("Учётная запись создана. Сообщите пароль владельцу лично."),
        lambda receipt: url_for("admin.account", account_id=receipt.id),
    )


@bp.post("/accounts/services")
@permission("admin.accounts")
def create_service_account() -> ResponseReturnValue:
    """Create a service account (another system: API tokens only, no password)."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.ServiceAccountForm(), request.form)
        roles = [r for r in ROLES if request.form.get(f"role-{r}") == "on"]
        receipt: Receipt = services().journal.accounts.create_service_account(
            data["login"], data["title"], roles, actor()
        )
        return receipt

    return attempt(
        command,
        _accounts_page,
        _("Служебная учётная запись создана. Выдайте ей токен на странице «Токены API»."),
        lambda receipt: url_for("admin.account", account_id=receipt.id),
    )


@bp.get("/accounts/<uuid:account_id>")
@permission("admin.accounts")
def account(account_id: UUID) -> ResponseReturnValue:
    """One account: its roles, lock and password."""
    return _account_page(account_id)


def _account_page(
    account_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    item = found(reads.accounts.account(str(account_id), clock.now()))
    if item.person_id and "pupil" in item.roles:
        viewed(request.path, [item.person_id])
    person = reads.people.names([item.person_id])[item.person_id] if item.person_id else ""
    return page(
        "admin/account.html",
        problems,
        status,
        account=item,
        roles=ROLES,
        person=person,
        person_kind=reads.people.kind_of(item.person_id) if item.person_id else None,
        own=str(account_id) == str(actor()),
    )


def _again(account_id: UUID) -> Again:
    return lambda problems, status: _account_page(account_id, problems, status)


def _exists(account_id: UUID) -> None:
    reads = services().reads
    found(reads.accounts.account(str(account_id), clock.now()))


@bp.post("/accounts/<uuid:account_id>/roles")
@permission("admin.accounts")
def change_role(account_id: UUID) -> ResponseReturnValue:
    """Grant or revoke one role."""
    _exists(account_id)
    journal = services().journal

    def command() -> Receipt:
        data = forms.parse(admin_forms.RoleForm(), request.form)
        change = (
            journal.accounts.grant_role
            if data["action"] == "grant"
            else journal.accounts.revoke_role
        )
        receipt: Receipt = change(account_id, data["role"], actor())
        return receipt

    to = url_for("admin.account", account_id=account_id)
    return attempt(command, _again(account_id), _("Роли изменены."), to)


@bp.post("/accounts/<uuid:account_id>/lock")
@permission("admin.accounts")
def lock(account_id: UUID) -> ResponseReturnValue:
    """Lock an account until it is unlocked; its sessions end at their next request."""
    _exists(account_id)

    def command() -> Receipt:
        data = forms.parse(admin_forms.LockForm(), request.form)
        receipt: Receipt = services().journal.accounts.lock_account(
            account_id, data["reason"], actor()
        )
        return receipt

    to = url_for("admin.account", account_id=account_id)
    return attempt(command, _again(account_id), _("Учётная запись заблокирована."), to)


@bp.post("/accounts/<uuid:account_id>/unlock")
@permission("admin.accounts")
def unlock(account_id: UUID) -> ResponseReturnValue:
    """Unlock an account (also one locked after failed logins)."""
    _exists(account_id)
    to = url_for("admin.account", account_id=account_id)
    return attempt(
        lambda: services().journal.accounts.unlock_account(account_id, actor()),
        _again(account_id),
        _("Учётная запись разблокирована."),
        to,
    )


@bp.post("/accounts/<uuid:account_id>/password")
@permission("admin.accounts")
def reset_password(account_id: UUID) -> ResponseReturnValue:
    """Set a new password chosen by the administrator (the old one stops working)."""
    _exists(account_id)

    def command() -> Receipt:
        data = forms.parse(admin_forms.PasswordForm(), request.form)
        receipt: Receipt = services().journal.accounts.change_password(
            account_id, data["password"], actor()
        )
        return receipt

    to = url_for("admin.account", account_id=account_id)
    return attempt(
        command, _again(account_id), _("Пароль изменён. Сообщите его владельцу лично."), to
    )
