"""Fixtures of the web tests: a built system on SQLite with the role-per-account school."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ejournal.bootstrap import System, build
from tests.conftest import settings_for
from tests.web import WebSchool, build_web_school


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    with build(settings_for(tmp_path)) as built:
        yield built


@pytest.fixture
def web(system: System) -> WebSchool:
    return build_web_school(system.journal)
