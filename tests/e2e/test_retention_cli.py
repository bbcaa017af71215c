"""``ejournal year``, ``ejournal retention`` and ``ejournal pd`` as an operator, a deputy
head, an archivist and a head of school use them."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from ejournal.cli import main
from tests.archive_helpers import complete_school
from tests.conftest import ROOT, settings_for
from tests.retention_school import JOURNAL_5A, JOURNAL_5B, TOPIC_5A, History, make_history
from tests.school import LESSON_DAY, at, build_school
from tests.unit.test_retention_policy import BROKEN, JOURNAL


def _env(tmp_path: Path, policies: Path | None = None) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(policies or ROOT / "policies"),
    }


def run(tmp_path: Path, *args: str, day: date | None = None) -> Result:
    if day is None:
        return CliRunner().invoke(main, list(args), env=_env(tmp_path))
    with clock.travel(at(day)):
        return CliRunner().invoke(main, list(args), env=_env(tmp_path))


@pytest.mark.parametrize(
    "name", ["unknown key", "missing period", "unknown action", "unknown trigger"]
)
def test_policies_check_names_the_file_and_key_of_a_broken_schedule(tmp_path: Path, name: str):
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    old, new, expected = BROKEN[name]
    path = folder / "retention.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(JOURNAL)
    path.write_text(text[:start] + text[start:].replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["policies", "check"], env=_env(tmp_path, folder))
    assert result.exit_code == 4
    assert f"error: {expected}" in result.output


def test_closing_the_year_lists_missing_marks_and_needs_force_with_a_reason(tmp_path: Path):
    with build(settings_for(tmp_path)) as system:
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 10)):
            system.journal.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
            )
    refused = run(tmp_path, "year", "close", "2025/26", "--as", "deputy")
    assert refused.exit_code == 1
    assert "не выставлено отметок — 20" in refused.output  # 4 pupils × (4 terms + year)
    assert "5А, Математика, 1 период: Смирнов А." in refused.output
    assert "5Б, Математика, годовая: Чужой П." in refused.output
    assert run(tmp_path, "year", "close", "2025/26", "--as", "teacher").exit_code == 1
    no_reason = run(tmp_path, "year", "close", "2025/26", "--as", "deputy", "--force")
    assert no_reason.exit_code == 1 and "причину" in no_reason.output
    closed = run(
        tmp_path,
        "year",
        "close",
        "2025/26",
        "--as",
        "deputy",
        "--force",
        "--reason",
        "Конец года",
        day=date(2026, 6, 30),
    )
    assert closed.exit_code == 0, closed.output
    assert "закрыт 30.06.2026 принудительно, не выставлено отметок: 20" in closed.output
    reopened = run(
        tmp_path,
        "year",
        "reopen",
        "2025/26",
        "--as",
        "head",
        "--reason",
        "Ошибка в отметках",
        "--order",
        "№ 41",
    )
    assert reopened.exit_code == 0, reopened.output


@pytest.fixture
def history(tmp_path: Path) -> History:
    with build(settings_for(tmp_path)) as system:
        return make_history(system)


def test_plan_propose_approve_execute_as_the_archivist_and_the_head(
    tmp_path: Path, history: History
):
    plan = run(tmp_path, "retention", "plan", "--as-of", "2032-01-01", "--json")
    assert plan.exit_code == 0, plan.output
    assert [line["series"] for line in json.loads(plan.output)["executable"]] == [
        JOURNAL_5A,
        JOURNAL_5B,
    ]
    assert (
        json.loads(run(tmp_path, "retention", "plan", "--as-of", "2031-12-31", "--json").output)[
            "executable"
        ]
        == []
    )

    day = date(2032, 1, 2)
    proposed = run(
        tmp_path, "retention", "propose", "--as", "archivist", "--series", JOURNAL_5A, day=day
    )
    assert proposed.exit_code == 0, proposed.output
    proposal = proposed.output.split()[1].rstrip(":")
    own = run(tmp_path, "retention", "approve", proposal, "--as", "archivist", day=day)
    assert own.exit_code == 1 and "не автор" in own.output
    teacher = run(tmp_path, "retention", "approve", proposal, "--as", "teacher", day=day)
    assert teacher.exit_code == 1 and "«Классный журнал (журнал успеваемости)»" in teacher.output
    assert "class-journal" not in teacher.output
    bare = run(tmp_path, "retention", "approve", proposal, "--as", "head", day=day)
    assert bare.exit_code == 1 and "протокола экспертной комиссии" in bare.output
    ahead = ["--protocol", "ЭК-3", "--protocol-date", "2032-01-05"]
    future = run(tmp_path, "retention", "approve", proposal, *ahead, "--as", "head", day=day)
    assert future.exit_code == 1 and "позже сегодняшнего дня" in future.output
    protocol = ["--protocol", "ЭК-3", "--protocol-date", "2031-12-20"]
    approved = run(tmp_path, "retention", "approve", proposal, *protocol, "--as", "head", day=day)
    assert approved.exit_code == 0, approved.output
    executed = run(tmp_path, "retention", "execute", proposal, "--as", "archivist", day=day)
    assert executed.exit_code == 0, executed.output
    assert "уничтожено: серий 1" in executed.output
    assert "акт № 1:" in executed.output and "akt-2032-001.pdf" in executed.output

    destroyed = json.loads(
        run(tmp_path, "retention", "register", "--state", "destroyed", "--json").output
    )
    assert [row["series"] for row in destroyed] == [JOURNAL_5A]
    lesson = run(tmp_path, "history", str(history.lesson_5a))
    assert "(уничтожено)" in lesson.output and TOPIC_5A not in lesson.output
    certificate = json.loads(run(tmp_path, "retention", "certificate", proposal).output)
    assert [item["series"] for item in certificate["items"]] == [JOURNAL_5A]
    assert certificate["protocol"] == {"number": "ЭК-3", "date": "2031-12-20"}
    assert run(tmp_path, "ledger", "verify").exit_code == 0
    listed = run(tmp_path, "retention", "proposals")
    assert "уничтожено" in listed.output and "Директоров Иван" in listed.output
    assert "executed" not in listed.output and "destroy" not in listed.output


def test_plan_and_register_print_people_s_words_not_codes(tmp_path: Path, history: History):
    plan = run(tmp_path, "retention", "plan", "--as-of", "2032-01-01")
    assert plan.exit_code == 0, plan.output
    line = next(x for x in plan.output.splitlines() if JOURNAL_5A in x)
    assert "(Классный журнал (журнал успеваемости); уничтожение)" in line
    assert "(закрытие учебного года) + 5 лет: срок хранения истёк" in line
    as_json = json.loads(
        run(tmp_path, "retention", "plan", "--as-of", "2032-01-01", "--json").output
    )
    assert "+ 5 лет:" in as_json["executable"][0]["why"]
    register = run(tmp_path, "retention", "register", "--as-of", "2032-01-01").output
    for raw in ("P5Y", "P25Y", "class-journal", "summary-sheet", "destroy"):
        assert raw not in plan.output and raw not in register, raw
    assert "Сводная ведомость успеваемости: отсечка" in register


def test_holds_from_the_command_line(tmp_path: Path, history: History):
    day = date(2032, 1, 2)
    placed = run(
        tmp_path,
        "retention",
        "hold",
        "place",
        "--scope",
        "group",
        "--value",
        "2025-26 5А",
        "--reason",
        "Запрос суда",
        "--as",
        "head",
        day=day,
    )
    assert placed.exit_code == 0, placed.output
    plan = json.loads(run(tmp_path, "retention", "plan", "--json", day=day).output)
    assert [line["series"] for line in plan["held"]] == [JOURNAL_5A]
    assert "Запрос суда" in run(tmp_path, "retention", "hold", "list").output
    hold_id = placed.output.split()[-1]
    released = run(
        tmp_path,
        "retention",
        "hold",
        "release",
        hold_id,
        "--reason",
        "Дело закрыто",
        "--as",
        "head",
        day=day,
    )
    assert released.exit_code == 0, released.output


def test_the_daily_run_only_plans(tmp_path: Path, history: History):
    result = run(tmp_path, "retention", "run", "--as-of", "2032-01-01")
    assert result.exit_code == 0, result.output
    assert "к исполнению 2" in result.output
    written = json.loads((tmp_path / "var/retention/plan-2032-01-01.json").read_text())
    assert len(written["executable"]) == 2
    assert json.loads(run(tmp_path, "retention", "proposals", "--json").output) == []


def test_the_subject_access_report_from_the_command_line(tmp_path: Path, history: History):
    pdf = tmp_path / "report.pdf"
    pupil = str(history.school.pupils[1])
    result = run(tmp_path, "pd", "report", pupil, "--as", "head", "--pdf", str(pdf))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["identity"]["surname"] == "Кузнецова" and "Смирнов" not in result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert run(tmp_path, "pd", "report", str(history.guardian), "--as", "head").exit_code == 1
    # producing the report is itself a read of the pupil's data, logged with who did it
    again = json.loads(run(tmp_path, "pd", "report", pupil, "--as", "head").output)
    assert [(a["page"], a["actor"]) for a in again["access_log"]] == [
        ("ejournal pd report", str(history.school.head))
    ]


def test_reschedule_shows_and_records_the_dates_a_changed_schedule_moves(
    tmp_path: Path, history: History
):
    """The year was closed under the shipped rule; the school's file goes back to counting
    from the cut-off: dates come sooner, so the daily run records nothing and says so, the
    dry run lists them, and only a person with a reason adopts them."""
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    path = folder / "retention.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"january_after_cut_off"', '"cut_off"'), encoding="utf-8")

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=_env(tmp_path, folder))

    daily = cli("retention", "run", "--as-of", "2031-07-02")
    assert daily.exit_code == 0, daily.output
    assert "сроки хранения не пересчитаны" in daily.output
    dry = cli("retention", "reschedule", "--dry-run", "--as", "archivist")
    assert dry.exit_code == 0, dry.output
    assert f"{JOURNAL_5A}" in dry.output and "01.01.2032 → 01.07.2031" in dry.output
    refused = cli("retention", "reschedule", "--as", "archivist")
    assert refused.exit_code == 1 and "сокращают срок" in refused.output
    done = cli(
        "retention",
        "reschedule",
        "--as",
        "archivist",
        "--allow-earlier",
        "--reason",
        "Протокол ЭК № 2 от 01.09.2026",
    )
    assert done.exit_code == 0, done.output
    assert "пересчитано сроков:" in done.output
    again = cli("retention", "reschedule", "--dry-run", "--as", "archivist")
    assert "уже действуют" in again.output


def test_council_decisions_from_the_command_line_and_closing_without_them(tmp_path: Path):
    with build(settings_for(tmp_path)) as system:
        data = complete_school(system)  # every mark and decision given
        with clock.travel(at(date(2025, 9, 2))):  # a class without subjects, one pupil
            j, admin = system.journal, data.school.admin
            sixth = j.classes.form_class(data.school.year_id, "6А", 6, admin).id
            pupil = j.people.register_student("Новый", "Лев", "", date(2013, 3, 3), admin).id
            j.classes.enrol(sixth, pupil, date(2025, 9, 2), admin)
    listed = run(tmp_path, "year", "undecided", "2025/26")
    assert listed.exit_code == 0, listed.output
    assert (
        "6А: Новый Л." in listed.output and "нет решения педагогического совета: 1" in listed.output
    )
    refused = run(tmp_path, "year", "close", "2025/26", "--as", "deputy", day=date(2026, 6, 30))
    assert refused.exit_code == 1
    assert "нет решения педагогического совета для обучающихся — 1:" in refused.output
    assert "  6А: Новый Л." in refused.output and "ejournal year decide" in refused.output
    decide = ["year", "decide", "2025/26", "6А", "--as", "deputy", "--protocol", "9"]
    bad = run(tmp_path, *decide, "--decision", "expelled", "--date", "2026-05-28")
    assert bad.exit_code == 2 and "expelled" in bad.output
    future = run(
        tmp_path, *decide, "--decision", "promoted", "--date", "2026-07-01", day=date(2026, 6, 1)
    )
    assert future.exit_code == 1 and "Дата протокола" in future.output
    as_teacher = ["year", "decide", "2025/26", "6А", "--as", "teacher", "--protocol", "9"]
    denied = run(
        tmp_path,
        *as_teacher,
        "--decision",
        "promoted",
        "--date",
        "2026-05-28",
        day=date(2026, 6, 1),
    )
    assert denied.exit_code == 1
    done = run(
        tmp_path, *decide, "--decision", "promoted", "--date", "2026-05-28", day=date(2026, 6, 1)
    )
    assert done.exit_code == 0, done.output
    assert (
        "6А: решение «переведён(а) в следующий класс» (протокол № 9 от 28.05.2026)" in done.output
    )
    assert "обучающихся: 1" in done.output
    assert (
        "нет решения педагогического совета: 0"
        in run(tmp_path, "year", "undecided", "2025/26").output
    )
    closed = run(tmp_path, "year", "close", "2025/26", "--as", "deputy", day=date(2026, 6, 30))
    assert closed.exit_code == 0, closed.output
    assert "закрыт 30.06.2026" in closed.output and "принудительно" not in closed.output
    nobody = run(tmp_path, *decide, "--decision", "retained", "--date", "2026-05-28")
    assert nobody.exit_code == 1 and "решение уже есть" in nobody.output
    late = run(
        tmp_path,
        *decide,
        "--pupil",
        str(pupil),
        "--decision",
        "retained",
        "--date",
        "2026-05-28",
        "--reason",
        "Ошибка ввода",
        day=date(2026, 7, 1),
    )
    assert late.exit_code == 1 and "закрыт" in late.output


def test_the_school_profile_from_the_command_line(tmp_path: Path, history: History):
    empty = run(tmp_path, "school", "profile")
    assert empty.exit_code == 0 and "не внесены" in empty.output
    details = [
        "--full-name", "МБОУ «Школа № 9» полное наименование",
        "--short-name", "МБОУ «Школа № 9»",
        "--address", "123456, г. Энск, ул. Речная, д. 9",
        "--head-name", "Иванова Мария Петровна",
        "--ogrn", "1027700123450",
    ]  # fmt: skip
    wrong = run(
        tmp_path, "school", "profile", "set", *details, "--inn", "1234567890", "--as", "admin"
    )
    assert wrong.exit_code == 1 and "ИНН организации" in wrong.output
    teacher = run(tmp_path, "school", "profile", "set", *details, "--as", "teacher")
    assert teacher.exit_code == 1
    done = run(tmp_path, "school", "profile", "set", *details, "--as", "admin")
    assert done.exit_code == 0, done.output
    shown = run(tmp_path, "school", "profile")
    assert "адрес: 123456, г. Энск, ул. Речная, д. 9" in shown.output
    assert "ОГРН: 1027700123450" in shown.output and "ИНН: —" in shown.output
