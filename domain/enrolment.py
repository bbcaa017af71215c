"""Enrolment in one transaction: a whole class list, or a guardian registered and linked.

A class list (from a CSV file) either goes in whole — every pupil registered, enrolled and
linked to the guardians given — or not at all: every row is checked first, every problem is
reported with its line, and the new records are saved together by one ``save``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from domain import errors, ids
from domain.admin import ADMIN
from domain.base import Aggregate
from domain.groups import ClassGroup
from domain.people import FullName, Guardian, Student
from domain.school_year import SchoolYear
from domain.service import JournalBase, Receipt


@dataclass(frozen=True)
class GuardianDetails:
    """A parent or legal representative as a form or a class list gives them."""

    surname: str
    name: str
    patronymic: str = ""
    phone: str = ""
    email: str = ""
    relation: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        """The same person, however the case was typed: one guardian for siblings."""
        names = (self.surname, self.name, self.patronymic)
        return (*(v.strip().casefold() for v in names), self.phone.strip())


@dataclass(frozen=True)
class PupilRow:
    """One pupil of a class list; ``line`` is where the row stands in the file."""

    line: int
    surname: str
    name: str
    patronymic: str
    birth_date: date
    guardian: GuardianDetails | None = None

    @property
    def key(self) -> tuple[str, str, str, date]:
        """The same pupil, however the case was typed (duplicates are refused)."""
        parts = (self.surname, self.name, self.patronymic)
        a, b, c = (p.strip().casefold() for p in parts)
        return a, b, c, self.birth_date


class EnrolmentCommands(JournalBase):
    """Commands that create several records at once, atomically."""

    def import_class_list(
        self, class_id: UUID, rows: Sequence[PupilRow], on: date, actor: UUID
    ) -> Receipt:
        """Register every pupil of ``rows``, enrol them in the class from ``on`` and link
        the guardians given — in one transaction. Raises ``ClassListRejected`` naming every
        bad row (empty name, birth date not before ``on``, a repeated row, a pupil already
        in the class); then nothing is saved. The receipt lists the new pupils' ids."""
        self.require_role(actor, ADMIN)
        if not rows:
            raise errors.InvalidInput("В списке нет ни одного обучающегося.")
        created: list[UUID] = []

        def command() -> list[Aggregate]:
            group = self.load(ClassGroup, class_id)
            self.load(SchoolYear, group.year_id, readonly=True).check_open()
            problems = row_problems(rows, on) + self._already_in(group, rows)
            if problems:
                raise errors.ClassListRejected(problems)
            guardians: dict[tuple[str, ...], Guardian] = {}
            pupils = []
            for row in rows:
                pupil = _student(row, actor)
                group.enrol(pupil.id, on, actor)
                if row.guardian is not None:
                    found = guardians.get(row.guardian.key)
                    if found is None:
                        found = guardians[row.guardian.key] = _guardian(row.guardian, actor)
                    pupil.link_guardian(found.id, row.guardian.relation, actor)
                pupils.append(pupil)
            created[:] = [p.id for p in pupils]
            return [*guardians.values(), *pupils, group]

        receipt = self.run(command, class_id)
        return Receipt(class_id, receipt.position, tuple(created))

    def register_guardian_for(
        self, student_id: UUID, guardian: GuardianDetails, actor: UUID
    ) -> Receipt:
        """Register a parent or legal representative and link them to a pupil, in one
        transaction (no unlinked guardian is left behind when the link is refused)."""
        self.require_role(actor, ADMIN)
        holder: list[UUID] = []

        def command() -> list[Aggregate]:
            pupil = self.load(Student, student_id, errors.StudentNotFound)
            found = _guardian(guardian, actor)
            pupil.link_guardian(found.id, guardian.relation, actor)
            holder[:] = [found.id]
            return [found, pupil]

        receipt = self.run(command, student_id)
        return Receipt(holder[0], receipt.position)

    def _already_in(self, group: ClassGroup, rows: Sequence[PupilRow]) -> list[tuple[int, str]]:
        """Rows naming a pupil who already belongs to the class (a list imported twice)."""
        current = {s for s, periods in group.members.items() if periods[-1][1] is None}
        known = set()
        for student_id in current:
            pupil = self.load(Student, student_id, errors.StudentNotFound, readonly=True)
            row = PupilRow(0, pupil.surname, pupil.name, pupil.patronymic, pupil.birth_date)
            known.add(row.key)
        return [
            (row.line, "Такой обучающийся уже зачислен в этот класс.")
            for row in rows
            if row.key in known
        ]


def row_problems(rows: Sequence[PupilRow], on: date) -> list[tuple[int, str]]:
    """(line, message) for what is wrong with each row of a class list by itself (empty
    names, a birth date not before the enrolment date ``on``) and for rows that repeat an
    earlier one. The import checks it; pages call it to report every problem at once."""
    problems = []
    first: dict[tuple[str, str, str, date], int] = {}
    for row in rows:
        if not row.surname.strip() or not row.name.strip():
            problems.append((row.line, "Обучающийся: фамилия и имя обязательны."))
        guardian = row.guardian
        if guardian is not None and (not guardian.surname.strip() or not guardian.name.strip()):
            problems.append((row.line, "Представитель: фамилия и имя обязательны."))
        if row.birth_date >= on:
            problems.append((row.line, "Дата рождения должна быть раньше даты зачисления."))
        if row.key in first:
            problems.append((row.line, f"Повторяет строку {first[row.key]}."))
        else:
            first[row.key] = row.line
    return problems


def _student(row: PupilRow, actor: UUID) -> Student:
    full = FullName(row.surname.strip(), row.name.strip(), row.patronymic.strip())
    student_id = uuid4()
    return Student(
        id=student_id,
        surname=full.surname,
        name=full.name,
        patronymic=full.patronymic,
        birth_date=row.birth_date,
        series=ids.person_series(student_id),
        actor=actor,
    )


def _guardian(details: GuardianDetails, actor: UUID) -> Guardian:
    full = FullName(details.surname.strip(), details.name.strip(), details.patronymic.strip())
    guardian_id = uuid4()
    return Guardian(
        id=guardian_id,
        surname=full.surname,
        name=full.name,
        patronymic=full.patronymic,
        phone=details.phone.strip(),
        email=details.email.strip(),
        series=ids.person_series(guardian_id),
        actor=actor,
    )
