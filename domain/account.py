"""``Account``: a login with roles. Staff names and logins are personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids, passwords
from domain.base import SYSTEM_ACTOR, Aggregate

ROLES: dict[str, str] = {
    "teacher": "учитель",
    "class_teacher": "классный руководитель",
    "deputy": "заместитель директора",
    "head": "директор",
    "admin": "администратор",
    "auditor": "аудитор",
    "archivist": "архивист",
    "parent": "родитель (законный представитель)",
    "pupil": "обучающийся",
}


def check_role(role: str) -> str:
    """Return ``role`` or raise ``InvalidInput`` for an unknown role."""
    if role not in ROLES:
        raise errors.InvalidInput(f"Неизвестная роль «{role}».", role=role)
    return role


class Account(Aggregate):
    """A user account; its id is derived from the login (see ``ids.account_id``)."""

    @staticmethod
    def create_id(login: str, **_: object) -> UUID:
        return ids.account_id(login)

    class Created(Aggregate.Created):
        login: str
        surname: str
        name: str
        patronymic: str
        roles: list[str]
        password_hash: str
        person_id: UUID | None
        series: str
        actor: UUID

    @event(Created)
    def __init__(
        self,
        login: str,
        surname: str,
        name: str,
        patronymic: str,
        roles: list[str],
        password_hash: str,
        person_id: UUID | None,
        series: str,
        actor: UUID,
    ) -> None:
        self.login = login
        self.surname, self.name, self.patronymic = surname, name, patronymic
        self.roles = set(roles)
        self.password_hash = password_hash
        self.person_id = person_id
        self.series = series
        self.locked_until: datetime | None = None
        self.locked = False
        self.failures: list[datetime] = []

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        """True when the account holds at least one of ``roles``."""
        return bool(self.roles & set(roles))

    def change_password(self, password_hash: str, actor: UUID) -> None:
        """Replace the password (``password_hash``: checked and hashed by ``Accounts``)."""
        self._password_changed(password_hash=password_hash, actor=actor)

    def rehash_password(self, old_hash: str, password_hash: str) -> None:
        """Store the same password hashed at the current cost (at sign-in: the account's
        own act, not a change of password — no session ends for it). Nothing happens when
        the hash is no longer ``old_hash`` (the password changed in between)."""
        if self.password_hash == old_hash:
            self._password_rehashed(password_hash=password_hash, actor=self.id)

    def check_new_password(self, password: str, strength: passwords.StrengthCheck | None) -> None:
        """Raise ``WeakPassword`` when ``password`` does not suit this account."""
        names = (self.surname, self.name, self.patronymic)
        passwords.check_password(password, self.login, names, strength)

    def grant(self, role: str, actor: UUID) -> None:
        """Grant a role (no event when the account already holds it)."""
        if check_role(role) not in self.roles:
            self._role_granted(role=role, actor=actor)

    def revoke(self, role: str, actor: UUID) -> None:
        """Revoke a role (no event when the account does not hold it)."""
        if check_role(role) in self.roles:
            self._role_revoked(role=role, actor=actor)

    def lock(self, reason: str, until: datetime | None, actor: UUID) -> None:
        """Lock the account, for good (``until`` None) or until a moment."""
        self._locked(reason=reason.strip(), until=until, actor=actor)

    def unlock(self, actor: UUID) -> None:
        """Unlock the account."""
        if self.locked:
            self._unlocked(actor=actor)

    def record_login_failure(self, now: datetime, limit: int, window: timedelta) -> bool:
        """Record a failed login; the ``limit``-th failure within ``window`` locks the
        account for ``window``. Returns True when this failure locked it."""
        self._login_failed(actor=SYSTEM_ACTOR)
        recent = [t for t in self.failures if now - t < window]
        if len(recent) >= limit and not self.is_locked(now):
            self.lock(f"{limit} неудачных попыток входа", now + window, SYSTEM_ACTOR)
            return True
        return False

    def is_locked(self, now: datetime) -> bool:
        """True when locked for good, or until a moment after ``now``."""
        return self.locked and (self.locked_until is None or now < self.locked_until)

    class PasswordChanged(Aggregate.Event):
        password_hash: str
        actor: UUID

    @event(PasswordChanged)
    def _password_changed(self, password_hash: str, actor: UUID) -> None:
        self.password_hash = password_hash

    class PasswordRehashed(Aggregate.Event):
        """The same password stored at a new cost (the old hash's parameters were older)."""

        password_hash: str
        actor: UUID

    @event(PasswordRehashed)
    def _password_rehashed(self, password_hash: str, actor: UUID) -> None:
        self.password_hash = password_hash

    class RoleGranted(Aggregate.Event):
        role: str
        actor: UUID

    @event(RoleGranted)
    def _role_granted(self, role: str, actor: UUID) -> None:
        self.roles.add(role)

    class RoleRevoked(Aggregate.Event):
        role: str
        actor: UUID

    @event(RoleRevoked)
    def _role_revoked(self, role: str, actor: UUID) -> None:
        self.roles.discard(role)

    class Locked(Aggregate.Event):
        reason: str
        until: datetime | None
        actor: UUID

    @event(Locked)
    def _locked(self, reason: str, until: datetime | None, actor: UUID) -> None:
        self.locked = True
        self.locked_until = until

    class Unlocked(Aggregate.Event):
        actor: UUID

    @event(Unlocked)
    def _unlocked(self, actor: UUID) -> None:
        self.locked = False
        self.locked_until = None
        self.failures.clear()

    class LoginFailed(Aggregate.Event):
        actor: UUID

    @event(LoginFailed)
    def _login_failed(self, actor: UUID) -> None:
        self.failures = [*self.failures[-9:], self.event_time]
