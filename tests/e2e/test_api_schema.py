"""schemathesis against ``/api/v1/openapi.json`` on the WSGI app (no network), with a
teacher's token: generated requests, valid and invalid, never get a 5xx, and every response
conforms to the published schema (status code, content type, headers, body)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at
from tests.web import UNLIMITED, api_token, build_web_school

#: Left out: ``positive_data_acceptance`` (a request valid by the schema may break a rule
#: of the journal — a mark off the scale, a pupil not enrolled — and 409/422 is then right);
#: ``ignored_auth`` (it re-sends every request twice; the route × role matrix of
#: tests/e2e/test_web_access.py already calls every API route without a token and wants 401,
#: and tests/e2e/test_api.py tries bad, revoked and locked tokens).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


OPERATIONS = [
    "GET /api/v1/course-journals",
    "GET /api/v1/course-journals/{course_journal_id}/terms/{term}/lessons",
    "POST /api/v1/course-journals/{course_journal_id}/lessons",
    "GET /api/v1/lessons/{lesson_id}",
    "POST /api/v1/lessons/{lesson_id}/marks",
    "POST /api/v1/lessons/{lesson_id}/marks/{mark_id}/correction",
    "POST /api/v1/lessons/{lesson_id}/marks/{mark_id}/cancellation",
    "POST /api/v1/lessons/{lesson_id}/marks/{mark_id}/correction-requests",
    "POST /api/v1/lessons/{lesson_id}/attendance",
    "GET /api/v1/students/{student_id}/diary",
    "GET /api/v1/students/{student_id}/diary/week",
]


@contextmanager
def api_schema(folder: Path) -> Iterator[tuple[Any, System]]:
    """The API's schema over a small school, called with a teacher's token, and the system
    under it. Path parameters are often real ids (the teacher's and another teacher's), so
    the operations are reached, not only refused."""
    with build(replace(settings_for(folder), rate_limits=UNLIMITED)) as system:
        web = build_web_school(system.journal)
        s = web.school
        lessons = [s.hold(), s.hold(course=s.other_course_id)]
        entry = [MarkEntry(s.pupils[0], "4", "test")]
        with clock.travel(at(LESSON_DAY, 16)):
            marks = s.journal.entry.record_marks(lessons[0], entry, s.teacher).created
        teacher, parent = api_token(system, web, "teacher"), api_token(system, web, "parent")
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", web_app(system, testing=True)
        )
        known = {
            "course_journal_id": [str(s.course_id), str(s.other_course_id)],
            "lesson_id": [str(x) for x in lessons],
            "student_id": [str(s.pupils[0]), str(s.outsider)],
            "mark_id": [str(x) for x in marks],
            "term": [1, 2],
        }

        @schema.hook
        def flatmap_path_parameters(_context: Any, parameters: dict[str, Any] | None) -> Any:
            if not parameters:
                return st.just(parameters)
            return st.fixed_dictionaries(
                {k: st.sampled_from([v, *known.get(k, [])]) for k, v in parameters.items()}
            )

        @schema.auth()
        class Tokens:
            """The teacher's bearer token (a parent's for the diary, which teachers may
            not read)."""

            def get(self, _case: Any, _context: Any) -> dict[str, str]:
                return {"teacher": teacher, "parent": parent}

            def set(self, case: Any, data: dict[str, str], _context: Any) -> None:
                token = data["parent" if "/diary" in case.operation.path else "teacher"]
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

        yield schema, system


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with api_schema(tmp_path_factory.mktemp("schema")) as (schema, _system):
        yield schema


def test_the_description_lists_every_operation(world):
    schema = world
    assert sorted(op.ok().label for op in schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_api_conforms_to_its_openapi_description(world, label: str, mode: GenerationMode):
    schema = world
    operation = schema.find_operation_by_label(label)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        statuses.append(case.call_and_validate(checks=CHECKS).status_code)

    statuses: list[int] = []
    with clock.travel(at(LESSON_DAY, 16)):  # within the entry window: writes can succeed
        call()
    if mode == GenerationMode.POSITIVE:  # (negative cases may break the header on purpose)
        assert 401 not in statuses, statuses  # every request got past authentication...
        if label.startswith("GET"):  # ... and reads reached the data, not only refusals
            assert any(200 <= status < 300 for status in statuses), statuses
