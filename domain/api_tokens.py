"""API tokens: bearer tokens that let another system act as an account through the JSON API.

A person issues a token for their own account, an administrator for a service account
(never for another person: issue 14); the token is shown once and only its SHA-256
digest is stored (in the ``Issued`` event, itself encrypted under the account's person key).
The token's id is derived from that digest, so a presented token is found by hashing it —
no index, no stored secret. A token acts with its account's roles as they stand; it stops
working when it is revoked or its account is locked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.account import Account
from domain.auth_context import AuthenticatedBy
from domain.base import Aggregate
from domain.queries import AccountInfo, Queries
from domain.service import CommandGroup, Receipt

#: Every token starts with this, so a leaked one is easy to recognise (secret scanners).
PREFIX = "ejt_"
#: 32 random bytes, URL-safe base64 without padding.
SECRET_BYTES = 32
_SHAPE = re.compile(rf"{PREFIX}[A-Za-z0-9_-]{{43}}")
_NAME = re.compile(r"[^\x00-\x1f\x7f<>]{0,64}")


def digest_of(token: str) -> str:
    """The SHA-256 digest (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str) -> bool:
    """True when ``token`` has the shape of an issued token (checked before any lookup)."""
    return bool(_SHAPE.fullmatch(token))


class ApiToken(Aggregate):
    """A bearer token of an account (its id is derived from the token's digest)."""

    @staticmethod
    def create_id(digest: str, **_: object) -> UUID:
        return ids.api_token_id(digest)

    class Issued(Aggregate.Created):
        digest: str
        account_id: UUID
        name: str
        series: str
        actor: UUID

    @event(Issued)
    def __init__(self, digest: str, account_id: UUID, name: str, series: str, actor: UUID) -> None:
        self.digest = digest
        self.account_id = account_id
        self.name = name
        self.series = series
        self.revoked = False

    def revoke(self, reason: str, actor: UUID) -> None:
        """Revoke the token for good; ``TokenAlreadyRevoked`` when it already is."""
        if self.revoked:
            raise errors.TokenAlreadyRevoked()
        self._revoked(reason=reason.strip(), actor=actor)

    class Revoked(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Revoked)
    def _revoked(self, reason: str, actor: UUID) -> None:
        self.revoked = True


@dataclass(frozen=True)
class IssuedToken:
    """A new token: its id (for revoking), the token itself (shown once), and the
    notification id of the ``Issued`` event."""

    id: UUID
    token: str
    position: int


class Tokens(CommandGroup):
    """Issuing, revoking and checking API tokens."""

    def issue_api_token(self, account_id: UUID, name: str, actor: UUID) -> IssuedToken:
        """Issue a bearer token: a person for their own account, or an administrator for a
        service account — never for another person (``TokenForAnotherPerson``), so nobody
        acts in another's name. The token is returned once; only its digest is kept.
        ``name`` says which system holds it (up to 64 characters)."""
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if account.service:
            self.app.require_permission(actor, "admin.accounts")
        elif account_id == actor:
            self.app.actor(actor)  # a locked account issues nothing
        else:
            raise errors.TokenForAnotherPerson()
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise errors.InvalidInput(
                "Название токена: до 64 символов, без управляющих символов и разметки."
            )
        token = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        receipt = self.app.create(
            lambda: ApiToken(
                digest=digest_of(token),
                account_id=account_id,
                name=name,
                series=account.series,
                actor=actor,
            )
        )
        return IssuedToken(receipt.id, token, receipt.position)

    def revoke_api_token(self, token_id: UUID, reason: str, actor: UUID) -> Receipt:
        """Revoke a token (its owner, or an administrator): from now on it authenticates no
        one."""
        token = self.app.load(ApiToken, token_id, errors.ApiTokenNotFound, readonly=True)
        if token.account_id != actor:
            self.app.require_permission(actor, "admin.accounts")
        return self.app.change(
            ApiToken, token_id, lambda t: t.revoke(reason, actor), errors.ApiTokenNotFound
        )

    def authenticate_token(self, token: str) -> AccountInfo:
        """Return the account a bearer token acts for. ``InvalidToken`` when the token is
        malformed, unknown, revoked or destroyed; ``AccountLocked`` when its account is
        locked."""
        return self.identify_token(token)[0]

    def identify_token(self, token: str) -> tuple[AccountInfo, AuthenticatedBy]:
        """The account a bearer token acts for, and the token as the events it causes name
        it (its id and name: see ``domain.auth_context``); errors as ``authenticate_token``."""
        if not well_formed(token):
            raise errors.InvalidToken()
        digest = digest_of(token)
        try:
            found = self.app.load(
                ApiToken, ids.api_token_id(digest), errors.ApiTokenNotFound, readonly=True
            )
        except (errors.NotFound, errors.RecordDestroyed):
            raise errors.InvalidToken() from None
        if found.revoked or not hmac.compare_digest(found.digest, digest):
            raise errors.InvalidToken()
        account = Queries(self.app).account(found.account_id)
        if account.locked:
            raise errors.AccountLocked()
        return account, AuthenticatedBy("token", str(found.id), found.name)
