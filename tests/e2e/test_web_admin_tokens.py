"""The administrator's API tokens page: a token is shown once when issued and works on the
API; the list never shows it again; revoking takes a reason and stops it at once; bad input
is refused in Russian with nothing written."""

from __future__ import annotations

import re

from ejournal.bootstrap import System
from tests.web import WebSchool, client_for, post, written_since

TOKEN = re.compile(r'<code id="issued-token"[^>]*>([^<]+)</code>')


def _issue(admin, login: str, name: str):  # type: ignore[no-untyped-def]
    return post(admin, "/admin/tokens", {"login": login, "name": name}, page="/admin/tokens")


def _service(system: System, web: WebSchool, login: str = "svc.schedule") -> str:
    system.journal.accounts.create_service_account(
        login, "Расписание школы", ["teacher"], web.school.admin
    )
    return login


def test_a_token_is_shown_once_works_and_stops_when_revoked(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    teacher_login = _service(system, web)
    answer = _issue(admin, teacher_login, "Расписание школы")
    assert answer.status_code == 200
    assert "no-store" in answer.headers.get("Cache-Control", "")
    page = answer.get_data(as_text=True)
    [token] = TOKEN.findall(page)
    api = admin.application.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/course-journals", headers=auth).status_code == 200
    listed = admin.get("/admin/tokens").get_data(as_text=True)
    assert "Расписание школы" in listed and teacher_login in listed
    assert token not in listed  # shown once only
    [token_id] = re.findall(r'action="/admin/tokens/([0-9a-f-]{36})/revoke"', listed)
    revoked = post(
        admin, f"/admin/tokens/{token_id}/revoke", {"reason": "Договор окончен"}, "/admin/tokens"
    )
    assert revoked.status_code == 302
    assert api.get("/api/v1/course-journals", headers=auth).status_code == 401
    assert "отозван" in admin.get("/admin/tokens").get_data(as_text=True)


def test_bad_input_is_refused_in_russian_and_nothing_is_written(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    before = system.journal.recorder.max_notification_id()
    unknown = _issue(admin, "nobody-here", "Расписание")
    assert unknown.status_code == 422
    assert "Нет учётной записи с таким логином." in unknown.get_data(as_text=True)
    assert 'value="nobody-here"' in unknown.get_data(as_text=True)  # the input is kept
    service = _service(system, web)
    before = system.journal.recorder.max_notification_id()
    short = _issue(admin, service, "")
    assert short.status_code == 422 and "символов" in short.get_data(as_text=True)
    markup = _issue(admin, service, "<script>alert(1)</script>")
    assert markup.status_code == 422
    assert written_since(system, before) == []


def test_only_the_administrator_reaches_the_tokens_page(system: System, web: WebSchool):
    for role in ("teacher", "deputy", "head", "auditor", "parent"):
        client = client_for(system, web, role)
        assert client.get("/admin/tokens").status_code == 403


def test_a_token_for_another_persons_account_is_refused(system: System, web: WebSchool):
    """Issue 14: the administrator issues tokens only for service accounts — a token for
    the head's account is refused (403, Russian) and nothing is written."""
    admin = client_for(system, web, "admin")
    before = system.journal.recorder.max_notification_id()
    answer = _issue(admin, web.logins["head"][0], "От имени директора")
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "выпускает для себя только сам владелец" in page and not TOKEN.findall(page)
    assert written_since(system, before) == []


def test_a_person_issues_their_own_token_on_the_profile_page(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    assert "Мой профиль" in teacher.get("/journal/").get_data(as_text=True)  # the header link
    answer = post(teacher, "/profile/tokens", {"name": "Мой планшет"}, page="/profile/")
    assert answer.status_code == 200 and "no-store" in answer.headers.get("Cache-Control", "")
    [token] = TOKEN.findall(answer.get_data(as_text=True))
    api = teacher.application.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/course-journals", headers=auth).status_code == 200
    page = teacher.get("/profile/").get_data(as_text=True)
    assert "Мой планшет" in page and token not in page
