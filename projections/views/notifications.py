"""E-mail consents (ADR 0023): who receives what, at which address — the address sealed under
the account's person key like names; the consent's text version and how it was withdrawn.

The sender (``ejournal notify``) reads the consents in force from here; the profile page
shows the owner their own; the administrator's page counts them (never the addresses)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.notifications import MailConsent
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Sealer, View, by_event, on, when

CONSENTS = Table(
    "v_mail_consents",
    (
        ("account_id", "text"),
        ("consent_id", "text"),
        ("series", "text"),
        ("active", "int"),
        ("email", "blob"),
        ("events", "text"),
        ("digest", "int"),
        ("version", "text"),
        ("given_at", "text"),
        ("withdrawn_at", "text"),
        ("withdrawn_via", "text"),
    ),
    ("account_id",),
    (("active",), ("consent_id",)),
)


def _started(store: ViewStore, e: MailConsent.Started, _: Applied) -> None:
    store.upsert(
        CONSENTS,
        {
            "account_id": e.account_id,
            "consent_id": e.originator_id,
            "series": e.series,
            "active": 0,
            "email": None,
            "events": "",
            "digest": 0,
            "version": "",
            "given_at": None,
            "withdrawn_at": None,
            "withdrawn_via": None,
        },
    )


def _row(store: ViewStore, consent_id: object) -> Row | None:
    found = store.select(CONSENTS, {"consent_id": str(consent_id)})
    return found[0] if found else None


def _given(store: ViewStore, e: MailConsent.ConsentGiven, applied: Applied) -> None:
    row = _row(store, e.originator_id)
    if row is None:
        return
    account = str(row["account_id"])
    store.update(
        CONSENTS,
        (account,),
        {
            "active": 1,
            "email": applied.sealer.seal(str(row["series"]), e.email.encode(), account.encode()),
            "events": ",".join(e.events),
            "digest": int(e.digest),
            "version": e.version,
            "given_at": when(e),
            "withdrawn_at": None,
            "withdrawn_via": None,
        },
    )


def _withdrawn(store: ViewStore, e: MailConsent.ConsentWithdrawn, _: Applied) -> None:
    row = _row(store, e.originator_id)
    if row is not None:
        store.update(
            CONSENTS,
            (str(row["account_id"]),),
            {"active": 0, "withdrawn_at": when(e), "withdrawn_via": e.via},
        )


VIEW = View(
    name="notifications",
    title="Согласия на уведомления по электронной почте",
    tables=(CONSENTS,),
    handlers=by_event(
        on(MailConsent.Started, _started),
        on(MailConsent.ConsentGiven, _given),
        on(MailConsent.ConsentWithdrawn, _withdrawn),
    ),
)


@dataclass(frozen=True)
class Consent:
    """An account's consent: ``email`` opened (empty when never given or destroyed)."""

    account_id: str
    series: str
    active: bool
    email: str
    events: tuple[str, ...]
    digest: bool
    version: str
    given_at: str | None
    withdrawn_at: str | None
    withdrawn_via: str | None


def _consent(row: Row, sealer: Sealer) -> Consent:
    sealed = row["email"]
    opened = (
        sealer.open(bytes(sealed), str(row["account_id"]).encode()) if sealed is not None else None
    )
    return Consent(
        str(row["account_id"]),
        str(row["series"]),
        bool(row["active"]) and opened is not None,
        opened.decode() if opened is not None else "",
        tuple(e for e in str(row["events"]).split(",") if e),
        bool(row["digest"]),
        str(row["version"]),
        None if row["given_at"] is None else str(row["given_at"]),
        None if row["withdrawn_at"] is None else str(row["withdrawn_at"]),
        None if row["withdrawn_via"] is None else str(row["withdrawn_via"]),
    )


def consent(reader: Reader, sealer: Sealer, account_id: str) -> Consent | None:
    """One account's consent, or None when it never opted in."""
    row = reader.get(CONSENTS, (str(account_id),))
    return None if row is None else _consent(row, sealer)


def in_force(reader: Reader, sealer: Sealer) -> list[Consent]:
    """Every consent in force (address opened), by account id."""
    rows = reader.select(CONSENTS, {"active": 1})
    found = [_consent(r, sealer) for r in sorted(rows, key=lambda r: str(r["account_id"]))]
    return [c for c in found if c.active]


def counts(reader: Reader) -> tuple[int, int]:
    """Consents in force and withdrawn (for the administrator's page)."""
    rows = reader.select(CONSENTS)
    active = sum(1 for r in rows if r["active"])
    return active, sum(1 for r in rows if not r["active"] and r["withdrawn_at"] is not None)
