"""Accounts as the administrator sees them: login and name (opened from the sealed catalogue
row), roles, and whether the account is locked now — for good, or until a moment (five failed
logins lock it for 15 minutes), which ``v_account_locks`` keeps without personal data.

``v_account_credentials`` counts each account's **credentials generation**: every event that
must end the account's web sessions (a password changed or reset by an administrator, a role
granted, confirmed or revoked, a lock) adds one, and a server-side session lives only while
the generation it was opened at is still the account's (``projections.sessions``; ADR 0012).
An account with no row is at generation 0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.account import Account
from domain.base import SYSTEM_ACTOR
from projections.schema import Table
from projections.store import Reader, ViewStore
from projections.view import Applied, Sealer, View, by_event, on
from projections.views import catalog

LOCKS = Table(
    "v_account_locks",
    (("account_id", "text"), ("until", "text"), ("automatic", "int")),
    ("account_id",),
)


def _locked(store: ViewStore, e: Account.Locked, _: Applied) -> None:
    store.upsert(
        LOCKS,
        {
            "account_id": e.originator_id,
            "until": e.until,
            "automatic": int(e.actor == SYSTEM_ACTOR),
        },
    )


#: Service accounts (another system: API tokens only) and privileged grants awaiting a
#: second person's confirmation (issue 14): ids and role codes only, no personal data.
SERVICES = Table("v_service_accounts", (("account_id", "text"),), ("account_id",))
PENDING = Table(
    "v_role_grants_pending",
    (("account_id", "text"), ("role", "text"), ("requested_by", "text"), ("requested_at", "text")),
    ("account_id", "role"),
)


def _requested(store: ViewStore, e: Account.RoleGrantRequested, _: Applied) -> None:
    store.upsert(
        PENDING,
        {
            "account_id": e.originator_id,
            "role": e.role,
            "requested_by": e.actor,
            "requested_at": e.timestamp.isoformat(),
        },
    )


def _decided(
    store: ViewStore, e: Account.RoleGrantConfirmed | Account.RoleGrantRejected, _: Applied
) -> None:
    store.delete(PENDING, (str(e.originator_id), e.role))


CREDENTIALS = Table(
    "v_account_credentials",
    (("account_id", "text"), ("generation", "int")),
    ("account_id",),
)


def _next_generation(store: ViewStore, e: Any, _: Applied) -> None:
    row = store.get(CREDENTIALS, (e.originator_id,))
    generation = int(row["generation"]) + 1 if row else 1
    store.upsert(CREDENTIALS, {"account_id": e.originator_id, "generation": generation})


def _confirmed(store: ViewStore, e: Account.RoleGrantConfirmed, applied: Applied) -> None:
    _decided(store, e, applied)
    _next_generation(store, e, applied)


def _locked_now(store: ViewStore, e: Account.Locked, applied: Applied) -> None:
    _locked(store, e, applied)
    _next_generation(store, e, applied)


VIEW = View(
    name="accounts",
    title="Учётные записи: блокировки, служебные, роли на подтверждении, поколения",
    tables=(LOCKS, SERVICES, PENDING, CREDENTIALS),
    handlers=by_event(
        on(Account.Locked, _locked_now),
        on(Account.Unlocked, lambda s, e, _: s.delete(LOCKS, (e.originator_id,))),
        on(
            Account.ServiceDesignated,
            lambda s, e, _: s.upsert(SERVICES, {"account_id": e.originator_id}),
        ),
        on(Account.RoleGrantRequested, _requested),
        on(Account.RoleGrantRejected, _decided),
        on(Account.PasswordChanged, _next_generation),
        on(Account.RoleGranted, _next_generation),
        on(Account.RoleRevoked, _next_generation),
        # An administrator's reset and a confirmed privileged role end the sessions too.
        on(Account.PasswordReset, _next_generation),
        on(Account.RoleGrantConfirmed, _confirmed),
    ),
)


def generation(reader: Reader, account_id: str) -> int:
    """The account's credentials generation (0 before any change)."""
    row = reader.get(CREDENTIALS, (account_id,))
    return int(row["generation"]) if row else 0


@dataclass(frozen=True)
class AccountItem:
    """An account as the administrator's pages show it (personal data: staff pages only)."""

    account_id: str
    login: str
    name: str
    roles: tuple[str, ...]
    person_id: str | None
    locked: bool
    locked_until: datetime | None  # None while locked: locked until unlocked
    automatic: bool  # locked by the system after failed logins
    service: bool = False  # a service account (API tokens only, no password)
    #: Privileged roles awaiting confirmation: (role, id of the account that asked).
    pending: tuple[tuple[str, str], ...] = ()


def _item(reader: Reader, sealer: Sealer, row: dict[str, Any], now: datetime) -> AccountItem:
    fields = catalog.person_fields(reader, sealer, row["account_id"]) or {}
    name = " ".join(fields.get(k, "") for k in ("surname", "name", "patronymic")).split()
    lock = reader.get(LOCKS, (row["account_id"],))
    until = datetime.fromisoformat(lock["until"]) if lock and lock["until"] else None
    locked = lock is not None and (until is None or now < until)
    return AccountItem(
        str(row["account_id"]),
        fields.get("login", ""),
        " ".join(name) or catalog.DESTROYED,
        tuple(r for r in str(row["roles"]).split(",") if r),
        str(row["person_id"]) if row["person_id"] else None,
        locked,
        until if locked else None,
        bool(lock and lock["automatic"]) and locked,
        reader.get(SERVICES, (row["account_id"],)) is not None,
        tuple(
            (str(p["role"]), str(p["requested_by"]))
            for p in reader.select(PENDING, {"account_id": str(row["account_id"])})
        ),
    )


def accounts(reader: Reader, sealer: Sealer, now: datetime) -> list[AccountItem]:
    """Every account, by login."""
    items = [_item(reader, sealer, row, now) for row in reader.select(catalog.ACCOUNTS)]
    return sorted(items, key=lambda a: a.login)


def account(reader: Reader, sealer: Sealer, account_id: str, now: datetime) -> AccountItem | None:
    """One account, or None."""
    row = reader.get(catalog.ACCOUNTS, (account_id,))
    return None if row is None else _item(reader, sealer, row, now)


def with_role(reader: Reader, roles: set[str]) -> list[str]:
    """Ids of the accounts holding one of ``roles`` (teachers for a course journal)."""
    return [
        str(row["account_id"])
        for row in reader.select(catalog.ACCOUNTS)
        if roles & set(str(row["roles"]).split(","))
    ]


def of_person(reader: Reader, person_id: str) -> list[str]:
    """Ids of the accounts that belong to a pupil or a guardian."""
    return [
        str(row["account_id"])
        for row in reader.select(catalog.ACCOUNTS)
        if row["person_id"] == person_id
    ]


def pending(reader: Reader, sealer: Sealer, now: datetime) -> list[AccountItem]:
    """The accounts with privileged roles awaiting confirmation, by login."""
    ids = sorted({str(row["account_id"]) for row in reader.select(PENDING)})
    found = [account(reader, sealer, i, now) for i in ids]
    return sorted((a for a in found if a is not None), key=lambda a: a.login)


def service_ids(reader: Reader) -> set[str]:
    """Ids of the service accounts."""
    return {str(row["account_id"]) for row in reader.select(SERVICES)}
