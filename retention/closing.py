"""Closing the school year: which marks and council decisions are missing, then the close
itself (the cut-off).

The deputy head or head closes the year once every pupil has a term mark for each term
(pupils in the class on the term's last day), a year mark in each subject and a decision of
the pedagogical council (pupils in the class on the last day of the year); ``force`` with a
reason closes it anyway, and the close records how many marks and decisions were missing.
The same service serves the CLI, the web UI and the annual archive
(``ejournal archive close-year``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain import ids
from domain.journal import Journal
from domain.service import Receipt
from projections.service import Views
from projections.store import Reader
from projections.views import catalog, final_marks


@dataclass(frozen=True)
class MissingMark:
    """A term mark (``term`` set) or year mark (``term`` None) not given."""

    group: str
    subject: str
    student_id: str
    term: int | None

    def describe(self, name: str = "") -> str:
        """«5А, Математика, 2 четверть: Смирнов А.» (``name`` decrypted by the caller)."""
        period = f"{self.term} период" if self.term is not None else "годовая"
        return f"{self.group}, {self.subject}, {period}: {name or self.student_id}"


def find_year(reader: Reader, year: str) -> str:
    """The id of the school year labelled ``year`` («2025/26» or «2025-26»)."""
    label = year.strip().replace("-", "/", 1)
    for row in reader.select(catalog.YEARS):
        if row["year"] == label:
            return str(row["year_id"])
    raise LookupError(f"учебный год {label} не найден")


def missing_marks(reader: Reader, year_id: str) -> list[MissingMark]:
    """Every term and year mark still missing in the classes of a year."""
    year = reader.get(catalog.YEARS, (year_id,))
    if year is None:
        raise LookupError(f"учебный год {year_id} не найден")
    terms = reader.select(catalog.TERMS, {"year_id": year_id})
    last_day = max((t["ends"] for t in terms), default=year["ends"])
    missing: list[MissingMark] = []
    for group in reader.select(catalog.GROUPS, {"year_id": year_id, "kind": "class"}):
        members = catalog.Membership(reader, group["group_id"])
        given_year = set(final_marks.year_marks(reader, group["group_id"]))  # (pupil, course)
        for course in reader.select(catalog.COURSES, {"group_id": group["group_id"]}):
            course_id, subject = course["course_journal_id"], course["subject"]
            for term in terms:
                given = final_marks.term_marks(reader, course_id, int(term["number"]))
                for student in sorted(members.periods):
                    if members.on(student, term["ends"]) and student not in given:
                        missing.append(
                            MissingMark(group["name"], subject, student, int(term["number"]))
                        )
            for student in sorted(members.periods):
                if members.on(student, last_day) and (student, course_id) not in given_year:
                    missing.append(MissingMark(group["name"], subject, student, None))
    return sorted(missing, key=lambda m: (m.group, m.subject, m.term or 99, m.student_id))


@dataclass(frozen=True)
class Undecided:
    """A pupil of a class without a decision of the pedagogical council."""

    group: str
    student_id: str

    def describe(self, name: str = "") -> str:
        """«5А: Смирнов А.» (``name`` decrypted by the caller)."""
        return f"{self.group}: {name or self.student_id}"


def undecided_pupils(reader: Reader, year_id: str) -> list[Undecided]:
    """Pupils in a class of the year on its last day without a council decision."""
    year = reader.get(catalog.YEARS, (year_id,))
    if year is None:
        raise LookupError(f"учебный год {year_id} не найден")
    terms = reader.select(catalog.TERMS, {"year_id": year_id})
    last_day = max((t["ends"] for t in terms), default=year["ends"])
    found = []
    for group in reader.select(catalog.GROUPS, {"year_id": year_id, "kind": "class"}):
        members = catalog.Membership(reader, group["group_id"])
        decided = final_marks.decisions(reader, group["group_id"])
        found += [
            Undecided(group["name"], student)
            for student in sorted(members.periods)
            if members.on(student, last_day) and student not in decided
        ]
    return sorted(found, key=lambda u: (u.group, u.student_id))


def close_year(
    journal: Journal,
    views: Views,
    year: str,
    actor: UUID,
    *,
    force: bool = False,
    reason: str = "",
) -> tuple[Receipt, list[MissingMark]]:
    """Close the school year labelled ``year``: refused (``YearIncomplete``, listing them)
    while marks are missing, or (``DecisionsMissing``, naming the pupils) while pupils have no
    decision of the pedagogical council, unless ``force`` with a reason. Returns the receipt
    and the marks that were missing."""
    views.catch_up()
    with views.reader() as reader:
        year_id = find_year(reader, year)
        missing = missing_marks(reader, year_id)
        undecided = [u.describe() for u in undecided_pupils(reader, year_id)]
    described = [m.describe() for m in missing]
    receipt = journal.retention.close_school_year(
        UUID(year_id), actor, missing=described, undecided=undecided, force=force, reason=reason
    )
    return receipt, missing


def reopen_year(
    journal: Journal, views: Views, year: str, reason: str, order_no: str, actor: UUID
) -> Receipt:
    """Re-open the school year labelled ``year`` under a reason and an order number."""
    views.catch_up()
    with views.reader() as reader:
        year_id = find_year(reader, year)
    return journal.retention.reopen_school_year(UUID(year_id), reason, order_no, actor)


def year_series(year: str) -> str:
    """The series of the year's own records, e.g. for a hold on the year."""
    return ids.year_series(year.replace("-", "/", 1))


def find_class(reader: Reader, year_id: str, name: str) -> str:
    """The id of the class named ``name`` («5А») in the school year ``year_id``."""
    wanted = name.strip().upper()
    for row in reader.select(catalog.GROUPS, {"year_id": year_id, "kind": "class"}):
        if str(row["name"]).upper() == wanted:
            return str(row["group_id"])
    raise LookupError(f"класс {name.strip()} не найден")


def record_decisions(
    journal: Journal,
    views: Views,
    year: str,
    group: str,
    pupils: Sequence[UUID],
    decision: str,
    protocol_no: str,
    protocol_date: date,
    actor: UUID,
    *,
    reason: str = "",
) -> list[UUID]:
    """Record the council's ``decision`` on ``pupils`` of class ``group`` (all still
    undecided when ``pupils`` is empty); returns the pupils it was recorded for."""
    views.catch_up()
    with views.reader() as reader:
        group_id = find_class(reader, find_year(reader, year), group)
        if not pupils:
            year_id = find_year(reader, year)
            pupils = [
                UUID(u.student_id)
                for u in undecided_pupils(reader, year_id)
                if u.group.upper() == group.strip().upper()
            ]
    if pupils:
        journal.grades.record_decisions(
            UUID(group_id),
            [(pupil, decision) for pupil in pupils],
            protocol_no,
            protocol_date,
            actor,
            reason,
        )
    return list(pupils)
