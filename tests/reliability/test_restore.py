"""Backup and restore of the reliability run's school — the demo school with everything the
load and crash tests wrote into it — the operator's way (``ejournal backup`` and ``ejournal
restore`` as processes), into an empty PostgreSQL schema: the restore's own checks pass
and every view row of the restored school equals the original's. (Destroyed series staying
destroyed across a restore is shown by ``tests/integration/test_backup_restore.py``.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ejournal.bootstrap import build
from ejournal.settings import Settings
from tests.conftest import ROOT
from tests.httpload.app import BIN
from tests.httpload.database import drop_schema, with_schema
from tests.reliability.conftest import School, write_figures
from tests.views import snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.alone]


def _ejournal(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "ejournal"), *args],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"ejournal {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _rows(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    with build(settings) as system:
        system.views.catch_up()
        with system.views.reader() as reader:
            return snapshot(reader, system.views.sealer)


def test_the_school_restored_from_its_backup_is_the_same(school: School) -> None:
    school.app.stop()  # the operator stops the server and the worker for a consistent copy
    source = dict(school.app.env)
    folder = Path(tempfile.mkdtemp(prefix="ejournal-restore-"))
    target_schema = f"{school.schema}_restored"
    try:
        _ejournal(source, "backup", "--to", str(folder / "backup"))
        target = {
            **source,
            "EJOURNAL_VAR_DIR": str(folder / "var"),
            "EJOURNAL_DATABASE_URL": with_schema(school.server, target_schema),
        }
        keys = Settings.from_env(source)
        moved = Settings.from_env(target)
        for key in ("master_key_file", "ledger_key_file"):  # from their offline copies
            getattr(moved, key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(getattr(keys, key), getattr(moved, key))
        printed = _ejournal(target, "restore", "--from", str(folder / "backup"))
        passed, total = map(int, re.search(r"restore checks passed: (\d+)/(\d+)", printed).groups())  # type: ignore[union-attr]
        events = int(re.search(r"restored (\d+) events", printed).group(1))  # type: ignore[union-attr]
        original, restored = _rows(keys), _rows(moved)
        differing = sorted(
            t for t in original.keys() | restored.keys() if original.get(t) != restored.get(t)
        )
        write_figures(
            "restore",
            {
                "events restored": events,
                "restore checks passed": passed,
                "restore checks": total,
                "view rows compared": sum(len(rows) for rows in original.values()),
                "view tables differing": len(differing),
            },
        )
        assert passed == total >= 6
        assert differing == []
        assert sum(len(rows) for rows in restored.values()) > 0
    finally:
        drop_schema(school.server, target_schema)
        shutil.rmtree(folder, ignore_errors=True)
