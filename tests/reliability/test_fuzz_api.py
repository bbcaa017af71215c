"""Bad input on every write of the JSON API: each POST route under /api/v1 (from the app's
URL map) gets JSON bodies of wrong types — the right keys with any values, nested items of
the wrong shape, any JSON at all, duplicated keys, broken JSON, a wrong content type — with
the bearer token of a role that may call it. No answer is a 5xx, every refusal is a JSON
error, and a refusal (4xx) wrote no event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from tests.conftest import settings_for
from tests.reliability.fuzzing import API_SETTINGS, ApiCase, api_cases
from tests.reliability.input_support import FUZZ, fuzz_verdict, record_figures, role_for
from tests.school import LESSON_DAY, at
from tests.web import (
    UNLIMITED,
    WebSchool,
    api_token,
    bearer,
    build_web_school,
    lesson_with_request,
    written_since,
)

# The three fuzz modules add to one count (input_support.FUZZ, one process): under
# pytest-xdist they run in one worker.
pytestmark = pytest.mark.xdist_group("fuzz")

API = "/api/v1/"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, WebSchool, dict]]:
    settings = replace(settings_for(tmp_path_factory.mktemp("fuzz-api")), rate_limits=UNLIMITED)
    with build(settings) as system:
        web = build_web_school(system.journal)
        lesson, mark, _request = lesson_with_request(system, web)
        values = {"course_journal_id": web.school.course_id, "lesson_id": lesson, "mark_id": mark}
        yield system, web, values
    record_figures("fuzz", dict(FUZZ))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def body_properties(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The properties of the JSON object the operation takes (items' schemas resolved)."""
    operation = spec["paths"][path]["post"]
    schema = _resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    properties = dict(schema.get("properties", {}))
    for name, prop in properties.items():
        if "items" in prop:
            properties[name] = {**prop, "items": _resolve(spec, prop["items"])}
    return properties


def api_routes(system: System) -> dict[str, Any]:
    app = web_app(system, testing=True)
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.rule.startswith(API)
    }


def test_the_api_has_writes_to_fuzz(world):
    system, _, _ = world
    assert len(api_routes(system)) >= 6


@pytest.mark.parametrize(
    "endpoint",
    [
        "api_lessons.create_lesson",
        "api_attendance.mark_attendance",
        "api_marks.record",
        "api_marks.cancel",
        "api_marks.correct",
        "api_marks.request_correction",
    ],
)
def test_an_api_write_survives_bad_json(world, endpoint: str):
    system, web, values = world
    routes = api_routes(system)
    assert endpoint in routes
    app = web_app(system, testing=True)
    client = app.test_client()
    rule = routes[endpoint]
    path = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
    spec = client.get(API + "openapi.json").get_json()
    properties = body_properties(spec, rule.rule.replace("<uuid:", "{").replace(">", "}"))
    headers = bearer(api_token(system, web, role_for(system, app, endpoint)))
    failures: list[str] = []

    @given(case=api_cases(properties))
    @API_SETTINGS
    def fuzz(case: ApiCase) -> None:
        before = system.journal.recorder.max_notification_id() or 0
        response = client.post(
            path, data=case.body, content_type=case.content_type, headers=headers
        )
        written = written_since(system, before)
        fuzz_verdict(response.status_code, written, "api cases")
        status = response.status_code
        if status >= 500 or (400 <= status < 500 and written):
            failures.append(f"{status} {written} {case.body[:300]!r}")
        elif status >= 400 and response.mimetype != "application/json":
            failures.append(f"{status} not JSON: {case.body[:300]!r}")

    with clock.travel(at(LESSON_DAY, 16)):  # within the entry window: writes can succeed
        fuzz()
    assert failures == [], f"{endpoint}: {failures[:3]}"


def test_every_api_write_is_fuzzed(world):
    system, _, _ = world
    fuzzed = test_an_api_write_survives_bad_json.pytestmark[0].args[1]
    assert sorted(api_routes(system)) == sorted(fuzzed)
