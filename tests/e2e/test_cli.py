"""The ``ejournal`` command line, as an operator uses it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.cli import main
from tests.conftest import ROOT, settings_for
from tests.school import LESSON_DAY, at, build_school


def _env(tmp_path: Path, policies: Path | None = None) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(policies or ROOT / "policies"),
    }


def _broken_policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    grading = folder / "grading.toml"
    grading.write_text(
        'surprise = "x"\n'
        + grading.read_text(encoding="utf-8").replace("weight = 3", 'weight = "3"', 1),
        encoding="utf-8",
    )
    return folder


def test_policies_check_passes_on_the_shipped_policies(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["policies", "check"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "grading.toml" in result.output


def test_policies_check_names_file_and_key_of_each_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["policies", "check"], env=_env(tmp_path, _broken_policies(tmp_path))
    )
    assert result.exit_code == 4
    assert "grading.toml: surprise: Unknown field." in result.output
    assert "grading.toml: kinds.5.weight: Not a valid integer." in result.output


def test_the_app_refuses_to_start_with_broken_policies(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--port", "1"], env=_env(tmp_path, _broken_policies(tmp_path))
    )
    assert result.exit_code == 4
    assert "invalid policies" in result.output and "grading.toml" in result.output
    assert not (tmp_path / "var" / "ejournal.sqlite").exists()


def test_a_wrong_database_url_is_one_clear_message(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"EJOURNAL_DATABASE_URL": "mysql://x@y/z"}
    result = CliRunner().invoke(main, ["info"], env=env)
    assert result.exit_code == 3
    assert "unsupported scheme 'mysql'" in result.output


def test_history_prints_original_and_correction_with_actor_and_reason(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 14)):
            mark = system.journal.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "3", "test")], school.teacher
            ).created[0]
            system.journal.entry.correct_mark(
                lesson, mark, "4", "test", "пересчёт баллов", school.teacher
            )

    result = CliRunner().invoke(main, ["history", str(lesson), "--json"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["type"] for r in rows] == ["Held", "MarkRecorded", "MarkCorrected"]
    recorded, corrected = rows[1], rows[2]
    assert recorded["values"]["value"] == "3" and recorded["actor_login"] == "teacher"
    assert corrected["values"]["supersedes"] == str(mark)
    assert corrected["reason"] == "пересчёт баллов" and corrected["actor_login"] == "teacher"

    table = CliRunner().invoke(main, ["history", str(lesson)], env=_env(tmp_path))
    assert "причина: пересчёт баллов" in table.output


@pytest.mark.parametrize("record_id", ["not-a-uuid", "00000000-0000-0000-0000-00000000abcd"])
def test_history_of_unknown_record_is_a_clear_error(tmp_path: Path, record_id: str) -> None:
    result = CliRunner().invoke(main, ["--create", "history", record_id], env=_env(tmp_path))
    assert result.exit_code != 0
    assert "not a record id" in result.output or "Запись не найдена" in result.output


def test_views_status_rebuild_and_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with build(settings_for(tmp_path)) as system:
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 14)):
            mark = system.journal.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "3", "test")], school.teacher
            ).created[0]
        with clock.travel(at(LESSON_DAY.replace(day=18), 10)):
            system.journal.entry.correct_mark(lesson, mark, "4", "test", "пересчёт", school.teacher)
    env = _env(tmp_path)
    status = CliRunner().invoke(main, ["views", "status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    assert {r["name"] for r in json.loads(status.output)} >= {"catalog", "grid", "register"}
    assert all(r["lag"] == 0 for r in json.loads(status.output))

    niced: list[int] = []
    monkeypatch.setattr(os, "nice", niced.append)  # not this test process's own priority
    rebuilt = CliRunner().invoke(main, ["views", "rebuild", "--view", "grid"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "v_marks" in rebuilt.output and "v_persons" not in rebuilt.output
    assert niced == [10]  # by default the rebuild yields the CPU to the pages being served
    full = CliRunner().invoke(main, ["views", "rebuild", "--view", "grid", "--nice", "0"], env=env)
    assert full.exit_code == 0, full.output
    assert niced == [10]

    before = CliRunner().invoke(
        main,
        [
            "replay",
            "grid",
            "--as-of",
            "2025-09-17T12:00",
            "--course",
            str(school.course_id),
            "--term",
            "1",
            "--json",
        ],
        env=env,
    )
    after = CliRunner().invoke(
        main,
        [
            "replay",
            "grid",
            "--as-of",
            "2025-09-19T12:00",
            "--course",
            str(school.course_id),
            "--term",
            "1",
        ],
        env=env,
    )
    assert before.exit_code == 0 and after.exit_code == 0, before.output + after.output
    cell = json.loads(before.output)["marks"][f"{school.pupils[0]}|{lesson}"]
    assert [(c["value"], c["corrected"]) for c in cell] == [("3", False)]
    assert "Смирнов А." in after.output and "4*" in after.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "grid", "--as-of", "2025-09-17T12:00"], "needs: --course, --term"),
        (["replay", "nonsense", "--as-of", "2025-09-17"], "one of: grid"),
        (["replay", "grid", "--as-of", "вчера", "--course", "x", "--term", "1"], "not a date"),
        (["views", "rebuild", "--view", "nope"], "unknown view 'nope'"),
    ],
)
def test_views_and_replay_reject_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["--create", *args], env=_env(tmp_path))
    assert result.exit_code != 0
    assert message in result.output
