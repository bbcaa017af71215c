"""Accounts in the administrator's area through HTTP: created, roles changed, locked (the
user is signed out), a new password set; non-admins get 403; passwords never shown back."""

from __future__ import annotations

import re

import pytest

from ejournal.bootstrap import System
from tests.web import WebSchool, client_for, csrf, post, sign_in, written_since

NEW_PASSWORD = "brand-new-pass-7"


def _admin(system: System, web: WebSchool):
    return client_for(system, web, "admin")


def _fresh_client(system: System):
    from ejournal.webapp import web_app

    return web_app(system, testing=True).test_client()


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "deputy", "head", "parent", "pupil"])
def test_non_admins_get_403_and_nothing_is_written(system: System, web: WebSchool, role: str):
    client = client_for(system, web, role)
    assert client.get("/admin/accounts").status_code == 403
    assert client.get(f"/admin/groups/{web.school.class_id}").status_code == 403
    before = system.journal.recorder.max_notification_id()
    token = csrf(client, "/")
    response = client.post(
        "/admin/accounts",
        data={
            "login": "intruder",
            "surname": "Взломов",
            "name": "Иван",
            "role-admin": "on",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert written_since(system, before) == []


def test_admin_creates_an_account_that_can_sign_in(system: System, web: WebSchool):
    admin = _admin(system, web)
    response = post(
        admin,
        "/admin/accounts",
        {
            "login": "new.teacher",
            "surname": "Новикова",
            "name": "Ольга",
            "patronymic": "Петровна",
            "role-teacher": "on",
            "role-class_teacher": "on",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        "/admin/accounts",
    )
    page = _follow(admin, response)
    assert "Новикова Ольга Петровна" in page and "Учётная запись создана" in page
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    row = re.search(r"<code>new\.teacher</code>.*?</tr>", listing, re.S)
    assert row and "учитель, классный руководитель" in row.group(0) and "активна" in row.group(0)
    assert NEW_PASSWORD not in page + listing
    sign_in(_fresh_client(system), "new.teacher", NEW_PASSWORD)


def test_a_refused_account_form_keeps_the_input_but_never_the_password(system, web):
    admin = _admin(system, web)
    before = system.journal.recorder.max_notification_id()
    weak = "short7"
    response = post(
        admin,
        "/admin/accounts",
        {
            "login": "weak.one",
            "surname": "Слабов",
            "name": "Пётр",
            "role-teacher": "on",
            "password": weak,
            "password2": weak,
        },
        "/admin/accounts",
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Пароль слишком короткий: нужно не менее 12 символов." in body
    assert 'value="weak.one"' in body and 'value="Слабов"' in body
    assert weak not in body
    assert written_since(system, before) == []
    taken = post(
        admin,
        "/admin/accounts",
        {
            "login": "teacher",
            "surname": "Двойник",
            "name": "Анна",
            "role-teacher": "on",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        "/admin/accounts",
    )
    assert taken.status_code == 409 and "уже занят" in taken.get_data(as_text=True)
    assert NEW_PASSWORD not in taken.get_data(as_text=True)
    for bad, message in (
        ({"role-teacher": "on", "login": "Плохой логин"}, "Логин"),
        ({"login": "noroles"}, "хотя бы одну роль"),
        ({"role-teacher": "on", "login": "x1", "name": "<b>Я</b>"}, "Разметка"),
    ):
        data = {
            "surname": "Тестов",
            "name": "Тест",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **bad,
        }
        refused = post(admin, "/admin/accounts", data, "/admin/accounts")
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert written_since(system, before) == []


def test_grant_and_revoke_a_role(system: System, web: WebSchool):
    admin, teacher = _admin(system, web), web.school.teacher
    url = f"/admin/accounts/{teacher}"
    page = _follow(
        admin, post(admin, f"{url}/roles", {"role": "class_teacher", "action": "grant"}, url)
    )
    assert "Роли изменены" in page
    assert "class_teacher" in system.journal.queries.account(teacher).roles
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert re.search(
        r"<code>teacher</code>.*?<td>учитель, классный руководитель</td>", listing, re.S
    )
    _follow(admin, post(admin, f"{url}/roles", {"role": "class_teacher", "action": "revoke"}, url))
    assert system.journal.queries.account(teacher).roles == frozenset({"teacher"})
    bad = post(admin, f"{url}/roles", {"role": "wizard", "action": "grant"}, url)
    assert bad.status_code == 422 and "Выберите значение из списка" in bad.get_data(as_text=True)


def test_locking_signs_the_user_out_and_refuses_them(system: System, web: WebSchool):
    admin = _admin(system, web)
    teacher = client_for(system, web, "teacher")
    assert teacher.get("/journal/").status_code == 200
    url = f"/admin/accounts/{web.school.teacher}"
    assert post(admin, f"{url}/lock", {"reason": ""}, url).status_code == 422
    page = _follow(admin, post(admin, f"{url}/lock", {"reason": "Увольнение"}, url))
    assert "заблокирована" in page
    signed_out = teacher.get("/journal/")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    again = _fresh_client(system)
    refused = again.post(
        "/login",
        data={"login": "teacher", "password": "uchitel-secret-1", "csrf_token": csrf(again)},
    )
    # Answered as a wrong password: a locked account never confirms a right guess (ADR 0012).
    assert refused.status_code == 401 and "Неверный логин или пароль" in refused.get_data(True)
    _follow(admin, post(admin, f"{url}/unlock", {}, url))
    sign_in(_fresh_client(system), "teacher", "uchitel-secret-1")


def test_an_admin_cannot_lock_themselves_or_drop_their_own_admin_role(system, web):
    admin = _admin(system, web)
    url = f"/admin/accounts/{web.school.admin}"
    before = system.journal.recorder.max_notification_id()
    locked = post(admin, f"{url}/lock", {"reason": "Проверка"}, url)
    assert locked.status_code == 422 and "Нельзя заблокировать" in locked.get_data(as_text=True)
    dropped = post(admin, f"{url}/roles", {"role": "admin", "action": "revoke"}, url)
    assert dropped.status_code == 403
    assert "Нельзя назначать или снимать роли самому себе" in dropped.get_data(as_text=True)
    assert written_since(system, before) == []


def test_reset_password_refuses_the_old_one_and_accepts_the_new(system, web):
    admin = _admin(system, web)
    url = f"/admin/accounts/{web.school.teacher}/password"
    page = f"/admin/accounts/{web.school.teacher}"
    mismatch = post(admin, url, {"password": NEW_PASSWORD, "password2": "other-pass-99"}, page)
    assert mismatch.status_code == 422 and "Пароли не совпадают" in mismatch.get_data(as_text=True)
    assert NEW_PASSWORD not in mismatch.get_data(as_text=True)
    done = _follow(
        admin, post(admin, url, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, page)
    )
    assert "Пароль изменён" in done and NEW_PASSWORD not in done
    old = _fresh_client(system)
    response = old.post(
        "/login", data={"login": "teacher", "password": "uchitel-secret-1", "csrf_token": csrf(old)}
    )
    assert response.status_code == 401
    sign_in(_fresh_client(system), "teacher", NEW_PASSWORD)


def test_a_family_account_is_created_from_the_pupils_page(system: System, web: WebSchool):
    admin, pupil = _admin(system, web), web.school.pupils[1]
    form = admin.get(f"/admin/accounts?person={pupil}").get_data(as_text=True)
    assert "Учётная запись для обучающегося: <b>Кузнецова Дарья</b>" in form
    page = _follow(
        admin,
        post(
            admin,
            "/admin/accounts",
            {
                "login": "darya",
                "surname": "Кузнецова",
                "name": "Дарья",
                "role-pupil": "on",
                "person_id": str(pupil),
                "password": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            f"/admin/accounts?person={pupil}",
        ),
    )
    assert "Связана с:" in page and "Кузнецова Дарья" in page
    pupil_page = admin.get(f"/admin/pupils/{pupil}").get_data(as_text=True)
    assert "Создать учётную запись обучающегося" not in pupil_page
    diary = _fresh_client(system)
    sign_in(diary, "darya", NEW_PASSWORD)
    assert diary.get(f"/diary/{pupil}").status_code == 200
    assert diary.get(f"/diary/{web.school.pupils[0]}").status_code == 403
