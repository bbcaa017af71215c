"""API tokens as the administrator lists them: which account, issued and revoked when and
by whom. Never the token or its digest; the token's name is sealed under the account's key
(it may say who holds it)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.api_tokens import ApiToken
from projections.schema import Table
from projections.store import Reader, ViewStore
from projections.view import Applied, Sealer, View, by_event, on, when
from projections.views import catalog

TOKENS = Table(
    "v_api_tokens",
    (
        ("token_id", "text"),
        ("account_id", "text"),
        ("name", "blob"),
        ("issued_at", "text"),
        ("issued_by", "text"),
        ("revoked_at", "text"),
        ("revoked_by", "text"),
    ),
    ("token_id",),
    (("account_id",),),
)


def _issued(store: ViewStore, e: ApiToken.Issued, applied: Applied) -> None:
    context = str(e.originator_id).encode()
    store.upsert(
        TOKENS,
        {
            "token_id": e.originator_id,
            "account_id": e.account_id,
            "name": applied.sealer.seal(e.series, e.name.encode(), context),
            "issued_at": when(e),
            "issued_by": e.actor,
            "revoked_at": None,
            "revoked_by": None,
        },
    )


def _revoked(store: ViewStore, e: ApiToken.Revoked, _: Applied) -> None:
    store.update(TOKENS, (e.originator_id,), {"revoked_at": when(e), "revoked_by": e.actor})


VIEW = View(
    name="api_tokens",
    title="Токены доступа к API",
    tables=(TOKENS,),
    handlers=by_event(
        on(ApiToken.Issued, _issued),
        on(ApiToken.Revoked, _revoked),
    ),
)


@dataclass(frozen=True)
class TokenRow:
    """One token as listed: ``login`` and ``name`` opened (placeholder when destroyed)."""

    token_id: str
    account_id: str
    login: str
    name: str
    issued_at: str
    revoked_at: str | None


def tokens(reader: Reader, sealer: Sealer, account_id: str | None = None) -> list[TokenRow]:
    """Every token (or one account's), oldest first."""
    rows = reader.select(TOKENS, {"account_id": account_id} if account_id else None)
    found = []
    for row in sorted(rows, key=lambda r: (str(r["issued_at"]), str(r["token_id"]))):
        person = catalog.person_fields(reader, sealer, row["account_id"]) or {}
        name = sealer.open(bytes(row["name"]), str(row["token_id"]).encode())
        found.append(
            TokenRow(
                str(row["token_id"]),
                str(row["account_id"]),
                person.get("login", catalog.DESTROYED),
                catalog.DESTROYED if name is None else name.decode(),
                str(row["issued_at"]),
                None if row["revoked_at"] is None else str(row["revoked_at"]),
            )
        )
    return found
