"""The route × role matrix, built from the app's URL map and ``policies/access.toml``:
every route names a permission (or is public), and every role gets the status that the
policy gives it — on its own records, on another class's or child's, and on ids that exist
nowhere (another school's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain import clock
from domain.account import ROLES
from ejournal.bootstrap import System, build
from ejournal.webapp import secret_key, web_app
from projections import mail
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at
from tests.web import (
    WebSchool,
    api_token,
    bearer,
    build_web_school,
    csrf,
    lesson_with_request,
    sign_in,
)
from web.access import PUBLIC

ANONYMOUS = "anonymous"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, WebSchool, dict]]:
    with build(settings_for(tmp_path_factory.mktemp("matrix"))) as system:
        web = build_web_school(system.journal)
        s = web.school
        lesson, mark, request = lesson_with_request(system, web)
        with clock.travel(at(LESSON_DAY + timedelta(days=14), 11)):
            late = system.journal.entry.request_late_entry(lesson, "Курсы", s.teacher).created[0]
        other_lesson = s.hold(course=s.other_course_id)
        token = system.journal.tokens.issue_api_token(s.teacher, "matrix", s.teacher).id
        assert s.outsider is not None
        with clock.travel(at(LESSON_DAY + timedelta(days=30), 11)):  # explained term marks
            system.journal.grades.set_term_mark(
                s.course_id, 1, s.pupils[0], "н/а", s.teacher, why="Матрица доступа"
            )
            system.journal.grades.set_term_mark(
                s.other_course_id, 1, s.outsider, "н/а", s.other_teacher
            )
        system.views.catch_up()
        own = {
            "course_journal_id": s.course_id,
            "course": s.course_id,  # the diary's explanation of a term mark: not a scope
            "group_id": s.class_id,
            "student_id": s.pupils[0],
            "lesson_id": lesson,
            "record_id": lesson,
            "mark_id": mark,
            "request_id": request,
            "late_request_id": late,
            "year_id": s.year_id,
            "term": 1,
            "position": 1,
            "code": "ru",
            "stem": "journal-regulation",  # a regulation (ADR 0025)
            "role": "teacher",  # a help page (public)
            "account_id": s.teacher,
            "token_id": token,
            # the opt-out link of a message (public; the parent never opted in: «уже»)
            "token": mail.unsubscribe_token(
                secret_key(system.settings.secret_key_file),
                system.journal.queries.account_by_login("parent").id,
            ),
        }
        foreign = {
            **own,
            "course_journal_id": s.other_course_id,
            "course": s.other_course_id,
            "group_id": s.other_class_id,
            "student_id": s.outsider,
            "lesson_id": other_lesson,
            "account_id": s.other_teacher,
        }
        nowhere = {k: (uuid.uuid4() if isinstance(v, uuid.UUID) else v) for k, v in own.items()}
        # The JSON API takes bearer tokens only: each role calls it with its own token.
        tokens = {role: api_token(system, web, role) for role in ROLES}
        samples = {"own": own, "foreign": foreign, "nowhere": nowhere}
        yield system, web, {**samples, "tokens": tokens}


def routes(app: Flask) -> list[tuple[str, str, Any]]:
    """(endpoint, method, rule) of every route but static files; sign-out last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r[0], r[1]))


def test_every_route_names_a_permission_from_the_policy(world):
    system, _, _ = world
    app = web_app(system, testing=True)
    access = system.views.policies.access
    missing = []
    for endpoint, method, _ in routes(app):
        code = getattr(app.view_functions[endpoint], "permission", None)
        if code is None or (code != PUBLIC and code not in access.permissions):
            missing.append(f"{method} {endpoint}: {code!r}")
    assert missing == [], "routes without an access rule in policies/access.toml"


def _url(rule: Any, samples: dict[str, Any]) -> str:
    unknown = set(rule.arguments) - set(samples)
    assert not unknown, f"{rule.rule}: add sample values for {sorted(unknown)} to this test"
    return rule.build({k: samples[k] for k in rule.arguments}, append_unknown=False)[1]


def _client(system: System, web: WebSchool, role: str) -> FlaskClient:
    client = web_app(system, testing=True).test_client()
    if role != ANONYMOUS:
        sign_in(client, *web.logins[role])
    return client


def _expected(scope: str | None, public: bool, role: str, which: str, api: bool) -> set[str]:
    if public:
        return {"ok", "401"}  # the sign-in form answers 401 to an empty login
    if role == ANONYMOUS:
        return {"401"} if api else {"login"}  # pages redirect to the sign-in form
    if scope is None:
        return {"403"}
    if which == "own":
        return {"ok"}
    if which == "foreign":
        return {"403"} if scope == "own" else {"ok"}
    return {"403", "404"} if scope == "own" else {"404"}


def _outcome(status: int, location: str) -> str:
    if status == 302 and "/login" in location:
        return "login"
    if status in (401, 403, 404):
        return str(status)
    if status >= 500:
        return f"5xx ({status})"
    return "ok"


@pytest.mark.parametrize("which", ["own", "foreign", "nowhere"])
@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_route_role_matrix(world, role: str, which: str):
    system, web, samples = world
    client = _client(system, web, role)
    app = web_app(system, testing=True)
    access = system.views.policies.access
    token = csrf(client, "/login" if role == ANONYMOUS else "/")
    wrong = []
    for endpoint, method, rule in routes(app):
        if which != "own" and not set(rule.arguments) & {
            "course_journal_id",
            "group_id",
            "student_id",
            "lesson_id",
            "record_id",
            "account_id",
            "year_id",
        }:
            continue
        if endpoint == "auth.logout" and which != "nowhere":
            continue  # sign-out ends the session: checked once, last
        code = app.view_functions[endpoint].permission
        public = code == PUBLIC
        scope = None if public else access.permission(code).scope_of({role})
        url = _url(rule, samples[which])
        api = url.startswith("/api/")
        headers = bearer(samples["tokens"][role]) if api and role != ANONYMOUS else {}
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, data={"csrf_token": token}, headers=headers)
        got = _outcome(response.status_code, response.headers.get("Location", ""))
        want = _expected(scope, public, role, which, api)
        if got not in want:
            wrong.append(f"{method} {url} ({endpoint}, {code}): got {got}, want {sorted(want)}")
    assert wrong == []
