"""``Student`` (pupil) and ``Guardian`` (parent or legal representative).

All of their details are personal data (152-FZ): each person's events are encrypted with
that person's own data key (series ``person/<id>``), so destroying it erases the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import errors
from domain.base import Aggregate, require_reason


@dataclass(frozen=True)
class FullName:
    """Surname, name and patronymic («ФИО»)."""

    surname: str
    name: str
    patronymic: str = ""

    def __post_init__(self) -> None:
        if not self.surname.strip() or not self.name.strip():
            raise errors.InvalidInput("Фамилия и имя обязательны.")

    @property
    def short(self) -> str:
        """«Иванов И. П.»"""
        initials = f"{self.name[0]}." + (f" {self.patronymic[0]}." if self.patronymic else "")
        return f"{self.surname} {initials}"

    @property
    def full(self) -> str:
        """«Иванов Иван Петрович»"""
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)


class Student(Aggregate):
    """A pupil («обучающийся»)."""

    class Registered(Aggregate.Created):
        surname: str
        name: str
        patronymic: str
        birth_date: date
        series: str
        actor: UUID

    @event(Registered)
    def __init__(
        self,
        id: UUID,
        surname: str,
        name: str,
        patronymic: str,
        birth_date: date,
        series: str,
        actor: UUID,
    ) -> None:
        self.surname, self.name, self.patronymic = surname, name, patronymic
        self.birth_date = birth_date
        self.series = series
        self.guardians: dict[UUID, str] = {}

    @property
    def full_name(self) -> FullName:
        """The pupil's name."""
        return FullName(self.surname, self.name, self.patronymic)

    def correct_details(
        self,
        surname: str,
        name: str,
        patronymic: str,
        birth_date: date,
        reason: str,
        actor: UUID,
        *,
        min_reason: int,
    ) -> None:
        """Correct the pupil's details (a mistake, a change of name) with a reason."""
        FullName(surname, name, patronymic)
        text = require_reason(reason, min_reason)
        self._details_corrected(
            surname=surname.strip(),
            name=name.strip(),
            patronymic=patronymic.strip(),
            birth_date=birth_date,
            reason=text,
            actor=actor,
        )

    def link_guardian(self, guardian_id: UUID, relation: str, actor: UUID) -> None:
        """Link a parent or legal representative."""
        if guardian_id in self.guardians:
            raise errors.AlreadyExists("Этот представитель уже привязан к обучающемуся.")
        self._guardian_linked(guardian_id=guardian_id, relation=relation.strip(), actor=actor)

    class DetailsCorrected(Aggregate.Event):
        surname: str
        name: str
        patronymic: str
        birth_date: date
        reason: str
        actor: UUID

    @event(DetailsCorrected)
    def _details_corrected(
        self, surname: str, name: str, patronymic: str, birth_date: date, reason: str, actor: UUID
    ) -> None:
        self.surname, self.name, self.patronymic = surname, name, patronymic
        self.birth_date = birth_date

    class GuardianLinked(Aggregate.Event):
        guardian_id: UUID
        relation: str
        actor: UUID

    @event(GuardianLinked)
    def _guardian_linked(self, guardian_id: UUID, relation: str, actor: UUID) -> None:
        self.guardians[guardian_id] = relation


class Guardian(Aggregate):
    """A parent or legal representative («законный представитель»)."""

    class Registered(Aggregate.Created):
        surname: str
        name: str
        patronymic: str
        phone: str
        email: str
        series: str
        actor: UUID

    @event(Registered)
    def __init__(
        self,
        id: UUID,
        surname: str,
        name: str,
        patronymic: str,
        phone: str,
        email: str,
        series: str,
        actor: UUID,
    ) -> None:
        self.surname, self.name, self.patronymic = surname, name, patronymic
        self.phone, self.email = phone, email
        self.series = series

    @property
    def full_name(self) -> FullName:
        """The guardian's name."""
        return FullName(self.surname, self.name, self.patronymic)
