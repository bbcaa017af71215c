"""Queries of the application service. They return frozen dataclasses, never aggregates.

(Views for pages are projections — see ``projections/``; these queries serve commands'
callers, the CLI and tests with the current state of one record.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import clock, errors, ids, passwords
from domain.account import Account
from domain.base import Redacted
from domain.groups import ActivityGroup, ClassGroup
from domain.lesson import Lesson
from domain.people import Guardian, Student
from domain.service import CommandGroup

_META = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor",
    "reason",
    "authenticated_by",
}


@dataclass(frozen=True)
class MarkInfo:
    """A mark of a lesson, current or not."""

    mark_id: UUID
    student_id: UUID
    value: str
    kind: str
    author: UUID
    recorded_at: datetime
    current: bool
    cancelled: bool
    supersedes: UUID | None
    reason: str


@dataclass(frozen=True)
class LessonInfo:
    """A lesson with its marks, attendance and pending correction requests."""

    id: UUID
    course_journal_id: UUID
    day: date
    period: int
    kind: str
    topic: str
    homework: str
    version: int
    marks: tuple[MarkInfo, ...]
    attendance: dict[UUID, str] = field(hash=False)
    pending_requests: tuple[UUID, ...]


@dataclass(frozen=True)
class PersonInfo:
    """A pupil or guardian (personal data: only for authorised use)."""

    id: UUID
    surname: str
    name: str
    patronymic: str
    birth_date: date | None
    guardians: tuple[UUID, ...] = ()

    @property
    def full_name(self) -> str:
        """«Фамилия Имя Отчество»"""
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)


@dataclass(frozen=True)
class AccountInfo:
    """An account as the login and the UI see it."""

    id: UUID
    login: str
    display_name: str
    roles: frozenset[str]
    person_id: UUID | None
    locked: bool
    #: A service account (another system: API tokens only, no password sign-in).
    service: bool = False
    #: An administrator set the password: the owner must change it before anything else.
    must_change_password: bool = False
    #: Privileged roles asked for and awaiting a second person's confirmation.
    pending_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a record's history."""

    version: int
    time: datetime | None
    actor: UUID | None
    type: str
    reason: str
    values: dict[str, Any] = field(hash=False)
    redacted: bool = False


@dataclass(frozen=True)
class GroupInfo:
    """A class or extracurricular group and its members on a date."""

    id: UUID
    kind: str  # "class" | "activity"
    name: str
    year_id: UUID
    members: frozenset[UUID]


class Queries(CommandGroup):
    """Read the current state (or any earlier version) of single records."""

    def lesson(self, lesson_id: UUID, version: int | None = None) -> LessonInfo:
        """Return a lesson as it stands, or as it stood at ``version``."""
        try:
            lesson: object = self.app.repository.get(lesson_id, version=version)
        except AggregateNotFoundError:
            raise errors.LessonNotFound(lesson_id=str(lesson_id)) from None
        if not isinstance(lesson, Lesson):
            raise errors.LessonNotFound(lesson_id=str(lesson_id))
        marks = tuple(
            MarkInfo(
                m.mark_id,
                m.student_id,
                m.value,
                m.kind,
                m.author,
                m.recorded_at,
                m.current,
                m.cancelled,
                m.supersedes,
                m.reason,
            )
            for m in lesson.marks.values()
        )
        pending = tuple(r.request_id for r in lesson.requests.values() if r.state == "pending")
        return LessonInfo(
            lesson.id,
            lesson.course_journal_id,
            lesson.day,
            lesson.period,
            lesson.kind,
            lesson.topic,
            lesson.homework,
            lesson.version,
            marks,
            dict(lesson.attendance),
            pending,
        )

    def student(self, student_id: UUID) -> PersonInfo:
        """Return a pupil's details (decrypted: personal data)."""
        s = self.app.load(Student, student_id, errors.StudentNotFound, readonly=True)
        return PersonInfo(s.id, s.surname, s.name, s.patronymic, s.birth_date, tuple(s.guardians))

    def group(self, group_id: UUID, on: date) -> GroupInfo:
        """Return a class or extracurricular group with its members on ``on``."""
        if not self.app.exists(group_id):
            raise errors.RecordNotFound(record_id=str(group_id))
        group: object = self.app.repository.get(group_id)
        if isinstance(group, ClassGroup):
            kind = "class"
        elif isinstance(group, ActivityGroup):
            kind = "activity"
        else:
            raise errors.RecordNotFound(record_id=str(group_id))
        return GroupInfo(group.id, kind, group.name, group.year_id, frozenset(group.members_on(on)))

    def guardian(self, guardian_id: UUID) -> PersonInfo:
        """Return a guardian's details (decrypted: personal data)."""
        g = self.app.load(Guardian, guardian_id, readonly=True)
        return PersonInfo(g.id, g.surname, g.name, g.patronymic, None)

    def account(self, account_id: UUID) -> AccountInfo:
        """Return an account."""
        a = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        name = " ".join(p for p in (a.surname, a.name, a.patronymic) if p)
        return AccountInfo(
            a.id,
            a.login,
            name,
            frozenset(a.roles),
            a.person_id,
            a.is_locked(clock.now()),
            service=a.service,
            must_change_password=a.must_change_password,
            pending_roles=frozenset(a.pending),
        )

    def account_by_login(self, login: str) -> AccountInfo:
        """Return the account with ``login`` or raise ``AccountNotFound``."""
        return self.account(ids.account_id(login))

    def authenticate(self, login: str, password: str) -> AccountInfo:
        """Return the account when the password matches; ``WrongPassword`` otherwise (also
        for an unknown login, so the answer does not tell which logins exist);
        ``AccountLocked`` for a locked account whether or not the password matches."""
        try:
            account = self.app.load(
                Account, ids.account_id(login), errors.AccountNotFound, readonly=True
            )
        except errors.AccountNotFound:
            passwords.hash_password("x" * passwords.MIN_LENGTH)  # same time either way
            raise errors.WrongPassword() from None
        # The lock is decided first, whatever the password: a locked account never tells
        # whether a guess was right. The hash is checked either way, so both take as long.
        matches = passwords.verify_password(password, account.password_hash)
        if account.is_locked(clock.now()):
            raise errors.AccountLocked()
        if account.service or not matches:  # a service account never signs in
            raise errors.WrongPassword()
        if passwords.needs_rehash(account.password_hash):  # an older cost: store it anew
            old, fresh = account.password_hash, passwords.hash_password(password)
            self.app.change(
                Account, account.id, lambda a: a.rehash_password(old, fresh), errors.AccountNotFound
            )
        return self.account(account.id)

    def history(self, record_id: UUID) -> list[HistoryEntry]:
        """Every event of a record, in order, with time, actor, type, reason and values.
        Events whose key was destroyed appear as redacted entries."""
        entries = []
        for e in self.app.events.get(record_id):
            if isinstance(e, Redacted):
                entries.append(
                    HistoryEntry(
                        e.originator_version,
                        None,
                        None,
                        e.original_topic.rsplit(".", 1)[-1],
                        "",
                        {"certificate_id": e.certificate_id},
                        redacted=True,
                    )
                )
                continue
            state = dict(vars(e))
            values = {k: v for k, v in state.items() if k not in _META}
            entries.append(
                HistoryEntry(
                    e.originator_version,
                    state.get("timestamp"),
                    state.get("actor"),
                    type(e).__name__,
                    str(state.get("reason") or ""),
                    values,
                )
            )
        if not entries:
            raise errors.RecordNotFound(record_id=str(record_id))
        return entries
