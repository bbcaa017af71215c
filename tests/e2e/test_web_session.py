"""Sessions: cookies are HttpOnly and SameSite; a session idle for longer than the limit is
refused by the server (not only forgotten by the browser); activity keeps it alive; a locked
account is signed out at its next request."""

from __future__ import annotations

import time

import pytest

from ejournal.bootstrap import System
from tests.web import WebSchool, client_for


@pytest.fixture
def clock_offset(monkeypatch: pytest.MonkeyPatch):
    """Move the wall clock the session signature is checked against."""
    shift = {"seconds": 0.0}
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() + shift["seconds"])
    return shift


def test_cookie_flags(system: System, web: WebSchool):
    client = client_for(system, web, "teacher")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_idle_session_expires_and_activity_keeps_it(system: System, web: WebSchool, clock_offset):
    client = client_for(system, web, "teacher")
    assert client.get("/journal/").status_code == 200
    clock_offset["seconds"] = 25 * 60
    assert client.get("/journal/").status_code == 200  # active: re-signed now
    clock_offset["seconds"] = 50 * 60  # 25 idle minutes since the last request
    assert client.get("/journal/").status_code == 200
    clock_offset["seconds"] = 81 * 60  # 31 idle minutes
    response = client.get("/journal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_locked_account_is_signed_out(system: System, web: WebSchool):
    client = client_for(system, web, "teacher")
    assert client.get("/journal/").status_code == 200
    system.journal.accounts.lock_account(
        web.school.teacher, "Проверка блокировки", web.school.admin
    )
    response = client.get("/journal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
