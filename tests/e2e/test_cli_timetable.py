"""``ejournal timetable show|export|import`` (ADR 0031): the timetable of a school year as
the operator sees it, exported as the CSV the import takes, and an import that is checked
line by line and saved whole or not at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from domain import clock
from domain.timetable import Bell
from ejournal.bootstrap import build
from ejournal.cli import main
from tests.conftest import ROOT, settings_for
from tests.school import at, build_school

TIMETABLE = "Класс;День;Урок;Предмет\n5А;вт;2;Математика\n5А;чт;1;Математика\n5Б;пн;1;Математика\n"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }


def _school(tmp_path: Path) -> None:
    with build(settings_for(tmp_path)) as system:
        school = build_school(system.journal)
        with clock.travel(at(date(2025, 8, 28), 10)):
            system.journal.timetable.set_bells(
                school.year_id, [Bell(1, "8:30", "9:15"), Bell(2, "09:25", "10:10")], school.deputy
            )
            system.journal.timetable.declare_days_off(
                school.year_id,
                date(2025, 11, 4),
                date(2025, 11, 4),
                "День народного единства",
                school.deputy,
            )


def test_import_show_and_export_round_trip(tmp_path: Path) -> None:
    _school(tmp_path)
    env = _env(tmp_path)
    source = tmp_path / "timetable.csv"
    source.write_text(TIMETABLE, encoding="utf-8")
    run = CliRunner().invoke
    done = run(
        main,
        ["timetable", "import", str(source), "--since", "2025-09-01", "--as", "deputy"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert "уроков в неделю — 3" in done.output
    shown = run(main, ["timetable", "show", "--on", "2025-09-16"], env=env)
    assert shown.exit_code == 0, shown.output
    for line in (
        "1 урок  08:30–09:15",
        "04.11.2025–04.11.2025  День народного единства",
        "5А  вт  2  Математика",
        "5Б  пн  1  Математика",
    ):
        assert line in shown.output
    only = run(main, ["timetable", "show", "--on", "2025-09-16", "--class", "5б"], env=env)
    assert "5Б  пн  1" in only.output and "5А  " not in only.output
    exported = run(main, ["timetable", "export", "--on", "2025-09-16"], env=env)
    assert exported.exit_code == 0, exported.output
    assert sorted(exported.output.splitlines()[1:]) == sorted(TIMETABLE.splitlines()[1:])
    assert exported.output.splitlines()[0] == "Класс;День;Урок;Предмет"
    # before the timetable is in force there is none
    before = run(main, ["timetable", "show", "--on", "2025-08-30"], env=env)
    assert "Расписание не задано" in before.output
    # exported to a file, imported back from a later date: the same lessons
    target = tmp_path / "out.csv"
    run(main, ["timetable", "export", "--on", "2025-09-16", "--to", str(target)], env=env)
    again = run(
        main,
        ["timetable", "import", str(target), "--since", "2026-01-12", "--as", "deputy"],
        env=env,
    )
    assert again.exit_code == 0, again.output


def test_a_bad_file_names_every_line_and_saves_nothing(tmp_path: Path) -> None:
    _school(tmp_path)
    env = _env(tmp_path)
    source = tmp_path / "bad.csv"
    source.write_text(
        "Класс;День;Урок;Предмет\n5А;вс;1;Математика\n9Я;пн;1;Математика\n5А;вт;7;Математика\n",
        encoding="utf-8",
    )
    run = CliRunner().invoke
    refused = run(
        main,
        ["timetable", "import", str(source), "--since", "2025-09-01", "--as", "deputy"],
        env=env,
    )
    assert refused.exit_code == 1
    for line in ("строка 2:", "строка 3:"):
        assert line in refused.output, refused.output
    assert "ничего не сохранено" in refused.output
    shown = run(main, ["timetable", "show", "--on", "2025-09-16"], env=env)
    assert "Расписание не задано" in shown.output
    # a teacher may not import; a period the bells lack is named by its line
    good = tmp_path / "good.csv"
    good.write_text("Класс;День;Урок;Предмет\n5А;вт;7;Математика\n", encoding="utf-8")
    teacher = run(
        main,
        ["timetable", "import", str(good), "--since", "2025-09-01", "--as", "teacher"],
        env=env,
    )
    assert teacher.exit_code == 1 and "строка" not in teacher.output
    deputy = run(
        main, ["timetable", "import", str(good), "--since", "2025-09-01", "--as", "deputy"], env=env
    )
    assert deputy.exit_code == 1 and "строка 2:" in deputy.output, deputy.output
    dated = run(
        main, ["timetable", "import", str(good), "--since", "вчера", "--as", "deputy"], env=env
    )
    assert dated.exit_code == 2
