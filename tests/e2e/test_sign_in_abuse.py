"""Sign-in abuse (issue 14, item 4; ADR 0012): a locked, an unknown and a wrong sign-in get
one answer; failed sign-ins write no events; five failures refuse that login from that
address only, so a flood cannot keep ``admin`` out; rate limits answer 429 with
``Retry-After`` and a Russian message, on the sign-in page and on the API."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from ejournal.bootstrap import System
from ejournal.webapp import services_of, web_app
from tests.web import WebSchool, api_token, bearer, csrf, written_since
from web import WebConfig, create_app


def _app(system: System, *limits: tuple[str, int, int]) -> Any:
    config = WebConfig(secret_key=b"k" * 32, testing=True, rate_limits=limits)
    return create_app(services_of(system, config), config)


def _client(app: Any, address: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client: FlaskClient, login: str, password: str) -> Any:
    return client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf(client)}
    )


def _body(answer: Any) -> str:
    """The page without what differs by design between two answers (the form's token)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", answer.get_data(as_text=True))


def test_a_locked_account_answers_the_right_password_exactly_like_a_wrong_one(
    system: System, web: WebSchool
) -> None:
    s = web.school
    system.journal.accounts.lock_account(s.teacher, "Проверка блокировки", s.admin)
    system.views.catch_up()
    client = web_app(system, testing=True).test_client()
    right = _attempt(client, "teacher", web.logins["teacher"][1])
    wrong = _attempt(client, "teacher", "not-the-password")
    assert right.status_code == wrong.status_code == 401
    assert _body(right) == _body(wrong)
    unknown = _attempt(client, "nobody", "not-the-password")
    assert unknown.status_code == 401
    assert _body(unknown).replace('value="nobody"', 'value="teacher"') == _body(wrong)


def test_failed_sign_ins_write_no_events(system: System, web: WebSchool) -> None:
    client = web_app(system, testing=True).test_client()
    start = system.journal.recorder.max_notification_id() or 0
    for _ in range(6):
        assert _attempt(client, "nobody-here", "guess-guess-1").status_code == 401
    assert written_since(system, start) == []  # unknown logins
    for _ in range(6):
        assert _attempt(client, "admin", "guess-guess-1").status_code == 401
    assert written_since(system, start) == []  # and known ones: no event, no lock


def test_a_flood_from_one_address_does_not_keep_admin_out(system: System, web: WebSchool) -> None:
    app = web_app(system, testing=True)
    attacker = _client(app, "203.0.113.9")
    for _ in range(8):
        assert _attempt(attacker, "admin", "guess-guess-1").status_code == 401
    # From the attacker's address even the right password is refused now, as a wrong one.
    assert _attempt(attacker, "admin", web.logins["admin"][1]).status_code == 401
    office = _client(app, "10.0.0.5")
    assert _attempt(office, "admin", web.logins["admin"][1]).status_code == 302
    assert not system.journal.queries.account(web.school.admin).locked


def test_too_many_sign_ins_from_one_address_answer_429(system: System, web: WebSchool) -> None:
    client = _app(system, ("signin-address", 3, 300)).test_client()
    for _ in range(3):
        assert _attempt(client, "nobody", "guess-guess-1").status_code == 401
    answer = _attempt(client, "teacher", web.logins["teacher"][1])
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= 300
    assert "Слишком много попыток" in answer.get_data(as_text=True)


def test_too_many_failures_of_one_login_from_many_addresses_answer_429(
    system: System, web: WebSchool
) -> None:
    app = _app(system, ("signin-login", 4, 900))
    for n in range(4):
        client = _client(app, f"198.51.100.{n}")
        assert _attempt(client, "teacher", "guess-guess-1").status_code == 401
    client = _client(app, "198.51.100.99")
    assert _attempt(client, "teacher", "guess-guess-1").status_code == 429


def test_the_api_answers_429_with_retry_after(system: System, web: WebSchool) -> None:
    token = api_token(system, web, "teacher")
    client = _app(system, ("api-account", 5, 60)).test_client()
    path = "/api/v1/course-journals"
    answers = [client.get(path, headers=bearer(token)) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    limited = answers[5]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["message"].startswith("Слишком много запросов")
    # The limit is the account's: another account's token still gets through.
    other = api_token(system, web, "deputy")
    assert client.get(path, headers=bearer(other)).status_code == 200


def test_the_api_limits_one_address_whatever_the_token(system: System, web: WebSchool) -> None:
    client = _app(system, ("api-address", 3, 60)).test_client()
    for _ in range(3):
        assert client.get("/api/v1/openapi.json").status_code == 200
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 429 and "Retry-After" in answer.headers
