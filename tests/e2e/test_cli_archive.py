"""``ejournal keys demo`` and ``ejournal archive`` as an operator uses them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from domain import clock
from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.settings import Settings
from tests.archive_helpers import complete_school, damage_appended_stream, flip_byte
from tests.conftest import ROOT
from tests.school import at


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        "EJOURNAL_SCHOOL": "test",
    }


def test_keys_close_year_verify_and_list(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "demo"], env=env)
    assert made.exit_code == 0, made.output
    assert (tmp_path / "var" / "pki" / "root.pem").exists()
    again = runner.invoke(main, ["keys", "demo"], env=env)
    assert again.exit_code == 1 and "already holds a PKI" in again.output
    with build(Settings.from_env(env)) as system:
        data = complete_school(system)
        with clock.travel(at(date(2026, 5, 25))):
            late = system.journal.people.register_student(
                "Новикова", "Вера", "", date(2014, 2, 2), data.school.admin
            ).id
            system.journal.classes.enrol(
                data.school.class_id, late, date(2026, 5, 25), data.school.admin
            )
    with clock.travel(at(date(2026, 7, 2))):
        refused = runner.invoke(main, ["archive", "close-year", "2025/26", "--as", "head"], env=env)
        assert refused.exit_code == 1
        assert "нет годовой отметки (1): Новикова В." in refused.output
        assert "ВНИМАНИЕ" in refused.output and "после 30 июня" in refused.output
        bare = runner.invoke(
            main, ["archive", "close-year", "2025/26", "--force", "--as", "head"], env=env
        )
        assert bare.exit_code == 2 and "--reason" in bare.output
        forced = runner.invoke(
            main,
            [
                "archive",
                "close-year",
                "2025/26",
                "--force",
                "--reason",
                "Прибыла 25.05",
                "--as",
                "head",
            ],
            env=env,
        )
    assert forced.exit_code == 0, forced.output
    assert "4 volumes" in forced.output and "учебный год 2025/26 закрыт" in forced.output
    files = sorted((tmp_path / "var" / "archive" / "2025-26").glob("*.pdf"))
    assert len(files) == 4
    ok = runner.invoke(main, ["archive", "verify", str(files[0])], env=env)
    assert ok.exit_code == 0 and "VALID" in ok.output, ok.output
    # which PDF/A check ran on which revision: pikepdf's not_checked is a SKIP, never «0
    # violation(s)»; the document timestamp is validated, not counted
    assert re.search(r"^OK   pdfa-2b \(revision 1, bytes 0-\d+, unsigned\)", ok.output, re.M)
    assert re.search(
        r"^SKIP pdfa-2b \(whole file, all revisions\): pikepdf verdict not_checked", ok.output, re.M
    )
    assert "violation(s)" not in ok.output
    assert re.search(r"^OK   document timestamp 1/1: of .* trusted=True at ", ok.output, re.M)
    later = runner.invoke(main, ["archive", "verify", "--at", "2031-01-01", str(files[0])], env=env)
    assert later.exit_code == 1 and "REJECTED" in later.output, later.output
    assert re.search(r"^FAIL document timestamp 1/1", later.output, re.M)
    wrong = runner.invoke(main, ["archive", "verify", "--at", "01.01.2031", str(files[0])], env=env)
    assert wrong.exit_code == 2 and "ГГГГ-ММ-ДД" in wrong.output
    for name, content in (
        ("empty.pdf", b""),
        ("text.pdf", b"hello, not a PDF\n"),
        ("half.pdf", files[0].read_bytes()[: files[0].stat().st_size // 2]),
        ("header.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
    ):
        odd = tmp_path / name
        odd.write_bytes(content)
        answer = runner.invoke(main, ["archive", "verify", str(odd)], env=env)
        assert answer.exit_code in (1, 2), (name, answer.output)
        assert isinstance(answer.exception, SystemExit), (name, answer.exception)
        assert "Traceback" not in answer.output and "REJECTED" in answer.output, name
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(files[0].read_bytes()))
    bad = runner.invoke(main, ["archive", "verify", "--json", str(tampered)], env=env)
    assert bad.exit_code == 1 and json.loads(bad.output)["ok"] is False
    tampered.write_bytes(damage_appended_stream(files[0].read_bytes()))
    damaged = runner.invoke(main, ["archive", "verify", str(tampered)], env=env)
    assert damaged.exit_code == 1 and isinstance(damaged.exception, SystemExit), damaged.output
    assert "pyHanko cannot analyse it" in damaged.output and "REJECTED" in damaged.output
    listed = runner.invoke(main, ["archive", "list", "2025/26"], env=env)
    assert listed.exit_code == 0 and "томов: 4" in listed.output
    assert "Сводная ведомость успеваемости" in listed.output
    assert "Годовая распечатка (электронная копия) журнала" in listed.output
    assert "summary-sheet" not in listed.output and "annual-printout" not in listed.output
    again = ["archive", "close-year", "2025/26", "--force", "--reason", "Прибыла 25.05"]
    again += ["--as", "head"]
    nothing = runner.invoke(main, again, env=env)
    assert nothing.exit_code == 0 and "nothing to do" in nothing.output
    # the daily run: every volume good for 4 weeks (the demo CRL), nothing to renew yet
    daily = runner.invoke(main, ["retention", "run", "--as", "head"], env=env)
    assert daily.exit_code == 0, daily.output
    assert "archive refresh: файлов 4 (действует: 4)" in daily.output
    # 20 days on every volume is inside the 14-day margin: renewed, recorded, still valid
    later_on = clock.now() + timedelta(days=20)
    with clock.travel(later_on):
        renewed = runner.invoke(main, ["archive", "refresh", "--as", "head"], env=env)
    assert renewed.exit_code == 0, renewed.output
    assert "archive refresh: файлов 4 (обновлён: 4)" in renewed.output
    assert renewed.output.count("действительна до") == 4
    day = (later_on + timedelta(days=1)).date().isoformat()
    still = runner.invoke(main, ["archive", "verify", "--at", day, str(files[0])], env=env)
    assert still.exit_code == 0 and "document timestamp 2/2" in still.output, still.output


def test_close_year_without_keys_says_how_to_get_them(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with build(Settings.from_env(env)) as system:
        complete_school(system)
    result = CliRunner().invoke(main, ["archive", "close-year", "2025/26", "--as", "head"], env=env)
    assert result.exit_code == 1
    assert "cannot sign: no signing key" in result.output and "keys demo" in result.output
