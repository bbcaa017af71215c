"""A small school built through the application's commands, for tests on any backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain import clock
from domain.base import SYSTEM_ACTOR
from domain.journal import Journal

YEAR = "2025/26"
QUARTERS = [
    (1, "1 четверть", date(2025, 9, 1), date(2025, 10, 26)),
    (2, "2 четверть", date(2025, 11, 5), date(2025, 12, 28)),
    (3, "3 четверть", date(2026, 1, 12), date(2026, 3, 22)),
    (4, "4 четверть", date(2026, 4, 1), date(2026, 5, 26)),
]
#: A Tuesday in the first quarter; tests travel to it so the entry deadlines hold.
LESSON_DAY = date(2025, 9, 16)


def at(day: date, hour: int = 15) -> datetime:
    """The UTC moment of ``hour`` o'clock school time on ``day``."""
    return clock.local_datetime(day, hour)


@dataclass
class School:
    """Ids of what ``build_school`` created."""

    journal: Journal
    year_id: UUID
    class_id: UUID
    other_class_id: UUID
    admin: UUID
    teacher: UUID
    other_teacher: UUID
    deputy: UUID
    head: UUID
    course_id: UUID
    other_course_id: UUID
    pupils: list[UUID] = field(default_factory=list)
    outsider: UUID | None = None

    def hold(self, day: date = LESSON_DAY, period: int = 2, course: UUID | None = None) -> UUID:
        """Enter a lesson on ``day`` (as the course's teacher, at 9:00 that day)."""
        course = course or self.course_id
        teacher = self.teacher if course == self.course_id else self.other_teacher
        with clock.travel(at(day, 9)):
            return self.journal.entry.hold_lesson(course, day, period, "Дроби", "№ 12", teacher).id


def build_school(journal: Journal) -> School:
    """Open 2025/26 with quarters, two classes (5А with 3 pupils, 5Б with 1), staff and
    a mathematics journal for each class."""
    j = journal
    with clock.travel(at(date(2025, 8, 25), 10)):
        admin = j.accounts.create_account(
            "admin", "Админов", "Админ", "", ["admin"], "sysop-secret-1", SYSTEM_ACTOR
        ).id
        year_id = j.school.open_school_year(
            "test", YEAR, date(2025, 9, 1), date(2026, 5, 31), admin
        ).id
        for number, title, starts, ends in QUARTERS:
            j.school.define_term(year_id, number, title, starts, ends, admin)
        teacher = j.accounts.create_account(
            "teacher", "Петрова", "Анна", "Ивановна", ["teacher"], "uchitel-secret-1", admin
        ).id
        other = j.accounts.create_account(
            "teacher2", "Сидоров", "Олег", "", ["teacher"], "uchitel-secret-2", admin
        ).id
        # The operator appoints the head; the head confirms the privileged roles the
        # administrator grants (separation of duties: policies/access.toml [duties]).
        head = j.accounts.create_account(
            "head", "Директоров", "Иван", "", ["head"], "direktor-secret-1", SYSTEM_ACTOR
        ).id
        deputy = j.accounts.create_account(
            "deputy", "Завучева", "Мария", "", ["deputy", "teacher"], "zavuch-secret-1", admin
        ).id
        j.accounts.confirm_role_grant(deputy, "deputy", head)
        class_id = j.classes.form_class(year_id, "5А", 5, admin).id
        other_class = j.classes.form_class(year_id, "5Б", 5, admin).id
        course = j.classes.open_course_journal(class_id, "Математика", "five_point", admin).id
        other_course = j.classes.open_course_journal(
            other_class, "Математика", "five_point", admin
        ).id
        j.classes.assign_teacher(course, teacher, admin)
        j.classes.assign_teacher(other_course, other, admin)
        pupils = []
        for surname, name in (("Смирнов", "Артём"), ("Кузнецова", "Дарья"), ("Попов", "Илья")):
            pupil = j.people.register_student(surname, name, "", date(2014, 3, 7), admin).id
            j.classes.enrol(class_id, pupil, date(2025, 9, 1), admin)
            pupils.append(pupil)
        outsider = j.people.register_student("Чужой", "Пётр", "", date(2014, 1, 2), admin).id
        j.classes.enrol(other_class, outsider, date(2025, 9, 1), admin)
    return School(
        j,
        year_id,
        class_id,
        other_class,
        admin,
        teacher,
        other,
        deputy,
        head,
        course,
        other_course,
        pupils,
        outsider,
    )
