"""Passwords (issue 14, item 5): at least 12 characters, never the login or the person's name,
not easy to guess (zxcvbn, offline), with a Russian message naming what is wrong; scrypt at
n=2^17, r=8, p=1 in production, the parameters stored in each hash, older hashes verifying and
stored again at the current cost at sign-in; changing one's own password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from domain import passwords
from domain.account import Account
from domain.errors import WeakPassword, WrongPassword
from domain.journal import Journal
from ejournal import password_strength
from tests.school import LESSON_DAY, School
from tests.unit.conftest import Rejects, on, stored

ROOT = Path(__file__).resolve().parents[2]


def hash_of(journal: Journal, account_id: object) -> str:
    return journal.repository.get(account_id).password_hash  # type: ignore[arg-type,no-any-return]


def events_of(journal: Journal, account_id: object) -> list[str]:
    return [type(e).__name__ for e in journal.events.get(account_id)]  # type: ignore[arg-type]


def test_the_production_cost_is_n_2_17_r_8_p_1_and_the_hash_carries_it() -> None:
    # The suite hashes at a lower cost (tests/conftest.py); a fresh interpreter shows the
    # default every other process uses, and one real hash at that cost (128 MiB) verifies.
    script = (
        "from domain import passwords as p; h = p.hash_password('korova-moloko-dom');"
        "print(p.SCRYPT_N, p.PRODUCTION_N, h.split('$')[:4], p.verify_password("
        "'korova-moloko-dom', h), p.needs_rehash(h))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=2)
    assert out[0] == out[1] == str(2**17)
    assert out[2].strip() == "['scrypt', '131072', '8', '1'] True False"


def test_a_hash_of_an_older_cost_still_verifies_and_asks_for_a_rehash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "SCRYPT_N", 2**11)
    old = passwords.hash_password("sinyaya-lodka-7")
    monkeypatch.setattr(passwords, "SCRYPT_N", 2**12)
    assert old.startswith("scrypt$2048$8$1$")
    assert passwords.verify_password("sinyaya-lodka-7", old)
    assert not passwords.verify_password("sinyaya-lodka-8", old)
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password("sinyaya-lodka-7"))


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("kot-sobaka1", "Пароль слишком короткий: нужно не менее 12 символов."),
        ("my-teacher-2026", "Пароль слишком простой: в нём есть логин."),
        ("Petrova-forever-1", "Пароль слишком простой: в нём есть фамилия, имя или отчество."),
        ("ПЕТРОВА-навсегда", "Пароль слишком простой: в нём есть фамилия, имя или отчество."),
        ("password1234", "Пароль слишком простой: распространённый пароль."),
        ("P@ssw0rd2024", "Пароль слишком простой: распространённый пароль с заменой букв"),
        ("йцукенгшщзхъ", "Пароль слишком простой: ряд соседних клавиш."),
        ("abcdefghijklmn", "Пароль слишком простой: последовательность символов"),
        ("zzzzzzzzzzzzzz", "Пароль слишком простой: повтор символов."),
    ],
)
def test_a_weak_new_password_is_refused_naming_what_is_wrong(
    school: School, rejects: Rejects, password: str, expected: str
) -> None:
    with on(LESSON_DAY), rejects(WeakPassword) as refused:
        school.journal.accounts.change_password(school.teacher, password, school.admin)
    assert refused.value.text.startswith(expected)
    for name in ("Петрова", "Анна", "Ивановна", "petrova"):  # personal data: never shown
        assert name.lower() not in refused.value.text.lower()


def test_a_new_account_cannot_take_its_login_or_name_as_password(
    school: School, rejects: Rejects
) -> None:
    accounts = school.journal.accounts
    with on(LESSON_DAY), rejects(WeakPassword):
        accounts.create_account(
            "ivanov", "Смирнов", "Пётр", "", ["teacher"], "ivanov-ivanov-1", school.admin
        )
    with on(LESSON_DAY), rejects(WeakPassword):
        accounts.create_account(
            "ivanov", "Смирнов", "Пётр", "", ["teacher"], "smirnov-lesnoy-1", school.admin
        )
    with on(LESSON_DAY):
        accounts.create_account(
            "ivanov", "Смирнов", "Пётр", "", ["teacher"], "lesnoy-ruchey-1", school.admin
        )


def test_the_strength_check_passes_the_accounts_own_words_to_zxcvbn() -> None:
    assert password_strength.check("zelenaya-reka-4", []) is None
    assert password_strength.check("qwerty123456", []) is not None
    assert password_strength.check("qazwsxedc-rfv", []) is not None  # a keyboard pattern


def test_sign_in_stores_an_older_hash_again_at_the_current_cost(
    journal: Journal, school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = hash_of(journal, school.teacher)
    assert old.startswith(f"scrypt${passwords.SCRYPT_N}$")
    monkeypatch.setattr(passwords, "SCRYPT_N", passwords.SCRYPT_N * 2)
    ended: list[object] = []
    journal.accounts.password_changed_listeners.append(ended.append)
    with pytest.raises(WrongPassword):
        journal.queries.authenticate("teacher", "uchitel-secret-2")
    assert hash_of(journal, school.teacher) == old  # a wrong password stores nothing
    with on(LESSON_DAY):
        assert journal.queries.authenticate("teacher", "uchitel-secret-1").id == school.teacher
    new = hash_of(journal, school.teacher)
    assert new.startswith(f"scrypt${passwords.SCRYPT_N}$8$1$") and new != old
    assert events_of(journal, school.teacher)[-1] == "PasswordRehashed"
    assert ended == []  # not a change of password: no session ends
    before = stored(journal)
    with on(LESSON_DAY):
        journal.queries.authenticate("teacher", "uchitel-secret-1")
    assert stored(journal) == before  # at the current cost: nothing more to store


def test_a_rehash_does_not_undo_a_password_changed_meanwhile(school: School) -> None:
    account = school.journal.repository.get(school.teacher)
    assert isinstance(account, Account)
    stale = "scrypt$1024$8$1$AAAA$BBBB"
    account.rehash_password(stale, passwords.hash_password("uchitel-secret-1"))
    assert not account.collect_events()


def test_changing_ones_own_password_needs_the_current_one(
    journal: Journal, school: School, rejects: Rejects
) -> None:
    accounts = journal.accounts
    ended: list[object] = []
    accounts.password_changed_listeners.append(ended.append)
    with on(LESSON_DAY), rejects(WrongPassword) as refused:
        accounts.change_own_password(school.teacher, "not-the-password", "tihaya-gavan-22")
    assert refused.value.text == "Текущий пароль введён неверно."
    with on(LESSON_DAY), rejects(WeakPassword) as refused:
        accounts.change_own_password(school.teacher, "uchitel-secret-1", "uchitel-secret-1")
    assert refused.value.text == "Новый пароль совпадает с текущим."
    with on(LESSON_DAY), rejects(WeakPassword):
        accounts.change_own_password(school.teacher, "uchitel-secret-1", "1234567890ab")
    assert ended == []
    with on(LESSON_DAY):
        accounts.change_own_password(school.teacher, "uchitel-secret-1", "tihaya-gavan-22")
        assert journal.queries.authenticate("teacher", "tihaya-gavan-22").id == school.teacher
        with pytest.raises(WrongPassword):
            journal.queries.authenticate("teacher", "uchitel-secret-1")
    assert ended == [school.teacher]  # the hook where the other sessions end
