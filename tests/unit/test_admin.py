"""Administration rules: roles, unique records, terms, passwords, authentication."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidTerms,
    NotCourseTeacher,
    RoleRequired,
    WeakPassword,
    WrongPassword,
)
from domain.lesson import MarkEntry
from projections.queries import listing
from projections.queries.scope import Scope
from tests.school import LESSON_DAY
from tests.unit.conftest import on, stored
from tests.views import memory_views

ADMIN_COMMANDS = {
    "open_school_year": lambda j, s, a: j.school.open_school_year(
        "test", "2026/27", date(2026, 9, 1), date(2027, 5, 31), a
    ),
    "define_term": lambda j, s, a: j.school.define_term(
        s.year_id, 1, "1 четверть", date(2025, 9, 1), date(2025, 10, 20), a
    ),
    "create_account": lambda j, s, a: j.accounts.create_account(
        "new.teacher", "Новая", "Учительница", "", ["teacher"], "long-enough-1", a
    ),
    "register_student": lambda j, s, a: j.people.register_student(
        "Новиков", "Лев", "", date(2014, 5, 5), a
    ),
    "form_class": lambda j, s, a: j.classes.form_class(s.year_id, "5В", 5, a),
    "open_course_journal": lambda j, s, a: j.classes.open_course_journal(
        s.class_id, "Русский язык", "five_point", a
    ),
    "assign_teacher": lambda j, s, a: j.classes.assign_teacher(s.course_id, s.other_teacher, a),
    "unassign_teacher": lambda j, s, a: j.classes.unassign_teacher(s.course_id, s.teacher, a),
    "enrol": lambda j, s, a: j.classes.enrol(s.class_id, s.outsider, LESSON_DAY, a),
    "withdraw": lambda j, s, a: j.classes.withdraw(
        s.class_id, s.pupils[0], LESSON_DAY, "Переезд", a
    ),
    "grant_role": lambda j, s, a: j.accounts.grant_role(s.teacher, "deputy", a),
    "change_others_password": lambda j, s, a: j.accounts.change_password(
        s.other_teacher, "another-pass-1", a
    ),
}


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
def test_admin_commands_need_the_admin_role(school, rejects, command):
    for actor in (school.teacher, school.deputy, school.head):
        with on(LESSON_DAY), rejects(RoleRequired):
            ADMIN_COMMANDS[command](school.journal, school, actor)


@pytest.mark.parametrize("command", ["form_class", "register_student", "assign_teacher"])
def test_admin_commands_work_for_the_admin(school, command):
    with on(LESSON_DAY):
        receipt = ADMIN_COMMANDS[command](school.journal, school, school.admin)
    assert receipt.position > 0


def test_only_a_teacher_may_keep_a_journal(school, rejects):
    with on(LESSON_DAY), rejects(RoleRequired):
        school.journal.classes.assign_teacher(school.course_id, school.head, school.admin)


def test_an_unassigned_teacher_no_longer_keeps_the_journal(school, rejects):
    """Unassigning removes the teacher from the journal (the domain refuses their entries)
    and from the catalogue (the course's teachers, the teacher's own journals)."""
    lesson = school.hold()
    course = str(school.course_id)
    views = memory_views(school.journal)
    assert course in Scope(views, str(school.teacher), None).owned("teacher", "course")
    receipt = school.journal.classes.unassign_teacher(
        school.course_id, school.teacher, school.admin
    )
    assert receipt.position == stored(school.journal)
    with on(LESSON_DAY), rejects(NotCourseTeacher):
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
    views = memory_views(school.journal)
    assert course not in Scope(views, str(school.teacher), None).owned("teacher", "course")
    (item,) = listing.courses(views, str(school.year_id), [course])
    assert str(school.teacher) not in item.teachers
    before = stored(school.journal)  # unassigning again changes nothing
    school.journal.classes.unassign_teacher(school.course_id, school.teacher, school.admin)
    assert stored(school.journal) == before


def test_duplicate_class_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(AlreadyExists):
        school.journal.classes.form_class(school.year_id, " 5А ", 5, school.admin)


def test_duplicate_course_journal_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(AlreadyExists):
        school.journal.classes.open_course_journal(
            school.class_id, "Математика", "five_point", school.admin
        )


def test_duplicate_login_is_rejected(school, rejects):
    with on(LESSON_DAY), rejects(AlreadyExists):
        school.journal.accounts.create_account(
            "Teacher", "Другая", "Анна", "", ["teacher"], "uchitel-secret-9", school.admin
        )


def test_duplicate_lesson_is_rejected(school, rejects):
    school.hold()
    with on(LESSON_DAY, 10), rejects(AlreadyExists):
        school.journal.entry.hold_lesson(
            school.course_id, LESSON_DAY, 2, "Другое", "", school.teacher
        )


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (date(2025, 10, 20), date(2025, 11, 4)),  # overlaps the end of term 1
        (date(2025, 12, 28), date(2026, 1, 11)),  # touches the last day of term 2
        (date(2025, 9, 10), date(2025, 9, 20)),  # inside term 1
        (date(2025, 8, 1), date(2026, 6, 30)),  # covers the whole year
    ],
)
def test_overlapping_terms_are_rejected(school, rejects, starts, ends):
    with on(LESSON_DAY), rejects(InvalidTerms):
        school.journal.school.define_term(school.year_id, 5, "Лишний", starts, ends, school.admin)


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (date(2026, 5, 27), date(2026, 6, 5)),  # ends after the year
        (date(2025, 10, 30), date(2025, 10, 28)),  # inverted
    ],
)
def test_terms_outside_the_year_or_inverted_are_rejected(school, rejects, starts, ends):
    with on(LESSON_DAY), rejects(InvalidTerms):
        school.journal.school.define_term(school.year_id, 5, "Лишний", starts, ends, school.admin)


def test_term_in_the_holidays_between_terms_is_accepted(school):
    with on(LESSON_DAY):
        school.journal.school.define_term(
            school.year_id, 5, "Каникулы", date(2025, 10, 27), date(2025, 11, 4), school.admin
        )
    assert school.journal.queries.history(school.year_id)[-1].type == "TermDefined"


def test_weak_password_is_rejected_on_account_creation(school, rejects):
    with on(LESSON_DAY), rejects(WeakPassword):
        school.journal.accounts.create_account(
            "short", "Краткий", "Пароль", "", ["teacher"], "1234567", school.admin
        )


def test_weak_password_is_rejected_on_change(school, rejects):
    with on(LESSON_DAY), rejects(WeakPassword):
        school.journal.accounts.change_password(school.teacher, "short", school.teacher)


def test_authenticate_accepts_the_right_password(school):
    account = school.journal.queries.authenticate(" Teacher ", "uchitel-secret-1")
    assert account.id == school.teacher
    assert account.roles == frozenset({"teacher"})


def test_authenticate_rejects_a_wrong_password(school):
    with pytest.raises(WrongPassword):
        school.journal.queries.authenticate("teacher", "uchitel-secret-2")


def test_authenticate_rejects_an_unknown_login_the_same_way(school):
    with pytest.raises(WrongPassword) as info:
        school.journal.queries.authenticate("nobody", "uchitel-secret-1")
    assert type(info.value) is WrongPassword


def test_changed_password_replaces_the_old_one(school):
    with on(LESSON_DAY):
        school.journal.accounts.change_password(school.teacher, "brand-new-pass", school.teacher)
    assert school.journal.queries.authenticate("teacher", "brand-new-pass").id == school.teacher
    with pytest.raises(WrongPassword):
        school.journal.queries.authenticate("teacher", "uchitel-secret-1")


def test_parent_and_pupil_accounts_must_point_to_the_right_person(school, rejects):
    j = school.journal
    pupil = school.pupils[0]
    guardian = j.people.register_guardian(
        "Смирнова", "Ольга", "", "+7 900 000-00-00", "", school.admin
    ).id
    j.people.link_guardian(pupil, guardian, "мать", school.admin)
    with rejects(InvalidInput):
        j.accounts.create_account(
            "parentx",
            "Смирнова",
            "Ольга",
            "",
            ["parent"],
            "roditel-secret-1",
            school.admin,
            person_id=pupil,
        )
    with rejects(InvalidInput):
        j.accounts.create_account(
            "pupilx",
            "Смирнов",
            "Артём",
            "",
            ["pupil"],
            "uchenik-secret-1",
            school.admin,
            person_id=guardian,
        )
    with rejects(InvalidInput):
        j.accounts.create_account(
            "teacherx",
            "Учителев",
            "Ян",
            "",
            ["teacher"],
            "uchitel-secret-1",
            school.admin,
            person_id=pupil,
        )
    account = j.accounts.create_account(
        "parenty",
        "Смирнова",
        "Ольга",
        "",
        ["parent"],
        "roditel-secret-1",
        school.admin,
        person_id=guardian,
    ).id
    assert j.queries.account(account).person_id == guardian
    assert j.queries.student(pupil).guardians == (guardian,)


@pytest.mark.parametrize("login", ["", "иванов", "a b", "x" * 65, ".dot"])
def test_login_must_be_latin_letters_digits_dot_underscore(school, rejects, login):
    with rejects(InvalidInput):
        school.journal.accounts.create_account(
            login, "Иванов", "Иван", "", ["teacher"], "uchitel-secret-1", school.admin
        )


def test_group_query_lists_members_on_a_date(school):
    j = school.journal
    j.classes.withdraw(
        school.class_id, school.pupils[2], date(2025, 10, 1), "переезд", school.admin
    )
    assert j.queries.group(school.class_id, date(2025, 9, 30)).members == frozenset(school.pupils)
    assert j.queries.group(school.class_id, date(2025, 10, 1)).members == frozenset(
        school.pupils[:2]
    )


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(school):
    from datetime import timedelta

    from domain import clock
    from domain.errors import AccountLocked
    from tests.school import at

    j = school.journal
    start = at(LESSON_DAY, 10)
    with clock.travel(start):
        assert [j.accounts.record_failed_login("teacher") for _ in range(4)] == [False] * 4
        assert j.accounts.record_failed_login("teacher") is True
        assert j.accounts.record_failed_login("nobody") is False  # unknown logins leave no trace
        with pytest.raises(AccountLocked):
            j.queries.authenticate("teacher", "uchitel-secret-1")
    with clock.travel(start + timedelta(minutes=16)):
        assert j.queries.authenticate("teacher", "uchitel-secret-1").login == "teacher"
    types = [h.type for h in j.queries.history(school.teacher)]
    assert types.count("LoginFailed") == 5 and types.count("Locked") == 1
