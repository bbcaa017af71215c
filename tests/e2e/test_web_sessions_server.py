"""Server-side sessions (issue 14, item 3; ADR 0012), on SQLite and on PostgreSQL: an old
cookie opens nothing after logout, a password reset, a role change or a lock; a session ends
12 hours after sign-in however it is used; the CSRF token of the anonymous page is refused
after sign-in; a person sees their sessions and ends them; the database holds neither the
session id nor the device or address in plaintext."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from tests.conftest import settings_for
from tests.web import WebSchool, build_web_school, client_for, csrf, post, sign_in


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[System]:
    url = request.getfixturevalue("pg_schema")[1] if request.param == "postgres" else None
    with build(replace(settings_for(tmp_path, url), views_mode="inline")) as built:
        yield built


@pytest.fixture
def web(system: System) -> WebSchool:
    return build_web_school(system.journal)


@pytest.fixture
def clock_offset(monkeypatch: pytest.MonkeyPatch):
    """Move the wall clock (the session's times and the cookie's signature)."""
    shift = {"seconds": 0.0}
    real = time.time
    monkeypatch.setattr("time.time", lambda: real() + shift["seconds"])
    return shift


def _replay(system: System, client: FlaskClient) -> FlaskClient:
    """A new browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = web_app(system, testing=True).test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _client(app: Any, address: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _signed_out(client: FlaskClient) -> bool:
    answer = client.get("/journal/")
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_old_cookie_after_logout_opens_nothing(system: System, web: WebSchool) -> None:
    teacher = client_for(system, web, "teacher")
    copy = _replay(system, teacher)
    assert copy.get("/journal/").status_code == 200  # the copy works while the session lives
    assert post(teacher, "/logout", {}).status_code == 302
    assert _signed_out(copy)
    assert _signed_out(teacher)


@pytest.mark.parametrize("change", ["password reset", "role granted", "role revoked", "lock"])
def test_a_credentials_change_ends_every_session_of_the_account(
    system: System, web: WebSchool, change: str
) -> None:
    s = web.school
    teacher = client_for(system, web, "teacher")
    other_browser = client_for(system, web, "teacher")
    bystander = client_for(system, web, "deputy")
    accounts = system.journal.accounts
    if change == "password reset":
        accounts.change_password(s.teacher, "novyi-klyuch-uchitelya-7", s.admin)
    elif change == "role granted":
        accounts.grant_role(s.teacher, "class_teacher", s.admin)
    elif change == "role revoked":
        accounts.revoke_role(s.teacher, "teacher", s.admin)
    else:
        accounts.lock_account(s.teacher, "Проверка", s.admin)
        accounts.unlock_account(s.teacher, s.admin)  # unlocking brings no session back
    system.views.catch_up()
    assert _signed_out(teacher) and _signed_out(other_browser)
    assert bystander.get("/journal/").status_code == 200  # other accounts keep theirs


def test_an_admin_password_reset_through_the_page_ends_the_old_cookie(
    system: System, web: WebSchool
) -> None:
    teacher = client_for(system, web, "teacher")
    copy = _replay(system, teacher)
    admin = client_for(system, web, "admin")
    page = admin.get(f"/admin/accounts/{web.school.teacher}").get_data(as_text=True)
    action = re.search(r'action="([^"]*password[^"]*)"', page)
    assert action, page[:3000]
    answer = post(
        admin,
        action.group(1),
        {"password": "novyi-klyuch-uchitelya-7", "password2": "novyi-klyuch-uchitelya-7"},
        page=f"/admin/accounts/{web.school.teacher}",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert _signed_out(copy) and _signed_out(teacher)
    sign_in(teacher, "teacher", "novyi-klyuch-uchitelya-7")
    # Signed in again, and led to change the password an administrator set (item 1).
    forced = teacher.get("/journal/")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/password")


def test_a_session_ends_twelve_hours_after_sign_in_however_used(
    system: System, web: WebSchool, clock_offset: dict[str, float]
) -> None:
    teacher = client_for(system, web, "teacher")
    for minutes in range(20, 12 * 60, 20):  # a request every 20 minutes: never idle
        clock_offset["seconds"] = minutes * 60
        assert teacher.get("/journal/").status_code == 200, minutes
    clock_offset["seconds"] = 12 * 3600 + 60
    assert _signed_out(teacher)


def test_the_csrf_token_of_the_anonymous_page_is_refused_after_sign_in(
    system: System, web: WebSchool
) -> None:
    client = web_app(system, testing=True).test_client()
    before = csrf(client)
    login, password = web.logins["teacher"]
    answer = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": before}
    )
    assert answer.status_code == 302
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/journal/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": csrf(client, "/journal/")}).status_code == 302


def test_a_person_sees_their_sessions_and_ends_one(system: System, web: WebSchool) -> None:
    app = web_app(system, testing=True)
    office = _client(app, "10.1.2.3")
    office.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0"
    sign_in(office, *web.logins["teacher"])
    tablet = _client(app, "10.9.8.7")
    tablet.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0"
    sign_in(tablet, *web.logins["teacher"])
    page = office.get("/account/sessions").get_data(as_text=True)
    assert "Firefox, Windows" in page and "Chrome, Android" in page
    assert "10.1.2.3" in page and "10.9.8.7" in page
    others = re.findall(r'name="session" value="([0-9a-f]{64})"', page)
    assert len(others) == 2
    tablet_id = others[1]  # this session is listed first
    answer = post(office, "/account/sessions/end", {"session": tablet_id}, "/account/sessions")
    assert answer.status_code == 302
    assert _signed_out(tablet)
    assert office.get("/journal/").status_code == 200
    # Another person's session cannot be ended from here.
    deputy = client_for(system, web, "deputy")
    stranger = re.findall(
        r'name="session" value="([0-9a-f]{64})"', deputy.get("/account/sessions").get_data(True)
    )[0]
    post(office, "/account/sessions/end", {"session": stranger}, "/account/sessions")
    assert deputy.get("/journal/").status_code == 200


def test_end_every_other_session(system: System, web: WebSchool) -> None:
    mine = client_for(system, web, "teacher")
    others = [client_for(system, web, "teacher") for _ in range(2)]
    answer = post(mine, "/account/sessions/end-others", {}, "/account/sessions")
    assert answer.status_code == 302
    assert all(_signed_out(c) for c in others)
    assert mine.get("/journal/").status_code == 200


def test_no_session_id_device_or_address_in_plaintext(system: System, web: WebSchool) -> None:
    client = _client(web_app(system, testing=True), "10.77.66.55")
    client.environ_base["HTTP_USER_AGENT"] = "UniqueTestAgent/7.7"
    sign_in(client, *web.logins["teacher"])
    with client.session_transaction() as cookie:
        sid = cookie["_sid"]
    with system.view_db.read() as cur:
        cur.execute("SELECT * FROM ops_sessions")
        dump = repr(cur.fetchall())
    for secret in (sid, "UniqueTestAgent", "10.77.66.55"):
        assert secret not in dump
    if system.settings.database.backend == "sqlite":
        raw = Path(system.settings.database.path).read_bytes()
        for name in ("-wal", ""):
            extra = Path(system.settings.database.path + name)
            raw += extra.read_bytes() if extra.exists() else b""
        for secret in (sid, "UniqueTestAgent", "10.77.66.55"):
            assert secret.encode() not in raw


def test_ones_own_password_change_ends_the_other_sessions_and_this_one_goes_on(
    system: System, web: WebSchool
) -> None:
    here = client_for(system, web, "teacher")
    elsewhere = client_for(system, web, "teacher")
    copy = _replay(system, here)  # the cookie this browser held before the change
    data = {"current": "uchitel-secret-1", "password": "tihaya-gavan-22"}
    answer = post(here, "/password", {**data, "password2": data["password"]}, page="/password")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert _signed_out(elsewhere) and _signed_out(copy)
    assert here.get("/journal/").status_code == 200  # a new session, at the new generation
