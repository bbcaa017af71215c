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


def test_a_token_is_shown_once_works_and_stops_when_revoked(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    teacher_login = web.logins["teacher"][0]
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
    short = _issue(admin, web.logins["teacher"][0], "")
    assert short.status_code == 422 and "символов" in short.get_data(as_text=True)
    markup = _issue(admin, web.logins["teacher"][0], "<script>alert(1)</script>")
    assert markup.status_code == 422
    assert written_since(system, before) == []


def test_only_the_administrator_reaches_the_tokens_page(system: System, web: WebSchool):
    for role in ("teacher", "deputy", "head", "auditor", "parent"):
        client = client_for(system, web, role)
        assert client.get("/admin/tokens").status_code == 403
