"""Issue 14, items 1 and 2: nobody acts in another's name, separation of duties as data.

Service accounts work with tokens and never sign in with a password; nobody grants their own
roles; incompatible roles are refused; a privileged grant is inactive until a second person
confirms it; the record history says a change came through an API token; an administrator's
password reset forces a change at the next sign-in; ``ejournal policies check`` reports
accounts whose roles the policy now calls incompatible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain import clock, errors
from domain.base import SYSTEM_ACTOR
from ejournal.bootstrap import System, build
from ejournal.cli import main
from ejournal.webapp import web_app
from tests.conftest import ROOT, settings_for
from tests.school import LESSON_DAY, at, build_school
from tests.web import WebSchool, bearer, client_for, csrf, post, written_since

NEW_PASSWORD = "new-secret-pass-42"


def test_a_service_account_works_with_tokens_and_never_signs_in(system: System, web: WebSchool):
    j, admin = system.journal, web.school.admin
    service = j.accounts.create_service_account("svc.portal", "Портал", ["teacher"], admin).id
    with pytest.raises(errors.ServiceAccountRole):
        j.accounts.create_service_account("svc.boss", "Портал", ["head"], admin)
    with pytest.raises(errors.RoleRequired):  # only the administrator creates them
        j.accounts.create_service_account("svc.other", "Портал", ["teacher"], web.school.teacher)
    issued = j.tokens.issue_api_token(service, "портал", admin)
    client = web_app(system, testing=True).test_client()
    assert client.get("/api/v1/course-journals", headers=bearer(issued.token)).status_code == 200
    with pytest.raises(errors.WrongPassword):
        j.queries.authenticate("svc.portal", "")
    refused = client.post(
        "/login", data={"login": "svc.portal", "password": "", "csrf_token": csrf(client)}
    )
    assert refused.status_code == 401
    with pytest.raises(errors.ServiceAccountNoPassword):
        j.accounts.change_password(service, NEW_PASSWORD, admin)
    system.views.catch_up()
    page = client_for(system, web, "admin").get("/admin/accounts").get_data(as_text=True)
    services = page.split('id="services"')[1].split('id="new"')[0]
    assert "svc.portal" in services and "Портал" in services  # listed apart
    assert "svc.portal" not in page.split('id="services"')[0]


def test_nobody_grants_their_own_roles(system: System, web: WebSchool):
    s = web.school
    before = system.journal.recorder.max_notification_id()
    with pytest.raises(errors.OwnRolesProtected):
        system.journal.accounts.grant_role(s.admin, "head", s.admin)
    admin = client_for(system, web, "admin")
    url = f"/admin/accounts/{s.admin}"
    answer = post(admin, f"{url}/roles", {"role": "auditor", "action": "grant"}, url)
    assert answer.status_code == 403
    assert "Нельзя назначать или снимать роли самому себе" in answer.get_data(as_text=True)
    with pytest.raises(errors.OwnRolesProtected):  # nor confirm a grant to oneself
        system.journal.accounts.confirm_role_grant(s.head, "head", s.head)
    assert written_since(system, before) == []


def test_an_incompatible_grant_is_refused(system: System, web: WebSchool):
    s = web.school
    before = system.journal.recorder.max_notification_id()
    with pytest.raises(errors.IncompatibleRoles):  # the auditor writes no journal
        system.journal.accounts.grant_role(s.teacher, "auditor", s.admin)
    auditor = system.journal.queries.account_by_login("auditor").id
    with pytest.raises(errors.IncompatibleRoles):
        system.journal.accounts.grant_role(auditor, "deputy", s.admin)
    with pytest.raises(errors.IncompatibleRoles):
        system.journal.accounts.create_account(
            "boss", "Главный", "Все", "", ["admin", "head"], NEW_PASSWORD, SYSTEM_ACTOR
        )
    admin = client_for(system, web, "admin")
    url = f"/admin/accounts/{s.teacher}"
    answer = post(admin, f"{url}/roles", {"role": "auditor", "action": "grant"}, url)
    assert answer.status_code == 409 and "несовместимы" in answer.get_data(as_text=True)
    assert written_since(system, before) == []


def test_a_privileged_grant_is_inactive_until_a_second_person_confirms(
    system: System, web: WebSchool
):
    j, s = system.journal, web.school
    j.accounts.grant_role(s.other_teacher, "deputy", s.admin)
    assert "deputy" not in j.queries.account(s.other_teacher).roles
    assert j.queries.account(s.other_teacher).pending_roles == {"deputy"}
    with pytest.raises(errors.RoleRequired):  # not a deputy yet: cannot close a term
        j.school.close_term(s.year_id, 1, s.other_teacher)
    with pytest.raises(errors.ConfirmerRoleRequired):  # the head confirms a deputy
        j.accounts.confirm_role_grant(s.other_teacher, "deputy", s.admin)
    # The administrator asks for a second administrator; the one who asked cannot confirm.
    with pytest.raises(errors.IncompatibleRoles):  # pending roles count: admin + deputy
        j.accounts.grant_role(s.other_teacher, "admin", s.admin)
    j.accounts.grant_role(s.teacher, "admin", s.admin)
    with pytest.raises(errors.GrantConfirmedBySameActor):
        j.accounts.confirm_role_grant(s.teacher, "admin", s.admin)
    second = j.accounts.create_account(
        "admin2", "Второй", "Админ", "", ["admin"], NEW_PASSWORD, SYSTEM_ACTOR
    ).id
    j.accounts.reject_role_grant(s.teacher, "admin", second)
    assert "admin" not in j.queries.account(s.teacher).roles
    # The head sees the pending grant with «Подтвердить»/«Отклонить» and confirms it.
    system.views.catch_up()
    head = client_for(system, web, "head")
    page = head.get("/profile/grants").get_data(as_text=True)
    assert "teacher2" in page and "Подтвердить" in page and "Отклонить" in page
    admin_page = client_for(system, web, "admin").get(f"/admin/accounts/{s.other_teacher}")
    assert "ждёт подтверждения" in admin_page.get_data(as_text=True)
    done = post(
        head,
        f"/profile/grants/{s.other_teacher}",
        {"role": "deputy", "action": "confirm"},
        "/profile/grants",
    )
    assert done.status_code == 302
    assert "deputy" in j.queries.account(s.other_teacher).roles
    types = [e.type for e in j.queries.history(s.other_teacher)]
    assert types[-2:] == ["RoleGrantRequested", "RoleGrantConfirmed"]
    assert [e.type for e in j.queries.history(s.teacher)][-2:] == [
        "RoleGrantRequested",
        "RoleGrantRejected",
    ]


def test_the_history_says_a_mark_came_through_an_api_token(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    token = system.journal.tokens.issue_api_token(s.teacher, "Школьный планшет", s.teacher)
    api = web_app(system, testing=True).test_client()
    with clock.travel(at(LESSON_DAY, 16)):
        answer = api.post(
            f"/api/v1/lessons/{lesson}/marks",
            json={"marks": [{"student_id": str(s.pupils[0]), "value": "5"}]},
            headers=bearer(token.token),
        )
    assert answer.status_code == 201, answer.get_json()
    system.views.catch_up()
    page = client_for(system, web, "auditor").get(f"/audit/records/{lesson}")
    text = page.get_data(as_text=True)
    assert "через API-токен «Школьный планшет»" in text
    assert "вход на сайт" not in text  # the lesson itself was entered by a command, not a page
    entries = system.journal.queries.history(lesson)
    assert "authenticated_by" not in entries[-1].values


def test_an_administrators_reset_is_recorded_and_forces_a_change(system: System, web: WebSchool):
    s = web.school
    admin = client_for(system, web, "admin")
    page = f"/admin/accounts/{s.teacher}"
    reset = post(
        admin, f"{page}/password", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, page
    )
    assert reset.status_code == 302
    (last,) = system.journal.queries.history(s.teacher)[-1:]
    assert last.type == "PasswordReset" and last.actor == s.admin
    teacher = web_app(system, testing=True).test_client()
    signed = teacher.post(
        "/login",
        data={"login": "teacher", "password": NEW_PASSWORD, "csrf_token": csrf(teacher)},
    )
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/password")
    journal = teacher.get("/journal/")
    assert journal.status_code == 302 and journal.headers["Location"].endswith("/password")
    changed = teacher.post(
        "/password",
        data={
            "current": NEW_PASSWORD,
            "password": "my-own-pass-77",
            "password2": "my-own-pass-77",
            "csrf_token": csrf(teacher, "/password"),
        },
    )
    assert changed.status_code == 302
    assert teacher.get("/journal/").status_code == 200
    assert system.journal.queries.history(s.teacher)[-1].type == "PasswordChanged"


def test_policies_check_reports_accounts_with_incompatible_roles(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        build_school(system.journal)  # the deputy also teaches
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    access = folder / "access.toml"
    text = access.read_text(encoding="utf-8")
    access.write_text(
        text.replace("[duties.incompatible]\n", '[duties.incompatible]\ndeputy = ["teacher"]\n'),
        encoding="utf-8",
    )
    env = {"EJOURNAL_VAR_DIR": str(tmp_path / "var"), "EJOURNAL_POLICIES_DIR": str(folder)}
    result = CliRunner().invoke(main, ["policies", "check"], env=env)
    assert result.exit_code == 4, result.output
    assert "incompatible roles: deputy: deputy + teacher" in result.output
    env["EJOURNAL_POLICIES_DIR"] = str(ROOT / "policies")
    result = CliRunner().invoke(main, ["policies", "check"], env=env)
    assert result.exit_code == 0 and "accounts OK" in result.output, result.output


def test_the_duties_are_validated_strictly(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    access = folder / "access.toml"
    text = access.read_text(encoding="utf-8")
    access.write_text(
        text.replace('auditor = ["teacher", "deputy", "head"]', 'auditor = ["deputy", "head"]')
        .replace('service_roles = ["teacher", "class_teacher"]', 'service_roles = ["admin"]')
        .replace("[duties.confirmers]\n", '[duties.confirmers]\nwizard = ["head"]\n'),
        encoding="utf-8",
    )
    env = {"EJOURNAL_VAR_DIR": str(tmp_path / "var"), "EJOURNAL_POLICIES_DIR": str(folder)}
    result = CliRunner().invoke(main, ["policies", "check"], env=env)
    assert result.exit_code == 4
    assert "access.toml: duties.confirmers.wizard" in result.output, result.output
