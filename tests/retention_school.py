"""A small school with a history worth keeping — and destroying: the test school of
``tests/school.py`` with marks, a correction, year marks, an archivist, a guardian, a
registered archive file per class, and the school year closed on 30 June 2026."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

from domain import clock, ids
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, School, at, build_school

CLOSED_ON = date(2026, 6, 30)
JOURNAL_5A = "journal/2025-26/5А"
JOURNAL_5B = "journal/2025-26/5Б"
SUMMARY_5A = "summary/2025-26/5А"
#: Text that lives only in 5А's records (and must vanish with them) or only in 5Б's.
TOPIC_5A, REASON_5A, FILE_5A = (
    "Сложение дробей Щукина",
    "Ошибка при вводе Щукина",
    b"PDF-5A-Ryabinin",
)
TOPIC_5B, FILE_5B = "Деление столбиком Зорина", b"PDF-5B-Sokolov"


@dataclass
class History:
    """What ``make_history`` made."""

    school: School
    archivist: UUID
    second_archivist: UUID
    guardian: UUID
    lesson_5a: UUID
    lesson_5b: UUID
    mark_5a: UUID


def _file(system: System, series: str, name: str, content: bytes, actor: UUID) -> None:
    path = Path(series.replace("/", "_")) / name
    target = system.settings.archive_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    system.journal.retention.register_series_file(
        series, str(path), hashlib.sha256(content).hexdigest(), len(content), actor
    )


def make_history(system: System) -> History:
    """Build the school, record its year and close it (forced: term marks are not all
    given) on 30 June 2026 at 15:00."""
    j = system.journal
    school = build_school(j)
    with clock.travel(at(date(2025, 8, 25), 11)):
        archivist = j.accounts.create_account(
            "archivist", "Архивова", "Анна", "", ["archivist"], "arkhiv-secret-1", school.admin
        ).id
        second = j.accounts.create_account(
            "archivist2", "Хранилова", "Вера", "", ["archivist"], "arkhiv-secret-2", school.admin
        ).id
        for staff in (archivist, second):
            j.accounts.confirm_role_grant(staff, "archivist", school.head)
        guardian = j.people.register_guardian(
            "Смирнова", "Ольга", "", "+7 900 000-00-01", "o.smirnova@example.ru", school.admin
        ).id
        j.people.link_guardian(school.pupils[0], guardian, "мать", school.admin)
    lesson_5a, lesson_5b = school.hold(), school.hold(course=school.other_course_id)
    with clock.travel(at(LESSON_DAY, 10)):
        j.entry.change_topic(lesson_5a, TOPIC_5A, "№ 1", school.teacher)
        j.entry.change_topic(lesson_5b, TOPIC_5B, "№ 2", school.other_teacher)
        marks = j.entry.record_marks(
            lesson_5a,
            [MarkEntry(p, v, "answer") for p, v in zip(school.pupils, "543", strict=True)],
            school.teacher,
        ).created
        j.entry.correct_mark(lesson_5a, marks[2], "4", "answer", REASON_5A, school.teacher)
        j.entry.record_marks(
            lesson_5b, [MarkEntry(school.outsider, "5", "answer")], school.other_teacher
        )  # type: ignore[list-item]
    with clock.travel(at(date(2026, 5, 26), 12)):
        for term in (1, 2, 3, 4):  # a year mark is set from the term marks of every term
            j.grades.set_term_marks(
                school.course_id,
                term,
                [(p, "5", "") for p in school.pupils],
                school.teacher,
                {p: "Учтена защита проекта на школьной конференции" for p in school.pupils},
            )
            j.grades.set_term_mark(
                school.other_course_id,
                term,
                school.outsider,  # type: ignore[arg-type]
                "4",
                school.other_teacher,
                why="Не сдана зачётная работа четверти",
            )
        system.views.catch_up()
        for pupil in school.pupils:
            j.grades.set_year_mark(school.course_id, pupil, "5", school.teacher)
        j.grades.set_year_mark(school.other_course_id, school.outsider, "4", school.other_teacher)  # type: ignore[arg-type]
    with clock.travel(at(date(2026, 6, 1), 12)):
        _file(system, JOURNAL_5A, "journal.pdf", FILE_5A, school.head)
        _file(system, JOURNAL_5B, "journal.pdf", FILE_5B, school.head)
    with clock.travel(at(CLOSED_ON)):
        j.retention.close_school_year(
            school.year_id, school.deputy, missing=["…"], force=True, reason="Тестовая школа"
        )
    system.views.catch_up()
    return History(school, archivist, second, guardian, lesson_5a, lesson_5b, marks[0])


def person(pupil: UUID) -> str:
    """The series of a person's identity."""
    return ids.person_series(pupil)
