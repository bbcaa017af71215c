"""``ejournal policies record|versions|approve`` and ``ejournal documents`` as an operator
and the head use them (ADR 0025)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from domain import clock
from ejournal.bootstrap import build
from ejournal.cli import main
from ejournal.settings import Settings
from tests.conftest import ROOT
from tests.school import build_school


def test_the_head_approves_by_order_and_the_documents_are_written(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    env = {"EJOURNAL_VAR_DIR": str(tmp_path / "var"), "EJOURNAL_POLICIES_DIR": str(policies)}
    with build(Settings.from_env(env)) as system:
        build_school(system.journal)
    runner = CliRunner()
    assert runner.invoke(main, ["keys", "demo"], env=env).exit_code == 0

    recorded = runner.invoke(main, ["policies", "record"], env=env)
    assert recorded.exit_code == 0 and "записана редакция 1" in recorded.output
    again = runner.invoke(main, ["policies", "record"], env=env)
    assert "правила не изменились" in again.output
    refused = runner.invoke(main, ["documents"], env=env)
    assert refused.exit_code == 1 and "правила не утверждены" in refused.output
    teacher = runner.invoke(
        main,
        ["policies", "approve", "--order", "5-од", "--date", "2025-09-01", "--as", "teacher"],
        env=env,
    )
    assert teacher.exit_code == 1 and "нужна другая роль" in teacher.output
    approved = runner.invoke(
        main,
        ["policies", "approve", "--order", "5-од", "--date", "2025-09-01", "--as", "head"],
        env=env,
    )
    assert approved.exit_code == 0, approved.output
    assert "редакция 1 утверждена: приказ № 5-од от 01.09.2025" in approved.output

    out = tmp_path / "docs"
    written = runner.invoke(main, ["documents", "--out", str(out)], env=env)
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "journal-regulation-v1.pdf",
            "diary-regulation-v1.pdf",
            f"pd-access-list-{clock.today().isoformat()}-v1.pdf",
            "parent-consent-v1.pdf",
            "records-schedule-v1.pdf",
        ]
    )
    checked = runner.invoke(
        main, ["archive", "verify", str(out / "journal-regulation-v1.pdf")], env=env
    )
    assert checked.exit_code == 0, checked.output
    assert "regulation journal-regulation-v1.pdf (policies version 1" in checked.output
    assert "VALID" in checked.output
    bad = runner.invoke(main, ["documents", "--only", "charter"], env=env)
    assert bad.exit_code == 2 and "journal-regulation" in bad.output

    journal = policies / "journal.toml"
    journal.write_text(
        journal.read_text(encoding="utf-8").replace(
            "entry_deadline_days = 3", "entry_deadline_days = 4"
        ),
        encoding="utf-8",
    )
    assert "редакция 2" in runner.invoke(main, ["policies", "record"], env=env).output
    listed = runner.invoke(main, ["policies", "versions"], env=env)
    assert "редакция 2" in listed.output and "не утверждена" in listed.output
    assert "journal.toml: entry_deadline_days: 3 → 4" in listed.output
    assert "приказ № 5-од от 01.09.2025" in listed.output
    stale = runner.invoke(
        main, ["documents", "--out", str(out), "--only", "journal-regulation"], env=env
    )
    assert stale.exit_code == 0 and "не совпадают с утверждённой редакцией" in stale.output
