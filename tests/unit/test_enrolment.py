"""Enrolment in one transaction: a class list is imported whole or not at all, a guardian is
registered and linked together; administrators cannot lock themselves out."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.enrolment import GuardianDetails, PupilRow
from domain.errors import (
    ClassListRejected,
    OwnAccountProtected,
    OwnRolesProtected,
    RecordNotFound,
    RoleRequired,
    StudentNotFound,
)
from tests.unit.conftest import stored

ON = date(2025, 9, 1)
MOTHER = GuardianDetails("Орлова", "Светлана", "", "+7 900 111-22-33", "", "мать")


def row(line: int, name: str, born: date = date(2014, 1, 1), **kw) -> PupilRow:
    return PupilRow(line, kw.pop("surname", "Орлов"), name, "", born, **kw)


def test_a_class_list_is_saved_in_one_save(school, monkeypatch):
    journal = school.journal
    saves = []
    original = journal.save
    monkeypatch.setattr(journal, "save", lambda *a, **k: saves.append(len(a)) or original(*a, **k))
    rows = [row(2, "Максим", guardian=MOTHER), row(3, "Вера", guardian=MOTHER), row(4, "Лев")]
    receipt = journal.classes.import_class_list(school.class_id, rows, ON, school.admin)
    # One save: the mother, three pupils, the class, and the register entries of the four
    # new people's record series (retention registers every new series in the same save).
    assert saves == [1 + 3 + 1 + 4]
    assert journal.queries.group(school.class_id, ON).members >= set(receipt.created)
    mothers = {journal.queries.student(p).guardians for p in receipt.created[:2]}
    assert len(mothers) == 1 and journal.queries.student(receipt.created[2]).guardians == ()
    assert journal.queries.guardian(next(iter(mothers.pop()))).surname == "Орлова"


def test_every_bad_row_is_named_and_nothing_is_stored(school, rejects):
    rows = [
        row(2, "Максим"),
        row(3, " "),
        row(4, "Вера", born=ON),
        row(5, "МАКСИМ", surname="орлов"),
        row(6, "Лев", guardian=GuardianDetails("", "", phone="+7 900")),
    ]
    with rejects(ClassListRejected) as info:
        school.journal.classes.import_class_list(school.class_id, rows, ON, school.admin)
    problems = dict(info.value.problems)
    assert sorted(problems) == [3, 4, 5, 6]
    assert "фамилия и имя" in problems[3] and "раньше даты зачисления" in problems[4]
    assert problems[5] == "Повторяет строку 2." and problems[6].startswith("Представитель")
    assert "3, 4, 5, 6" in info.value.text


def test_a_list_imported_twice_is_refused_the_second_time(school, rejects):
    rows = [row(2, "Максим"), row(3, "Вера")]
    school.journal.classes.import_class_list(school.class_id, rows, ON, school.admin)
    with rejects(ClassListRejected) as info:
        school.journal.classes.import_class_list(school.class_id, rows, ON, school.admin)
    assert [line for line, _ in info.value.problems] == [2, 3]


def test_only_the_admin_imports_and_only_into_a_class(school, rejects):
    journal = school.journal
    with rejects(RoleRequired):
        journal.classes.import_class_list(school.class_id, [row(2, "Лев")], ON, school.teacher)
    group = journal.classes.form_activity_group(school.year_id, "chess", "Шахматы", school.admin).id
    with rejects(RecordNotFound):
        journal.classes.import_class_list(group, [row(2, "Лев")], ON, school.admin)
    with rejects(RecordNotFound):
        journal.classes.import_class_list(uuid4(), [row(2, "Лев")], ON, school.admin)


def test_a_guardian_is_registered_and_linked_together(school, rejects):
    journal = school.journal
    with rejects(StudentNotFound):
        journal.people.register_guardian_for(uuid4(), MOTHER, school.admin)
    receipt = journal.people.register_guardian_for(school.pupils[1], MOTHER, school.admin)
    assert journal.queries.student(school.pupils[1]).guardians == (receipt.id,)
    assert journal.queries.guardian(receipt.id).name == "Светлана"
    with rejects(RoleRequired):
        journal.people.register_guardian_for(school.pupils[1], MOTHER, school.teacher)


def test_administrators_cannot_lock_themselves_out(school, rejects):
    journal = school.journal
    with rejects(OwnAccountProtected):
        journal.accounts.lock_account(school.admin, "Проверка", school.admin)
    with rejects(OwnRolesProtected):
        journal.accounts.revoke_role(school.admin, "admin", school.admin)
    before = stored(journal)
    journal.accounts.lock_account(school.teacher, "Увольнение", school.admin)
    assert stored(journal) == before + 1


@pytest.mark.parametrize("empty", [[], ()])
def test_an_empty_list_is_refused(school, empty):
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        school.journal.classes.import_class_list(school.class_id, empty, ON, school.admin)


def test_family_roles_go_only_to_linked_accounts(school, rejects):
    from domain.errors import InvalidInput

    with rejects(InvalidInput):
        school.journal.accounts.grant_role(school.teacher, "parent", school.admin)
