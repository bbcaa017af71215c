"""schemathesis over /api/v1/openapi.json, beyond tests/e2e/test_api_schema.py: the same
school, operations and checks (reused from there), with other generated cases (derandomized
from this test's own source, so reproducible but not the e2e test's) and one more check: a
request the API refuses (4xx) wrote no event. Cases and 5xx are counted into the fuzzing's
figures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from schemathesis import GenerationMode

from domain import clock
from ejournal.bootstrap import System
from tests.e2e.test_api_schema import CHECKS, OPERATIONS, api_schema
from tests.reliability.fuzzing import FUZZ_SETTINGS
from tests.reliability.input_support import FUZZ, fuzz_verdict, record_figures
from tests.school import LESSON_DAY, at
from tests.web import written_since

# The three fuzz modules add to one count (input_support.FUZZ, one process): under
# pytest-xdist they run in one worker.
pytestmark = pytest.mark.xdist_group("fuzz")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, System]]:
    with api_schema(tmp_path_factory.mktemp("fuzz-schema")) as found:
        yield found
    record_figures("fuzz", dict(FUZZ))


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_get_no_5xx_and_refusals_write_nothing(
    world, label: str, mode: GenerationMode
):
    schema, system = world
    operation = schema.find_operation_by_label(label)
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ_SETTINGS
    def call(case: Any) -> None:
        before = system.journal.recorder.max_notification_id() or 0
        response = case.call_and_validate(checks=CHECKS)
        written = written_since(system, before)
        fuzz_verdict(response.status_code, written, "schemathesis cases")
        if 400 <= response.status_code < 500 and written:
            failures.append(f"{response.status_code} wrote {written}: {case.body!r:.300}")

    with clock.travel(at(LESSON_DAY, 16)):
        call()
    assert failures == [], failures[:3]
