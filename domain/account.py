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


#: Roles of the school's staff: an account holding one is an employee's, kept while the
#: employment lasts (its identity is never due while the account is active).
STAFF_ROLES = frozenset(ROLES) - {"parent", "pupil"}


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
        #: A service account: another system, signs in only with API tokens (issue 14).
        self.service = False
        #: Set when an administrator set the password: changed at the next sign-in.
        self.must_change_password = False
        #: Privileged roles asked for and not yet confirmed: role → who asked.
        self.pending: dict[str, UUID] = {}

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

    def reset_password(self, password_hash: str, actor: UUID) -> None:
        """An administrator sets the password (``password_hash``: checked and hashed by
        ``Accounts``): recorded as a reset (not as the owner's own change), and the owner
        must change it at the next sign-in."""
        if self.service:
            raise errors.ServiceAccountNoPassword()
        self._password_reset(password_hash=password_hash, actor=actor)

    def designate_service(self, actor: UUID) -> None:
        """Make this (new) account a service account: no password sign-in."""
        self._service_designated(actor=actor)

    def request_grant(self, role: str, actor: UUID) -> None:
        """Ask for a privileged role; it takes effect when a second person confirms it (no
        event when the account holds it or it is already asked for)."""
        if check_role(role) not in self.roles and role not in self.pending:
            self._grant_requested(role=role, actor=actor)

    def confirm_grant(self, role: str, actor: UUID) -> None:
        """Confirm a pending grant: the role takes effect. The one who asked cannot."""
        requested_by = self.pending.get(role)
        if requested_by is None:
            raise errors.NoPendingGrant(role=role)
        if requested_by == actor:
            raise errors.GrantConfirmedBySameActor(role=role)
        self._grant_confirmed(role=role, requested_by=requested_by, actor=actor)

    def reject_grant(self, role: str, actor: UUID) -> None:
        """Reject a pending grant (the one who asked may withdraw it)."""
        if role not in self.pending:
            raise errors.NoPendingGrant(role=role)
        self._grant_rejected(role=role, actor=actor)

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
        if actor == self.id:
            self.must_change_password = False

    class PasswordReset(Aggregate.Event):
        """An administrator set the password (the owner changes it at the next sign-in)."""

        password_hash: str
        actor: UUID

    @event(PasswordReset)
    def _password_reset(self, password_hash: str, actor: UUID) -> None:
        self.password_hash = password_hash
        self.must_change_password = True

    class ServiceDesignated(Aggregate.Event):
        """The account is a service account (another system; API tokens only)."""

        actor: UUID

    @event(ServiceDesignated)
    def _service_designated(self, actor: UUID) -> None:
        self.service = True
        self.password_hash = ""

    class RoleGrantRequested(Aggregate.Event):
        """A privileged role was asked for; it takes effect only when confirmed."""

        role: str
        actor: UUID

    @event(RoleGrantRequested)
    def _grant_requested(self, role: str, actor: UUID) -> None:
        self.pending[role] = actor

    class RoleGrantConfirmed(Aggregate.Event):
        """A second person confirmed a privileged grant: the role takes effect."""

        role: str
        requested_by: UUID
        actor: UUID

    @event(RoleGrantConfirmed)
    def _grant_confirmed(self, role: str, requested_by: UUID, actor: UUID) -> None:
        self.pending.pop(role, None)
        self.roles.add(role)

    class RoleGrantRejected(Aggregate.Event):
        """A privileged grant was rejected (or withdrawn): the role is not granted."""

        role: str
        actor: UUID

    @event(RoleGrantRejected)
    def _grant_rejected(self, role: str, actor: UUID) -> None:
        self.pending.pop(role, None)

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
