"""``ejournal demo --year`` for a past year gives a complete year: the deputy head has
nothing missing to list, and the annual archive closes it without --force (issue 17 item 10).

A class of three pupils of a grade that sits exams (the test's copy of the policies lists
5 under ``[exams]``) keeps it quick; the clock stands in July after the year."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from domain import clock
from ejournal.cli import main
from ejournal.demo import TERM_WHY, YEAR_WHY
from tests.archive_helpers import need, pdf_text
from tests.conftest import ROOT

JULY = clock.local_datetime(date(2026, 7, 10), 12)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("demo-year")
    policies = folder / "policies"
    shutil.copytree(ROOT / "policies", policies)
    grading = policies / "grading.toml"
    text = grading.read_text(encoding="utf-8")
    grading.write_text(text.replace("grades = [9, 11]", "grades = [5, 9, 11]"), encoding="utf-8")
    env = {"EJOURNAL_VAR_DIR": str(folder / "var"), "EJOURNAL_POLICIES_DIR": str(policies)}
    with clock.travel(JULY):
        seeded = cli(env, "demo", "--year", "2025-26", "--classes", "1", "--pupils", "3")
        assert seeded.exit_code == 0, seeded.output
        assert "year 2025/26 complete" in seeded.output
        assert "3 council decisions" in seeded.output
        yield env


def cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def test_nothing_is_missing_and_every_pupil_has_a_decision(school: dict[str, str]) -> None:
    with clock.travel(JULY):
        missing = cli(school, "year", "missing", "2025/26")
        undecided = cli(school, "year", "undecided", "2025/26")
    assert missing.exit_code == 0 and missing.output.strip() == "не выставлено отметок: 0"
    assert undecided.output.strip() == "нет решения педагогического совета: 0"


def test_the_archive_closes_the_year_without_force(school: dict[str, str]) -> None:
    need("pdftotext")
    with clock.travel(JULY):
        assert cli(school, "keys", "demo").exit_code == 0
        made = cli(school, "archive", "close-year", "2025/26", "--as", "head")
    assert made.exit_code == 0, made.output
    assert "учебный год 2025/26 закрыт" in made.output
    paths = [Path(p) for p in re.findall(r"^\s+(\S+\.pdf)\s", made.output, re.MULTILINE)]
    summary = next(p for p in paths if p.name.startswith("summary"))
    text = pdf_text(summary, 1, 99)
    assert "неполном заполнении" not in text
    decisions = [line.split() for line in text.splitlines() if "выпущен(а)" in line]
    assert len(decisions) == 3 and all(row[-2:] == ["9", "25.06.2026"] for row in decisions)
    assert "экзаменационн" in text
    # the demo's term and year marks set above the rounded average, with the teacher's
    # reason, are explained in the class journal volume (ADR 0024)
    volume = next(p for p in paths if p.name.startswith("journal"))
    flat = " ".join(pdf_text(volume, 1, 999).split())
    assert "Расчёт отметок, выставленных не по округлённому среднему" in flat
    assert " ".join(TERM_WHY.split()) in flat and " ".join(YEAR_WHY.split()) in flat
