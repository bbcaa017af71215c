"""What a user owns, for permissions whose scope is "own" (``policies/access.toml``).

A teacher owns the course journals they teach, the groups of those journals and the pupils
of those groups, and a lesson they hold as a substitute; a class teacher owns their class,
every course journal of it and its pupils; a parent owns their children; a pupil owns
themselves; everyone owns their own account. Read from the catalogue view; no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable

from projections.store import Reader
from projections.views import catalog
from projections.views import grid as grid_view
from projections.views import timetable as timetable_view

#: The kinds of record a URL can name, by the name of its parameter.
KINDS = {
    "course_journal_id": "course",
    "group_id": "group",
    "student_id": "student",
    "lesson_id": "lesson",
    "account_id": "account",
}


class Scope:
    """One user's own records, computed lazily per kind and role."""

    def __init__(self, reader: Reader, account_id: str, person_id: str | None) -> None:
        self.reader = reader
        self.account_id = account_id
        self.person_id = person_id
        self._cache: dict[tuple[str, str], frozenset[str]] = {}

    def owns(self, role: str, kind: str, record_id: str) -> bool:
        """True when ``role`` reaches ``record_id`` of ``kind`` for this user."""
        if kind == "account":
            return record_id == self.account_id
        if kind == "lesson":
            row = self.reader.get(grid_view.LESSONS, (record_id,))
            if row is not None and self.owns(role, "course", str(row["course_journal_id"])):
                return True
            return self._substitutes(role, record_id)  # held or still to hold
        return record_id in self.owned(role, kind)

    def owned(self, role: str, kind: str) -> frozenset[str]:
        """Every record of ``kind`` that ``role`` reaches for this user."""
        key = (role, kind)
        if key not in self._cache:
            self._cache[key] = frozenset(self._compute(role, kind))
        return self._cache[key]

    def _compute(self, role: str, kind: str) -> Iterable[str]:
        if role in ("teacher", "class_teacher"):
            if role == "teacher":
                courses = self._taught()
                groups = self._groups_of(courses)
            else:
                groups = self._led()
                courses = self._courses_of(groups)
            if kind == "student":
                return self._members(groups)
            return {"course": courses, "group": groups}.get(kind, set())
        if kind == "student" and self.person_id:
            if role == "parent":
                rows = self.reader.select(catalog.GUARDIANS, {"guardian_id": self.person_id})
                return [str(r["student_id"]) for r in rows]
            if role == "pupil":
                return [self.person_id]
        return ()

    def _substitutes(self, role: str, lesson_id: str) -> bool:
        """A teacher reaches the one lesson they hold as a substitute («замена», ADR 0019)."""
        if role != "teacher":
            return False
        row = self.reader.get(timetable_view.SUBSTITUTIONS, (lesson_id,))
        return row is not None and str(row["teacher_id"]) == self.account_id

    def _taught(self) -> set[str]:
        rows = self.reader.select(catalog.TEACHERS, {"teacher_id": self.account_id})
        return {str(r["course_journal_id"]) for r in rows}

    def _led(self) -> set[str]:
        rows = self.reader.select(catalog.GROUPS, {"class_teacher_id": self.account_id})
        return {str(r["group_id"]) for r in rows}

    def _groups_of(self, courses: set[str]) -> set[str]:
        if not courses:
            return set()
        rows = self.reader.select(catalog.COURSES, within=("course_journal_id", sorted(courses)))
        return {str(r["group_id"]) for r in rows}

    def _courses_of(self, groups: set[str]) -> set[str]:
        if not groups:
            return set()
        rows = self.reader.select(catalog.COURSES, within=("group_id", sorted(groups)))
        return {str(r["course_journal_id"]) for r in rows}

    def _members(self, groups: set[str]) -> set[str]:
        if not groups:
            return set()
        rows = self.reader.select(catalog.MEMBERS, within=("group_id", sorted(groups)))
        return {str(r["student_id"]) for r in rows}
