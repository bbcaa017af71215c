"""Enrolment in one transaction: a whole class list, or a guardian registered and linked.

A class list (from a CSV file) either goes in whole — every pupil registered, enrolled and
linked to the guardians given — or not at all: every row is checked first, every problem is
reported with its line, and the new records are saved together by one ``save``.

The rows and their checks live here; the commands are ``journal.classes.import_class_list``
and ``journal.people.register_guardian_for`` (``domain/admin.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from domain import ids
from domain.people import FullName, Guardian, Student


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


def student_from(row: PupilRow, actor: UUID) -> Student:
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


def guardian_from(details: GuardianDetails, actor: UUID) -> Guardian:
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
