"""Bad input on every form: each POST route of the web UI (enumerated from the app's URL
map, so a new form is fuzzed as soon as it exists — and this test fails until it is given a
page and a role below) gets random strings, 100 KB values, unicode edge cases, wrong types,
duplicated and missing fields and broken multipart bodies, from a signed-in user of a role
that may use it. No answer is a 5xx; an answer that refuses (4xx) wrote no event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from tests.conftest import settings_for
from tests.reliability.fuzzing import FUZZ_SETTINGS, FormCase, form_cases, form_fields, send_form
from tests.reliability.input_support import (
    ANONYMOUS,
    FUZZ,
    fuzz_verdict,
    record_figures,
    role_for,
)
from tests.school import LESSON_DAY, at
from tests.web import (
    PASSWORD,
    UNLIMITED,
    WebSchool,
    build_web_school,
    csrf,
    lesson_with_request,
    sign_in,
    written_since,
)

# The three fuzz modules add to one count (input_support.FUZZ, one process): under
# pytest-xdist they run in one worker.
pytestmark = pytest.mark.xdist_group("fuzz")

#: The page that holds each form (its fields are read from there), by endpoint. A POST route
#: missing here fails ``test_every_post_route_has_a_fuzz_target``.
PAGES = {
    "admin.create_account": "/admin/accounts",
    "admin.create_service_account": "/admin/accounts",
    "admin.lock": "/admin/accounts/{account_id}",
    "admin.reset_password": "/admin/accounts/{account_id}",
    "admin.change_role": "/admin/accounts/{account_id}",
    "admin.unlock": "/admin/accounts/{account_id}",
    "admin.issue_token": "/admin/tokens",
    "admin.revoke_token": "/admin/tokens",
    "admin.assign_teacher": "/admin/groups/{group_id}",
    "admin.unassign_teacher": "/admin/groups/{group_id}",
    "admin.open_course": "/admin/groups/{group_id}",
    "admin.import_list": "/admin/groups/{group_id}/import",
    "admin.enrol": "/admin/groups/{group_id}",
    "admin.withdraw": "/admin/groups/{group_id}",
    "admin.class_teacher": "/admin/groups/{group_id}",
    "admin.register_pupil": "/admin/pupils",
    "admin.add_guardian": "/admin/pupils/{student_id}",
    "admin.link_guardian": "/admin/pupils/{student_id}",
    "admin.open_year": "/admin/years",
    "admin.form_class": "/admin/years/{year_id}",
    "admin.form_group": "/admin/years/{year_id}",
    "admin.define_term": "/admin/years/{year_id}",
    "audit.verify_now": "/audit/",
    "classes.decide": "/classes/approvals",
    "classes.decide_late": "/classes/approvals",
    "classes.council_record": "/classes/{group_id}/council",
    "diary.seen": "/diary/{student_id}",
    "classes.close": "/classes/terms",
    "classes.reopen": "/classes/terms",
    "journal.term_marks": "/journal/{course_journal_id}/{term}",
    "journal.new_lesson": "/journal/{course_journal_id}/{term}",
    "journal.save_lesson": "/journal/lessons/{lesson_id}",
    "journal.correct": "/journal/lessons/{lesson_id}",
    "journal.request_correction": "/journal/lessons/{lesson_id}",
    "journal.request_late_entry": "/journal/lessons/{lesson_id}",
    "auth.login": "/login",
    "auth.change_password": "/password",
    "profile.decide_grant": "/profile/grants",
    "profile.issue_token": "/profile/",
    "profile.revoke_token": "/profile/",
    "sessions.end_one": "/account/sessions",
    "sessions.end_others": "/account/sessions",
    "auth.logout": "/",
    "records.approve": "/records/proposals",
    "records.execute": "/records/proposals",
    "records.hold_place": "/records/holds",
    "records.hold_release": "/records/holds",
    "records.propose": "/records/plan",
    "records.reject": "/records/proposals",
    "records.transfer": "/records/proposals",
    "records.year_close": "/records/year",
    "journal.save_column": "/journal/{course_journal_id}/{term}",
    "admin.set_profile": "/admin/profile",
    "timetable.bells": "/timetable/",
    "timetable.days_off": "/timetable/",
    "timetable.withdraw_days_off": "/timetable/",
    "timetable.import_timetable": "/timetable/",
    "timetable.substitute": "/timetable/",
    "timetable.cancel_substitution": "/timetable/",
    "timetable.pattern": "/timetable/{course_journal_id}",
    "timetable.plan": "/timetable/{course_journal_id}",
    "timetable.hold": "/journal/",
    "timetable.hold_substituted": "/journal/",
    "notify.subscribe": "/profile/mail",
    "notify.unsubscribe": "/profile/mail",
    "regulations.approve": "/regulations/",
    "notify.unsubscribe_by_link": "/mail/unsubscribe/{token}",
}
#: Fields a page shows only in some states (the fuzz sends them anyway).
EXTRA_FIELDS = {
    "classes.decide": ["decision", "reason"],
    "records.approve": ["id", "reason", "confirm"],
    "records.reject": ["id", "reason"],
    "records.execute": ["id"],
    "records.transfer": ["id"],
    "records.hold_release": ["id", "reason"],
    "records.propose": ["series", "reason"],
    "admin.import_list": ["file", "on", "step"],
    # the grid's script sends these (``grid_table.parse_column``); the page has no such form
    "journal.save_column": ["kind", "reason", "form_key", "cell-x", "was-x"],
    "timetable.hold": ["course", "day", "period"],
    "timetable.hold_substituted": ["course", "day", "period"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, WebSchool, dict]]:
    folder = tmp_path_factory.mktemp("fuzz-forms")
    with build(replace(settings_for(folder), rate_limits=UNLIMITED)) as system:
        web = build_web_school(system.journal)
        s = web.school
        lesson, mark, request = lesson_with_request(system, web)
        with clock.travel(at(LESSON_DAY, 10)):
            # Account forms act on an account of its own: locking the teacher would end the
            # fuzzing of the journal's forms.
            victim = system.journal.accounts.create_account(
                "victim", "Проверочный", "Пользователь", "", ["teacher"], PASSWORD, s.admin
            ).id
            token = system.journal.tokens.issue_api_token(victim, "fuzz", victim).id
        values = {
            "course_journal_id": s.course_id,
            "group_id": s.class_id,
            "student_id": s.pupils[2],
            "lesson_id": lesson,
            "mark_id": mark,
            "request_id": request,
            # No late-entry request stands in this school (its lesson is within the window):
            # the decision form is fuzzed against an unknown request, which must answer 4xx.
            "late_request_id": UUID("00000000-0000-4000-8000-00000000001a"),
            "year_id": s.year_id,
            "term": 1,
            "account_id": victim,
            "token_id": token,
            # the signed opt-out link's token: a forged one must be refused, never a 5xx
            "token": "forged.token",
        }
        yield system, web, values
    record_figures("fuzz", dict(FUZZ))


def post_routes(app: Flask) -> dict[str, Any]:
    """Every POST route of the UI (the API has its own fuzzing), by endpoint."""
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
    }


def test_every_post_route_has_a_fuzz_target(world):
    system, _, _ = world
    routes = post_routes(web_app(system, testing=True))
    assert sorted(set(routes) - set(PAGES)) == [], "add the form's page to PAGES"
    assert sorted(set(PAGES) - set(routes)) == [], "PAGES names a route that is gone"


def _client(system: System, web: WebSchool, role: str) -> FlaskClient:
    client = web_app(system, testing=True).test_client()
    if role != ANONYMOUS:
        sign_in(client, *web.logins[role])
    return client


ENDPOINTS = sorted(PAGES)
#: Forms after which the fuzzing client may be signed out: a fresh session for the next case.
SIGNING_OUT = (
    "auth.logout",
    "auth.login",
    "auth.change_password",
    "sessions.end_one",
    "sessions.end_others",
)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_form_survives_bad_input(world, endpoint: str):
    system, web, values = world
    app = web_app(system, testing=True)
    rule = post_routes(app)[endpoint]
    role = role_for(system, app, endpoint)
    path = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
    page = PAGES[endpoint].format(**values)
    client = _client(system, web, role)
    shown = client.get(page)
    fields = form_fields(shown.get_data(as_text=True), path) if shown.status_code == 200 else []
    names = sorted({*fields, *EXTRA_FIELDS.get(endpoint, [])})
    token = csrf(
        client, page if shown.status_code == 200 and "csrf_token" in shown.text else "/login"
    )
    failures: list[str] = []

    @given(case=form_cases(names))
    @FUZZ_SETTINGS
    def fuzz(case: FormCase) -> None:
        nonlocal client, token
        before = system.journal.recorder.max_notification_id() or 0
        response = send_form(client, path, case, token)
        written = written_since(system, before)
        fuzz_verdict(response.status_code, written, "form cases")
        if response.status_code >= 500 or (400 <= response.status_code < 500 and written):
            failures.append(f"{response.status_code} {written} {case!r:.300}")
        if endpoint in SIGNING_OUT or response.status_code == 400:
            client = _client(system, web, role)  # a fresh session for the next case
            token = csrf(client, "/login")

    with clock.travel(at(LESSON_DAY, 16)):  # within the entry window: writes can succeed
        fuzz()
    assert failures == [], f"{endpoint} ({role or 'anonymous'}), fields {names}: {failures[:3]}"


# --- the regional pages (web/region.py, ADR 0027), over a backend in memory ----------------
#: The page that holds each regional form, and who sends it. The backend's refusals are the
#: registry's own (``check_school``); over the real registry and schools the same forms are
#: refused on PostgreSQL in tests/integration/test_tenants.py.
REGION_PAGES = {
    "login_post": ("/login", None),
    "logout": ("/", "oblast-admin"),
    "add": ("/", "oblast-admin"),
    "status": ("/schools/sch001/disable", "oblast-admin"),
    "verify": ("/schools/sch001/ledger", "oblast-audit"),
}
REGION_EXTRA_FIELDS = {"add": ["confirmed"], "status": ["status", "reason", "back"]}


def _region_post_routes() -> dict[str, Any]:
    from tests.region_fake import FakeRegion, region_app

    app = region_app(FakeRegion())
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()  # type: ignore[attr-defined]
        if "POST" in (rule.methods or set())
    }


def test_every_regional_post_route_has_a_fuzz_target():
    routes = _region_post_routes()
    assert sorted(set(routes) - set(REGION_PAGES)) == [], "add the form's page to REGION_PAGES"
    assert sorted(set(REGION_PAGES) - set(routes)) == [], "REGION_PAGES names a route that is gone"


@pytest.mark.parametrize("endpoint", sorted(REGION_PAGES))
def test_a_regional_form_survives_bad_input(endpoint: str):
    from tests.region_fake import FakeRegion, csrf, region_app, signed_in

    region = FakeRegion()
    region.add("sch001", "Школа № 1")
    app = region_app(region)
    page, login = REGION_PAGES[endpoint]
    rule = _region_post_routes()[endpoint]
    path = rule.build({"code": "sch001"} if "code" in rule.arguments else {})[1]
    client = signed_in(app, login)
    fields = form_fields(client.get(page).get_data(as_text=True), path)
    names = sorted({*fields, *REGION_EXTRA_FIELDS.get(endpoint, [])})
    token = csrf(client, page)
    failures: list[str] = []

    @given(case=form_cases(names))
    @FUZZ_SETTINGS
    def fuzz(case: FormCase) -> None:
        nonlocal client, token
        before = len(region.writes)
        response = send_form(client, path, case, token)
        written = [str(w) for w in region.writes[before:]]
        fuzz_verdict(response.status_code, written, "form cases")
        if response.status_code >= 500 or (400 <= response.status_code < 500 and written):
            failures.append(f"{response.status_code} {written} {case!r:.300}")
        if endpoint in ("logout", "login_post") or response.status_code == 400:
            client = signed_in(app, login)  # a fresh session for the next case
            token = csrf(client, page)

    fuzz()
    assert failures == [], f"{endpoint} ({login or 'anonymous'}), fields {names}: {failures[:3]}"
