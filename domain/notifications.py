"""E-mail notifications of parents and pupils: consent and its withdrawal (issue 18, ADR 0023).

A parent (a pupil too, from the age the school's policy sets) opts in on their own profile
page: an immediate message for the events they choose and/or a daily digest. Opting in is
the consent to processing the e-mail address for this purpose (152-FZ, art. 9): recorded as
``MailConsent.ConsentGiven`` with the text the person agreed to and its version (a hash of
the text). Opting out — the switch on the page or the signed link in every message — is
``ConsentWithdrawn``, with how. The address is personal data: it lives only in these events
(encrypted under the account's person key, like names) and, sealed the same way, in the view
``v_mail_consents``; destroying the account's series destroys it.

What is due and what was sent is no record of the journal: it is kept in operational tables
beside the views (``projections.mail``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, time
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import clock, errors, ids
from domain.account import Account
from domain.base import Aggregate
from domain.people import Student
from domain.service import CommandGroup, Receipt

#: The events a person may ask an immediate message for, with their Russian names.
EVENTS: dict[str, str] = {
    "low_mark": "отметка «2»",
    "absence": "пропуск без уважительной причины",
    "correction": "исправление или отмена отметки",
    "final_mark": "новая четвертная или годовая отметка",
}
#: How a consent is withdrawn.
VIA = {"page": "переключатель в профиле", "link": "ссылка в письме"}
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class MailNotAllowed(errors.Forbidden):
    """Raised when the account may not receive e-mail from the journal (a role other than
    a parent's or pupil's, or a pupil younger than the policy allows)."""

    message = "Уведомления по электронной почте доступны родителям и обучающимся с {age} лет."


class ConsentForAnotherPerson(errors.Forbidden):
    """Raised when someone opts another person in or out: only the person does."""

    message = "Согласие даёт и отзывает только сам человек."


class InvalidEmail(errors.InvalidInput):
    """Raised for an address that is not an e-mail address."""

    message = "Адрес электронной почты указан неверно (пример: ivanova@example.ru)."


class NothingChosen(errors.InvalidInput):
    """Raised when neither an event nor the daily digest is chosen."""

    message = "Выберите хотя бы одно событие или ежедневную сводку."


class NotSubscribed(errors.Conflict):
    """Raised when withdrawing a consent that is not given."""

    message = "Уведомления по электронной почте не включены."


@dataclass(frozen=True)
class NotificationPolicy:
    """``policies/notifications.toml``: what the school offers and when."""

    #: The daily digest is sent at this school-local time.
    digest_at: time = time(18, 0)
    #: A pupil may opt in from this age (a parent always may).
    pupil_min_age: int = 14
    #: The events offered for immediate messages (codes of ``EVENTS``).
    events: tuple[str, ...] = tuple(EVENTS)
    #: The consent text (152-FZ) a person agrees to when opting in.
    consent_text: str = (
        "Я даю согласие школе на обработку адреса моей электронной почты для отправки "
        "уведомлений из электронного дневника. Согласие действует до его отзыва; отозвать "
        "его можно в профиле или по ссылке в любом письме."
    )
    #: Minutes to wait before each retry after a temporary failure; after the last, failed.
    retry_minutes: tuple[int, ...] = (1, 5, 30, 120, 480)

    @property
    def consent_version(self) -> str:
        """The version of the consent text: the first 16 hex digits of its SHA-256."""
        return hashlib.sha256(self.consent_text.encode("utf-8")).hexdigest()[:16]


DEFAULT_POLICY = NotificationPolicy()


def consent_id(account_id: UUID) -> UUID:
    """The id of an account's e-mail consent record."""
    return uuid5(ids.NAMESPACE, f"mail-consent/{account_id}")


def check_email(value: str) -> str:
    """The address, trimmed, with its domain in lower case; ``InvalidEmail`` otherwise."""
    address = value.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise InvalidEmail()
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class MailConsent(Aggregate):
    """One account's consent to e-mail notifications, given and withdrawn over time."""

    @staticmethod
    def create_id(account_id: UUID, **_: object) -> UUID:
        return consent_id(account_id)

    class Started(Aggregate.Created):
        account_id: UUID
        series: str
        actor: UUID

    @event(Started)
    def __init__(self, account_id: UUID, series: str, actor: UUID) -> None:
        self.account_id = account_id
        self.series = series
        self.active = False
        self.email = ""
        self.events: tuple[str, ...] = ()
        self.digest = False

    def give(
        self, email: str, events: list[str], digest: bool, text: str, version: str, actor: UUID
    ) -> None:
        """Opt in (again, or with other choices): the address, the events, the digest and
        the consent text agreed to."""
        self._given(
            email=email, events=list(events), digest=digest, text=text, version=version, actor=actor
        )

    class ConsentGiven(Aggregate.Event):
        email: str
        events: list[str]
        digest: bool
        text: str
        version: str
        actor: UUID

    @event(ConsentGiven)
    def _given(
        self, email: str, events: list[str], digest: bool, text: str, version: str, actor: UUID
    ) -> None:
        self.active, self.email, self.events, self.digest = True, email, tuple(events), digest

    def withdraw(self, via: str, actor: UUID) -> None:
        """Opt out (``via``: the page or the link in a message); ``NotSubscribed`` when
        the consent is not in force."""
        if not self.active:
            raise NotSubscribed()
        self._withdrawn(via=via, actor=actor)

    class ConsentWithdrawn(Aggregate.Event):
        via: str
        actor: UUID

    @event(ConsentWithdrawn)
    def _withdrawn(self, via: str, actor: UUID) -> None:
        self.active = False


class Notifications(CommandGroup):
    """Opting in to and out of e-mail notifications."""

    def policy(self) -> NotificationPolicy:
        """The school's notification policy (the defaults when the file is absent)."""
        found = self.app.policies.extra.get("notifications.toml")
        return found if isinstance(found, NotificationPolicy) else DEFAULT_POLICY

    def check_allowed(self, account_id: UUID) -> Account:
        """The account, when it may receive e-mail: a parent, or a pupil old enough."""
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        age = self.policy().pupil_min_age
        if "parent" in account.roles:
            return account
        if "pupil" in account.roles and account.person_id is not None:
            pupil = self.app.load(Student, account.person_id, errors.StudentNotFound, readonly=True)
            if age_on(pupil.birth_date, clock.today()) >= age:
                return account
        raise MailNotAllowed(MailNotAllowed.message.format(age=age))

    def allowed(self, account_id: UUID) -> bool:
        """True when the account may opt in (the page offers the form)."""
        try:
            self.check_allowed(account_id)
        except (MailNotAllowed, errors.NotFound):
            return False
        return True

    def subscribe(
        self, account_id: UUID, email: str, events: list[str], digest: bool, actor: UUID
    ) -> Receipt:
        """Opt in: record the consent with the policy's text and version. Only the person
        does it, for their own account."""
        if actor != account_id:
            raise ConsentForAnotherPerson()
        self.app.actor(actor)  # a locked account gives no consent
        account = self.check_allowed(account_id)
        policy = self.policy()
        address = check_email(email)
        chosen = [e for e in policy.events if e in set(events)]
        if set(events) - set(chosen):
            raise errors.InvalidInput("Неизвестное событие для уведомления.")
        if not chosen and not digest:
            raise NothingChosen()
        text, version = policy.consent_text, policy.consent_version
        record_id = consent_id(account_id)

        def command() -> list[Aggregate]:
            if self.app.exists(record_id):
                consent = self.app.load(MailConsent, record_id)
            else:
                consent = MailConsent(account_id=account_id, series=account.series, actor=actor)
            consent.give(address, chosen, digest, text, version, actor)
            return [consent]

        return self.app.run(command, record_id)

    def unsubscribe(self, account_id: UUID, via: str, actor: UUID) -> Receipt:
        """Opt out. On the page the person acts; by the link in a message the link's
        signature stood for them (``via="link"``, no sign-in: the actor is the account)."""
        if actor != account_id:
            raise ConsentForAnotherPerson()
        if via not in VIA:
            raise errors.InvalidInput("Неизвестный способ отзыва согласия.")
        record_id = consent_id(account_id)
        if not self.app.exists(record_id):
            raise NotSubscribed()
        return self.app.change(MailConsent, record_id, lambda c: c.withdraw(via, actor))
